<?php

declare(strict_types=1);

namespace CeleryBridge\Connection\Amqp;

use CeleryBridge\Exception\InvalidBrokerUrl;

/**
 * A RabbitMQ broker URL read the way kombu reads `broker_url`:
 *
 *     amqp://[user[:password]@]host[:port][/vhost][?heartbeat=60&connect_timeout=4&ssl=true]
 *     amqps://...                  (TLS, port 5671 by default)
 *     pyamqp://..., librabbitmq://...   (read as amqp://: the same broker, another Python library)
 *     amqp://a;amqp://b            (failover list; broker_url may also be a PHP list of URLs)
 *
 * kombu's defaults: user and password "guest", host localhost, port 5672 (5671 with TLS), vhost
 * "/". The vhost is the path without its first "/", percent-decoded: `amqp://h//` and
 * `amqp://h/%2F` are "/", `amqp://h/` and `amqp://h` fall back to "/". This object is the first
 * URL; the others of a list are in `alternates`. `__toString()` masks the password.
 */
final class AmqpUrl
{
    public const SCHEMES = ['amqp', 'amqps', 'pyamqp', 'librabbitmq'];

    /** The query options kombu turns into connection arguments that a publisher uses. */
    public const QUERY = ['heartbeat', 'connect_timeout', 'ssl'];

    private readonly \SensitiveParameterValue $passwordSecret;

    /**
     * @param list<AmqpUrl> $alternates
     */
    private function __construct(
        public readonly string $scheme,
        public readonly string $host,
        public readonly int $port,
        public readonly string $user,
        #[\SensitiveParameter] string $password,
        public readonly string $vhost,
        public readonly ?int $heartbeat,
        public readonly ?float $connectTimeout,
        public readonly bool $ssl,
        public readonly array $alternates = [],
    ) {
        $this->passwordSecret = new \SensitiveParameterValue($password);
    }

    public function password(): string
    {
        return $this->passwordSecret->getValue();
    }

