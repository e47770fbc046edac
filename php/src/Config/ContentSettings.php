<?php

declare(strict_types=1);

namespace CeleryBridge\Config;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * result_serializer, accept_content and result_accept_content of a shared celeryconfig: checked
 * (ClientConfig loads this only when one is given), never used otherwise.
 *
 * @internal
 */
final class ContentSettings
{
    /**
     * The content settings of a shared celeryconfig must fit what CeleryBridge writes and reads:
     * workers discard messages whose serializer is not in their accept_content, and results are
     * read as json only.
     *
     * @param array<string, mixed> $config
     * @throws InvalidConfiguration
     */
    public static function check(array $config, string $serializer): void
    {
        $result = $config['result_serializer'] ?? 'json';
        if ($result !== 'json') {
            throw InvalidConfiguration::invalid('result_serializer', $result, 'CeleryBridge reads results stored as '
                . 'json only (Celery\'s default); set result_serializer to "json" on the workers.');
        }
        $names = ['json' => 'application/json', 'msgpack' => 'application/x-msgpack'];
        foreach (['accept_content' => $serializer, 'result_accept_content' => 'json'] as $name => $needed) {
            $accepted = $config[$name] ?? null;
            if ($accepted === null) {
                continue;
            }
            if (!is_array($accepted) || !array_is_list($accepted)) {
                throw InvalidConfiguration::invalid($name, $accepted, 'expected a list of serializer names, e.g. ["json"].');
            }
            if (!in_array($needed, $accepted, true) && !in_array($names[$needed], $accepted, true)) {
                throw InvalidConfiguration::invalid($name, $accepted, sprintf(
                    '%s must include "%s": %s.',
                    $name,
                    $needed,
                    $name === 'accept_content'
                        ? 'workers with this accept_content discard the messages CeleryBridge sends (task_serializer)'
                        : 'CeleryBridge reads json results',
                ));
            }
        }
    }
}
