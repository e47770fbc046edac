<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A config entry (Celery's setting names) is unknown or has a value Celery would not accept.
 */
final class InvalidConfiguration extends \InvalidArgumentException implements CeleryBridgeException
{
    public static function noBroker(): self
    {
        return new self('No broker: pass broker: (a redis:// URL or a connected client), or broker_url in config.');
    }

    /** Neither phpredis nor Predis is there to connect with. */
    /**
     * @param string $connection 'broker' or 'result backend'
     */
    public static function noRedisClient(string $connection): self
    {
        return new self(sprintf(
            'No Redis client is available to connect to the %s: install the phpredis extension (ext-redis: '
            . '`apt-get install php-redis` or `pecl install redis`) or run `composer require predis/predis`.',
            $connection,
        ));
    }

    /**
     * @param list<string> $known every name accepted there (the suggestion comes from these)
     * @param list<string>|null $shown the names the message lists (default: $known)
     */
    public static function unknown(string $name, array $known, ?array $shown = null): self
    {
        return new self(sprintf(
            'Unknown setting "%s".%s Known: %s.',
            Describe::text($name, 100),
            Suggestion::didYouMean($name, $known),
            implode(', ', $shown ?? $known),
        ));
    }

    /**
     * Old and new setting names in one config, which Celery refuses too (ImproperlyConfigured).
     *
     * @param array<string, string> $renames name given => the name of the other form
     * @param bool $toNew whether the renames go to the new names (else to the old ones)
     */
    public static function mixedNames(array $renames, bool $toNew): self
    {
        $list = implode(', ', array_map(
            static fn (string $from, string $to): string => sprintf('%s -> %s', $from, $to),
            array_keys($renames),
            $renames,
        ));
        return new self($toNew
            ? sprintf('Cannot mix Celery\'s old setting names with the new ones (Celery refuses this config too, '
                . 'with ImproperlyConfigured): rename %s.', $list)
            : sprintf('Cannot mix new setting names into Celery\'s old ones (Celery refuses this config too, with '
                . 'ImproperlyConfigured): rename %s, or every setting to the new names.', $list));
    }

    public static function invalid(
        string $name,
        #[\SensitiveParameter] mixed $value,
        string $expected,
        ?\Throwable $previous = null,
    ): self {
        // A value under a name that looks like a secret (or a misspelling of one) is not shown.
        $shown = preg_match('/pa?s+w|pass|secret|token|cred|phrase|auth/i', $name) === 1 ? 'that was given' : Describe::value($value);
        return new self(sprintf('Setting "%s" has the value %s; %s', $name, $shown, $expected), 0, $previous);
    }

    /**
     * An unknown key inside a setting: its value is never shown (it may be a misspelled password).
     *
     * @param list<string> $known
     */
    public static function unknownKey(string $name, array $known): self
    {
        // The key is the last [...] of the name: "broker_use_ssl[ssl_certfiel]".
        $key = preg_match('/\[([^\[\]]*)\][^\[]*$/', $name, $m) === 1 ? $m[1] : $name;
        return new self(sprintf(
            'Setting "%s" is not a key CeleryBridge knows; known: %s.%s',
            $name,
            implode(', ', $known),
            Suggestion::didYouMean($key, $known),
        ));
    }
}