    /** Whether a broker URL (or the first of a list) is one for RabbitMQ. */
    public static function isAmqp(#[\SensitiveParameter] string|array $url): bool
    {
        $first = is_array($url) ? (string) (array_values($url)[0] ?? '') : $url;
        $scheme = strtolower(trim((string) strstr($first, '://', true)));
        return in_array($scheme, self::SCHEMES, true);
    }

    /**
     * @param string|list<string> $url one URL, a ";" list, or a list of URLs (Celery's forms)
     * @throws InvalidBrokerUrl naming the part that is wrong, the password masked
     */
    public static function fromString(#[\SensitiveParameter] string|array $url): self
    {
        $pieces = is_array($url) ? array_values($url) : explode(';', $url);
        $whole = is_array($url) ? implode(';', array_map('strval', $url)) : $url;
        if ($pieces === []) {
            throw InvalidBrokerUrl::amqp($whole, 'the list of URLs is empty.');
        }
        $nodes = [];
        foreach ($pieces as $index => $piece) {
            if (!is_string($piece) || trim($piece) === '') {
                throw InvalidBrokerUrl::amqp($whole, sprintf('entry %d of the list is empty or not a string.', $index + 1));
            }
            $nodes[] = self::parseOne(trim($piece), $whole);
        }
        $first = array_shift($nodes);
        return new self(
            $first->scheme,
            $first->host,
            $first->port,
            $first->user,
            $first->password(),
            $first->vhost,
            $first->heartbeat,
            $first->connectTimeout,
            $first->ssl,
            $nodes,
        );
    }

    /**
     * This URL and its alternates, in the failover order.
     *
     * @return list<AmqpUrl>
     */
    public function nodes(): array
    {
        $first = new self(
            $this->scheme,
            $this->host,
            $this->port,
            $this->user,
            $this->password(),
            $this->vhost,
            $this->heartbeat,
            $this->connectTimeout,
            $this->ssl,
        );
        return [$first, ...$this->alternates];
    }

    /** host:port for messages. */
    public function server(): string
    {
        return sprintf('%s:%d', str_contains($this->host, ':') ? '[' . $this->host . ']' : $this->host, $this->port);
    }

    public function __toString(): string
    {
        $query = array_filter([
            'heartbeat' => $this->heartbeat,
            'connect_timeout' => $this->connectTimeout,
        ], static fn ($v): bool => $v !== null);
        $text = sprintf(
            '%s://%s:****@%s/%s%s',
            $this->scheme,
            rawurlencode($this->user),
            $this->server(),
            rawurlencode($this->vhost),
            $query === [] ? '' : '?' . http_build_query($query),
        );
        foreach ($this->alternates as $alternate) {
            $text .= ';' . $alternate;
        }
        return $text;
    }

    /**
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return ['url' => (string) $this];
    }

    private static function parseOne(#[\SensitiveParameter] string $piece, #[\SensitiveParameter] string $whole): self
    {
        $separator = strpos($piece, '://');
        if ($separator === false) {
            throw InvalidBrokerUrl::amqp($whole, 'expected scheme://..., e.g. amqp://guest:guest@localhost:5672//.');
        }
        $scheme = strtolower(substr($piece, 0, $separator));
        if (!in_array($scheme, self::SCHEMES, true)) {
            throw InvalidBrokerUrl::amqp($whole, sprintf(
                'the scheme "%s" cannot be mixed with AMQP URLs in one list; expected %s.',
                $scheme,
                implode(', ', self::SCHEMES),
            ));
        }
        $rest = substr($piece, $separator + 3);
        $query = '';
        $mark = strpos($rest, '?');
        // The user info may hold a "?" before the last "@" (an unencoded password).
        $at = strrpos($rest, '@');
        if ($mark !== false && ($at === false || $mark > $at)) {
            $query = substr($rest, $mark + 1);
            $rest = substr($rest, 0, $mark);
        }
        $user = 'guest';
        $password = 'guest';
        if ($at !== false) {
            $userinfo = substr($rest, 0, $at);
            $rest = substr($rest, $at + 1);
            $colon = strpos($userinfo, ':');
            $user = rawurldecode($colon === false ? $userinfo : substr($userinfo, 0, $colon));
            $password = $colon === false ? $password : rawurldecode(substr($userinfo, $colon + 1));
            // kombu keeps the defaults for an empty user or password ("amqp://@host").
            $user = $user === '' ? 'guest' : $user;
            $password = $password === '' ? 'guest' : $password;
        }
        $slash = strpos($rest, '/');
        $hostinfo = $slash === false ? $rest : substr($rest, 0, $slash);
        $path = $slash === false ? '' : substr($rest, $slash + 1);
        [$host, $port] = self::hostAndPort($hostinfo, $whole);
        $vhost = rawurldecode($path);
        $options = self::query($query, $whole);
        $ssl = $scheme === 'amqps' || ($options['ssl'] ?? false);
        return new self(
            // pyamqp and librabbitmq name Python libraries; the broker is the same.
            $scheme === 'amqps' ? 'amqps' : 'amqp',
            $host === '' ? 'localhost' : $host,
            $port ?? ($ssl ? 5671 : 5672),
            $user,
            $password,
            $vhost === '' ? '/' : $vhost,
            $options['heartbeat'] ?? null,
            $options['connect_timeout'] ?? null,
            $ssl,
        );
    }

    /**
     * @return array{0: string, 1: ?int}
     */
    private static function hostAndPort(#[\SensitiveParameter] string $hostinfo, #[\SensitiveParameter] string $whole): array
    {
        $portText = null;
        if (str_starts_with($hostinfo, '[')) {
            $close = strpos($hostinfo, ']');
            if ($close === false) {
                throw InvalidBrokerUrl::amqp($whole, 'the IPv6 host has no closing "]".');
            }
            $host = substr($hostinfo, 1, $close - 1);
            $after = substr($hostinfo, $close + 1);
            if ($after !== '') {
                if (!str_starts_with($after, ':')) {
                    throw InvalidBrokerUrl::amqp($whole, 'unexpected text after the IPv6 host.');
                }
                $portText = substr($after, 1);
            }
        } else {
            $colon = strrpos($hostinfo, ':');
            $host = $colon === false ? $hostinfo : substr($hostinfo, 0, $colon);
            $portText = $colon === false ? null : substr($hostinfo, $colon + 1);
        }
        $host = rawurldecode($host);
        if ($portText === null || $portText === '') {
            return [$host, null];
        }
        if (!ctype_digit($portText) || (int) $portText < 1 || (int) $portText > 65535) {
            throw InvalidBrokerUrl::amqp($whole, sprintf('the port "%s" is not a number from 1 to 65535.', $portText));
        }
        return [$host, (int) $portText];
    }

    /**
     * @return array{heartbeat?: int, connect_timeout?: float, ssl?: bool}
     */
    private static function query(string $query, #[\SensitiveParameter] string $whole): array
    {
        $options = [];
        foreach ($query === '' ? [] : explode('&', $query) as $pair) {
            [$name, $value] = array_pad(explode('=', $pair, 2), 2, '');
            $name = rawurldecode($name);
            $value = rawurldecode($value);
            if (!in_array($name, self::QUERY, true)) {
                throw InvalidBrokerUrl::amqp($whole, sprintf(
                    'the option "%s" is not one CeleryBridge reads; expected %s.',
                    $name,
                    implode(', ', self::QUERY),
                ));
            }
            $options[$name] = match ($name) {
                // AMQP's heartbeat is a 16-bit count of seconds.
                'heartbeat' => ctype_digit($value) && strlen($value) <= 5 && (int) $value <= 65535 ? (int) $value
                    : throw InvalidBrokerUrl::amqp(
                        $whole,
                        sprintf('heartbeat "%s" is not a whole number of seconds up to 65535 (0 turns heartbeats off).', $value),
                    ),
                'connect_timeout' => is_numeric($value) && (float) $value > 0 && is_finite((float) $value)
                    ? (float) $value : throw InvalidBrokerUrl::amqp(
                        $whole,
                        sprintf('connect_timeout "%s" is not a positive number of seconds.', $value),
                    ),
                default => self::flag($value, $whole),
            };
        }
        return $options;
    }

    private static function flag(string $value, #[\SensitiveParameter] string $whole): bool
    {
        return match (strtolower($value)) {
            '1', 'true', 'yes', 'on' => true,
            '0', 'false', 'no', 'off' => false,
            default => throw InvalidBrokerUrl::amqp($whole, sprintf('ssl "%s" is not true or false.', $value)),
        };
    }
}
