<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidBrokerUrl;

/**
 * One entry of a Celery Redis URL list cut into its parts the way Python's urllib.parse cuts it
 * for kombu and redis-py, refusing the shapes urllib would read silently wrong (a password with
 * an unencoded "#", "/" or "?", an IPv6 host without brackets). Dsn reads what the parts mean.
 *
 * @internal
 */
final class DsnSyntax
{
    private const SCHEME_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-';

    /**
     * @param string $url the whole URL, the only thing messages show (masked)
     * @return array{0: string, 1: ?string, 2: ?string, 3: string, 4: string, 5: string} scheme
     *         (lower-case), user name and password (percent-decoded), host and port text, path,
     *         query text
     * @throws InvalidBrokerUrl
     */
    public static function split(#[\SensitiveParameter] string $piece, Role $role, #[\SensitiveParameter] string $url): array
    {
        // scheme://rest, the scheme a letter then letters, digits, "+", "." or "-" (checked
        // without a regular expression, whose compile a fresh process would pay).
        $separator = strpos($piece, '://');
        $scheme = $separator === false ? '' : substr($piece, 0, $separator);
        if ($scheme === '' || !ctype_alpha($scheme[0]) || strspn($scheme, self::SCHEME_CHARACTERS) !== strlen($scheme)) {
            throw InvalidBrokerUrl::because($url, 'expected scheme://..., e.g. redis://host:6379/0.');
        }
        // urllib lower-cases the scheme.
        $scheme = strtolower($scheme);
        $rest = (string) substr($piece, $separator + 3);
        if (!in_array($scheme, ['redis', 'rediss', 'redis+socket', 'unix', 'sentinel'], true)) {
            throw InvalidBrokerUrl::unknownScheme($url, $scheme, $role->describe());
        }

        $fragment = strpos($rest, '#');
        if ($fragment !== false) {
            // urllib drops a fragment; one holding "@" is the rest of a password with a "#" in it,
            // and what stands before the "#" would be read as host and port.
            if (str_contains(substr($rest, $fragment), '@')) {
                throw InvalidBrokerUrl::because($url, 'an @ follows a #: the password holds an unencoded #.');
            }
            $rest = substr($rest, 0, $fragment);
        }
        $queryText = '';
        $questionMark = strpos($rest, '?');
        if ($questionMark !== false) {
            $queryText = substr($rest, $questionMark + 1);
            $rest = substr($rest, 0, $questionMark);
        }
        $slash = strpos($rest, '/');
        $netloc = $slash === false ? $rest : substr($rest, 0, $slash);
        $path = $slash === false ? '' : substr($rest, $slash);

        // As urllib: user info ends at the last "@", the password after the first ":".
        $at = strrpos($netloc, '@');
        $userinfo = $at === false ? null : substr($netloc, 0, $at);
        $hostinfo = $at === false ? $netloc : substr($netloc, $at + 1);
        if (str_contains($netloc, '[') !== str_contains($netloc, ']') && !str_starts_with($hostinfo, '[')) {
            // urllib refuses a netloc with one bracket ("Invalid IPv6 URL"), in the user info
            // too. (An IPv6 host left open is hostAndPort()'s to name.)
            throw InvalidBrokerUrl::because($url, 'a square bracket without its pair before the path: percent-encode '
                . 'it in a user name or password (%5B, %5D); only an IPv6 host is written in brackets.');
        }
        $username = null;
        $password = null;
        if ($userinfo !== null) {
            $colon = strpos($userinfo, ':');
            $username = rawurldecode($colon === false ? $userinfo : substr($userinfo, 0, $colon));
            $password = $colon === false ? null : rawurldecode(substr($userinfo, $colon + 1));
            $username = $username === '' ? null : $username;
            $password = $password === '' ? null : $password;
        }
        if ($at === false && self::atAfterHost($scheme, $netloc, $path, $queryText)) {
            // "redis://:pass/word@host": a password with an unencoded "/" or "?" ends the host
            // part early; the part before it would be read as a host and port.
            throw InvalidBrokerUrl::because($url, 'an @ follows the host part: the password holds an unencoded / or ?.');
        }
        return [$scheme, $username, $password, $hostinfo, $path, $queryText];
    }

    /**
     * Whether an "@" after a host part without one is the rest of a user info: in the path or
     * in a query value, except in an ssl_* file path (a certificate may be named user@host.pem).
     * A socket URL has no host part, so any text there followed by an "@" is a user info.
     */
    private static function atAfterHost(
        string $scheme,
        #[\SensitiveParameter] string $netloc,
        #[\SensitiveParameter] string $path,
        #[\SensitiveParameter] string $query,
    ): bool {
        if ($netloc === '' || (!str_contains($path, '@') && !str_contains($query, '@'))) {
            return false;
        }
        if ($scheme === 'redis+socket' || $scheme === 'unix' || str_starts_with($netloc, ':')) {
            return true;
        }
        if (!str_contains($netloc, ':')) {
            return false;
        }
        if (str_contains($path, '@')) {
            return true;
        }
        foreach (explode('&', $query) as $pair) {
            if (str_contains($pair, '@') && !str_starts_with(urldecode($pair), 'ssl_')) {
                return true;
            }
        }
        return false;
    }

    /**
     * The host (lower-cased and percent-decoded, as urllib's hostname) and the port (null when
     * none or 0) of the part after the user info.
     *
     * @return array{0: string, 1: ?int}
     */
    public static function hostAndPort(#[\SensitiveParameter] string $hostinfo, #[\SensitiveParameter] string $url): array
    {
        $portText = null;
        if (str_starts_with($hostinfo, '[')) {
            $close = strpos($hostinfo, ']');
            if ($close === false) {
                throw InvalidBrokerUrl::because($url, 'the IPv6 host has no closing "]".');
            }
            $host = substr($hostinfo, 1, $close - 1);
            $after = substr($hostinfo, $close + 1);
            if ($after !== '') {
                if (!str_starts_with($after, ':')) {
                    throw InvalidBrokerUrl::because($url, sprintf('unexpected "%s" after the IPv6 host.', $after));
                }
                $portText = substr($after, 1);
            }
        } else {
            $colon = strpos($hostinfo, ':');
            $host = $colon === false ? $hostinfo : substr($hostinfo, 0, $colon);
            $portText = $colon === false ? null : substr($hostinfo, $colon + 1);
        }
        $port = null;
        if ($portText !== null && $portText !== '') {
            if (!ctype_digit($portText) || (int) $portText > 65535) {
                throw InvalidBrokerUrl::because(
                    $url,
                    sprintf(
                        'the port "%s" is not a number from 1 to 65535%s.',
                        $portText,
                        str_contains($portText, ':') ? ' (put an IPv6 host in brackets: [::1]:6379)' : '',
                    ),
                );
            }
            $port = (int) $portText === 0 ? null : (int) $portText;
        }
        // urllib's hostname is lower-cased and percent-decoded.
        return [strtolower(rawurldecode($host)), $port];
    }
}
