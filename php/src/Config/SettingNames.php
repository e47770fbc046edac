<?php

declare(strict_types=1);

namespace CeleryBridge\Config;

use CeleryBridge\Exception\InvalidConfiguration;

/**
 * Setting names of every Celery era, turned into the new ones, as Celery reads them:
 *
 * - the new lower-case names (`task_default_queue`), and CeleryBridge's own;
 * - the old upper-case names Celery 3 used and Celery 5 still reads (`BROKER_URL`,
 *   `CELERY_DEFAULT_QUEUE`, `CELERY_ROUTES`: CelerySettings::OLD_NAMES, Celery's own table);
 * - Django's form, `app.config_from_object('django.conf:settings', namespace='CELERY')`: the new
 *   name upper-cased behind `CELERY_` (`CELERY_BROKER_URL`, `CELERY_TASK_DEFAULT_QUEUE`).
 *
 * Celery refuses a config that mixes old and new names (ImproperlyConfigured, "Cannot mix new
 * and old setting keys"), unless the same setting is given under both; with a namespace it reads
 * every form. So does this class: one name in the Django form means a namespace, and then
 * nothing is refused. A setting given under two names takes the new name's value.
 *
 * @internal
 */
final class SettingNames
{
    private const PREFIX = 'CELERY_';

    /**
     * The config with every key under its new name.
     *
     * @param array<string, mixed> $config
     * @return array<string, mixed>
     * @throws InvalidConfiguration an unknown name (with "Did you mean"), or old and new names mixed
     */
    public static function canonical(#[\SensitiveParameter] array $config): array
    {
        $celery = CelerySettings::NAMES;
        $known = $celery + array_flip(ClientConfig::NAMES);
        $new = $old = $namespaced = [];
        foreach (array_keys($config) as $name) {
            $name = (string) $name;
            if (isset($known[$name])) {
                $new[$name] = $name;
            } elseif (isset(CelerySettings::OLD_NAMES[$name])) {
                $old[$name] = CelerySettings::OLD_NAMES[$name];
            } elseif (self::isNamespaced($name, $known)) {
                $namespaced[$name] = strtolower(substr($name, strlen(self::PREFIX)));
            } else {
                throw self::unknown($name);
            }
        }
        if ($namespaced === [] && $old !== []) {
            // CeleryBridge's own names have no old form: they never count as mixing.
            self::refuseMixed($old, array_intersect_key($new, $celery), $config);
        }
        $canonical = [];
        // The new name wins, then the namespaced one, then the old one.
        foreach ([$old, $namespaced, $new] as $names) {
            foreach ($names as $given => $name) {
                $canonical[$name] = $config[$given];
            }
        }
        return $canonical;
    }

    /**
     * @param array<string, int> $known
     */
    private static function isNamespaced(string $name, array $known): bool
    {
        return str_starts_with($name, self::PREFIX) && strtoupper($name) === $name
            && isset($known[strtolower(substr($name, strlen(self::PREFIX)))]);
    }

    /**
     * Celery's detect_settings(): with more old names than new, the new ones are the odd ones
     * out, else the old ones; names whose other form is also given are not counted.
     *
     * @param array<string, string> $old old name => new name
     * @param array<string, string> $new new name => new name (Celery's names only)
     * @param array<string, mixed> $config
     * @throws InvalidConfiguration
     */
    private static function refuseMixed(array $old, array $new, #[\SensitiveParameter] array $config): void
    {
        if ($new === []) {
            return;
        }
        $toOld = array_flip(CelerySettings::OLD_NAMES);
        $renames = [];
        if (count($old) > count($new)) {
            foreach ($new as $name) {
                if (isset($toOld[$name]) && !array_key_exists($toOld[$name], $config)) {
                    $renames[$name] = $toOld[$name];
                }
            }
            $toNew = false;
        } else {
            foreach ($old as $given => $name) {
                if (!array_key_exists($name, $config)) {
                    $renames[$given] = $name;
                }
            }
            $toNew = true;
        }
        if ($renames !== []) {
            ksort($renames);
            throw InvalidConfiguration::mixedNames($renames, $toNew);
        }
    }

    /**
     * An unknown name, with the nearest name of its own form: an upper-case one is compared with
     * the old names and the Django form, a lower-case one with the new names.
     */
    private static function unknown(string $name): InvalidConfiguration
    {
        $new = [...ClientConfig::NAMES, ...array_keys(CelerySettings::NAMES)];
        $candidates = strtoupper($name) === $name
            ? [...array_keys(CelerySettings::OLD_NAMES), ...array_map(
                static fn (string $n): string => self::PREFIX . strtoupper($n),
                $new,
            )]
            : $new;
        return InvalidConfiguration::unknown($name, $candidates, [
            ...ClientConfig::NAMES,
            '(and every other Celery setting name, accepted and ignored; Celery\'s old upper-case names such as '
            . 'BROKER_URL and CELERY_DEFAULT_QUEUE, and Django\'s CELERY_ form such as CELERY_TASK_DEFAULT_QUEUE, too)',
        ]);
    }
}
