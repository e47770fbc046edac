<?php

declare(strict_types=1);

namespace CeleryBridge\Exception;

/**
 * A broker_url / result_backend string that Celery itself would not accept. The message shows
 * the URL with its password masked, and quotes no piece of the URL that may hold the password.
 */
final class InvalidBrokerUrl extends \InvalidArgumentException implements CeleryBridgeException
{
    private const HIDDEN = '(a part not shown)';

    private const HIDDEN_NOTE = 'What stands before the URL\'s last "@" is not shown: the password is there. A password '
        . 'holding "/", "?", "#", ";" or "@" must be percent-encoded in the URL (PHP: rawurlencode($password); '
        . 'Python: urllib.parse.quote(password, safe="")).';

    /** Words in quotes that problem texts about URLs use and that are not pieces of the URL. */
    private const OWN_WORDS = ['=value', ']'];

    /**
     * @param string $url the whole URL as the user gave it (every entry of a ";" list), never a piece
     * @param string $problem may quote pieces of the URL in double quotes: a piece that stands
     *                        where a password may be is replaced before anything is shown
     */
    public static function because(#[\SensitiveParameter] string $url, #[\SensitiveParameter] string $problem): self
    {
        return new self(sprintf('Redis URL "%s": %s', self::mask($url), self::withoutSecrets($url, $problem)));
    }

    /**
     * The same for an AMQP (RabbitMQ) broker URL.
     */
    public static function amqp(#[\SensitiveParameter] string $url, #[\SensitiveParameter] string $problem): self
    {
        return new self(sprintf('AMQP URL "%s": %s', self::mask($url), self::withoutSecrets($url, $problem)));
    }

    /**
     * @param string $role "broker" or "result backend"
     */
    public static function unknownScheme(
        #[\SensitiveParameter] string $url,
        #[\SensitiveParameter] string $scheme,
        string $role,
    ): self {
        $hint = match ($scheme) {
            'socket' => 'write redis+socket:///path/to/redis.sock (kombu and Celery both read that).',
            'sentinels', 'redis+sentinel' => 'write sentinel://host:26379;sentinel://host2:26379 and set master_name.',
            'tcp', 'tls' => sprintf('write %s://host:port/db.', $scheme === 'tls' ? 'rediss' : 'redis'),
            'amqp', 'amqps', 'pyamqp', 'librabbitmq' => $role === 'broker'
                ? 'an AMQP broker URL is read by the AMQP transport.'
                : 'the result backend must be Redis (RabbitMQ is a broker only here; the rpc:// backend is not supported).',
            'rpc' => 'the rpc:// result backend is not supported: use a Redis result backend.',
            'sqs', 'memory', 'filesystem', 'mongodb', 'sqla+sqlite'
                => 'CeleryBridge talks to Redis and RabbitMQ only.',
            default => 'expected redis, rediss, redis+socket, unix or sentinel.',
        };
        return self::because($url, sprintf('the scheme "%s" is not a Redis %s URL: %s', $scheme, $role, $hint));
    }

    /**
     * A URL for messages, masked even when it does not parse: after the scheme, everything from
     * the first ":" up to the URL's last "@" is replaced (with the user name too when the user
     * info is not plain). A password may hold "/", "?", "#", ";" or "@" unencoded, so no parser's
     * idea of where it ends is trusted; a ";" list with passwords loses its middle, never a secret.
     */
    public static function mask(#[\SensitiveParameter] string $url): string
    {
        $last = strrpos($url, '@');
        $masked = $url;
        if ($last !== false) {
            // The scheme and up to two slashes ("redis:/" with one slash is a common typo).
            $start = preg_match('#^\s*[A-Za-z][A-Za-z0-9+.\-]*:/{0,2}#', $url, $m) === 1 ? strlen($m[0]) : 0;
            $userinfo = (string) substr($url, $start, $last - $start);
            $colon = strpos($userinfo, ':');
            if ($colon !== false || strpbrk($userinfo, '/?#;@') !== false) {
                $user = $colon === false ? '' : substr($userinfo, 0, $colon);
                $user = strpbrk($user, '/?#;@[]') === false ? $user : '';
                $masked = substr($url, 0, $start) . $user . ($colon === false ? '' : ':') . '****' . substr($url, $last);
            }
        }
        return (string) preg_replace('#([?&;](?:ssl_password|password|passwd|pass|pwd)=)[^&;]*#i', '$1****', $masked);
    }

    /**
     * The problem text with each double-quoted piece replaced unless the masked URL shows it too
     * (the scheme, the user name, anything after the last "@"): only there is nothing a password
     * can reach. Pieces are told apart by their quotes, so when the hidden part holds a quote
     * no piece is shown at all.
     */
    private static function withoutSecrets(#[\SensitiveParameter] string $url, #[\SensitiveParameter] string $problem): string
    {
        $last = strrpos($url, '@');
        if ($last === false) {
            return $problem;
        }
        $shown = self::mask($url);
        $secret = substr($url, 0, $last);
        if (str_contains(urldecode($secret), '"') || str_contains(rawurldecode($secret), '"')) {
            return 'it cannot be read. ' . self::HIDDEN_NOTE;
        }
        $hidden = false;
        $problem = (string) preg_replace_callback(
            '/"([^"]*)"/',
            static function (array $quoted) use ($shown, &$hidden): string {
                // Our own words in quotes, or a piece the masked URL shows anyway.
                if (in_array($quoted[1], self::OWN_WORDS, true) || self::within($quoted[1], $shown)) {
                    return $quoted[0];
                }
                $hidden = true;
                return self::HIDDEN;
            },
            $problem,
        );
        return $hidden ? $problem . ' ' . self::HIDDEN . ' may hold part of the password. ' . self::HIDDEN_NOTE : $problem;
    }

    private static function within(#[\SensitiveParameter] string $piece, #[\SensitiveParameter] string $text): bool
    {
        return str_contains($text, $piece) || str_contains(rawurldecode($text), $piece)
            || str_contains(urldecode($text), $piece);
    }
}
