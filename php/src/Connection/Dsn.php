<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidBrokerUrl;

/**
 * A parsed Celery Redis URL: redis://[[user]:password@]host[:port][/db].
 */
final class Dsn
{
    private function __construct(
        public readonly string $scheme,
        public readonly string $host,
        public readonly int $port,
        public readonly int $database,
        public readonly ?string $username,
        #[\SensitiveParameter] public readonly ?string $password,
    ) {
    }

    public static function fromString(#[\SensitiveParameter] string $url): self
    {
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['scheme'], $parts['host'])) {
            throw InvalidBrokerUrl::because(self::mask($url), 'expected redis://[[user]:password@]host[:port][/db].');
        }
        if ($parts['scheme'] !== 'redis') {
            throw InvalidBrokerUrl::because(self::mask($url), sprintf('the scheme "%s" is not supported.', $parts['scheme']));
        }
        $path = trim($parts['path'] ?? '', '/');
        if ($path !== '' && !ctype_digit($path)) {
            throw InvalidBrokerUrl::because(self::mask($url), sprintf('the database "%s" is not a number.', $path));
        }
        return new self(
            $parts['scheme'],
            $parts['host'],
            $parts['port'] ?? 6379,
            $path === '' ? 0 : (int) $path,
            isset($parts['user']) && $parts['user'] !== '' ? rawurldecode($parts['user']) : null,
            isset($parts['pass']) ? rawurldecode($parts['pass']) : null,
        );
    }

    public function __toString(): string
    {
        $auth = match (true) {
            $this->password !== null => ($this->username ?? '') . ':****@',
            $this->username !== null => $this->username . '@',
            default => '',
        };
        return sprintf('%s://%s%s:%d/%d', $this->scheme, $auth, $this->host, $this->port, $this->database);
    }

    public function server(): string
    {
        return sprintf('%s:%d', $this->host, $this->port);
    }

    private static function mask(string $url): string
    {
        return (string) preg_replace('#(//[^:/@]*:)[^@/]*@#', '$1****@', $url);
    }
}
