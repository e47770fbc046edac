<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidBrokerUrl;
use CeleryBridge\Exception\InvalidConfiguration;

/**
 * TLS settings under redis-py's names, as Celery takes them from a `rediss://` query string or
 * from `broker_use_ssl` / `redis_backend_use_ssl`.
 */
final class TlsOptions
{
    public const REQUIRED = 'required';
    public const OPTIONAL = 'optional';
    public const NONE = 'none';

    /** The keys a URL query or a *_use_ssl array may hold (redis-py SSLConnection arguments). */
    public const KEYS = [
        'ssl_cert_reqs',
        'ssl_ca_certs',
        'ssl_ca_path',
        'ssl_certfile',
        'ssl_keyfile',
        'ssl_password',
        'ssl_check_hostname',
        'ssl_ciphers',
    ];

    private const CERT_REQS = [
        'required' => self::REQUIRED,
        'optional' => self::OPTIONAL,
        'none' => self::NONE,
        'CERT_REQUIRED' => self::REQUIRED,
        'CERT_OPTIONAL' => self::OPTIONAL,
        'CERT_NONE' => self::NONE,
    ];

    /** Kept wrapped: var_dump(), print_r(), var_export() and traces never show it. */
    private readonly ?\SensitiveParameterValue $keyPasswordSecret;

    /** ssl_password: the passphrase of ssl_keyfile. */
    public function keyPassword(): ?string
    {
        return $this->keyPasswordSecret?->getValue();
    }

    private function __construct(
        public readonly ?string $certReqs,
        public readonly ?string $caCerts,
        public readonly ?string $caPath,
        public readonly ?string $certFile,
        public readonly ?string $keyFile,
        #[\SensitiveParameter] ?string $keyPassword,
        public readonly ?bool $checkHostname,
        public readonly ?string $ciphers,
    ) {
        $this->keyPasswordSecret = $keyPassword === null ? null : new \SensitiveParameterValue($keyPassword);
    }

    /** No option given: what `rediss://` alone means is decided by the caller (kombu: CERT_NONE). */
    public static function none(): self
    {
        return new self(null, null, null, null, null, null, null, null);
    }

    /**
     * @param array<mixed> $options `ssl_*` keys; values as in Python (`ssl.CERT_REQUIRED` is 2) or as strings
     * @param string $setting where the options came from, for messages
     *
     * @throws InvalidConfiguration
     */
    public static function fromArray(#[\SensitiveParameter] array $options, string $setting): self
    {
        $unknown = array_diff(array_map('strval', array_keys($options)), self::KEYS);
        if ($unknown !== []) {
            throw InvalidConfiguration::unknownKey(
                sprintf('%s[%s] (a TLS option, redis-py names)', $setting, reset($unknown)),
                self::KEYS,
            );
        }
        return new self(
            isset($options['ssl_cert_reqs']) ? self::certReqs($options['ssl_cert_reqs'], $setting) : null,
            self::path($options, 'ssl_ca_certs', $setting),
            self::path($options, 'ssl_ca_path', $setting),
            self::path($options, 'ssl_certfile', $setting),
            self::path($options, 'ssl_keyfile', $setting),
            self::path($options, 'ssl_password', $setting),
            isset($options['ssl_check_hostname']) ? self::bool($options['ssl_check_hostname']) : null,
            self::path($options, 'ssl_ciphers', $setting),
        );
    }

    public function isEmpty(): bool
    {
        return $this == self::none();
    }

    /**
     * The TLS options of one rediss:// URL (or one with ssl_* options, or a *_use_ssl setting):
     * its query over the *_use_ssl setting, with Celery's defaults.
     *
     * @throws InvalidBrokerUrl
     */
    public static function forNode(Dsn $node, ConnectionOptions $options): self
    {
        $tls = ($node->tls ?? self::none())->over($options->tls ?? self::none());
        if ($tls->certReqs !== null) {
            return $tls;
        }
        if ($tls->isEmpty()) {
            // Celery's backend raises ValueError here. kombu's broker warns "Secure redis scheme
            // specified (rediss) with no ssl options, defaulting to insecure SSL behaviour" and
            // skips certificate checks: refused here too, so that nobody loses them unknowingly.
            throw InvalidBrokerUrl::because(
                (string) $node,
                sprintf(
                    'a rediss:// %s needs ssl_cert_reqs (required, optional or none) in the URL or in %s. '
                    . 'Without it Celery %s; add ?ssl_cert_reqs=required (with ssl_ca_certs if your CA is not '
                    . 'the system\'s), or ?ssl_cert_reqs=none to skip verification knowingly.',
                    $options->role->describe(),
                    $options->role->sslSetting(),
                    $options->role === Role::Backend ? 'raises ValueError' : '(kombu) would not verify the server certificate',
                ),
            );
        }
        // Options without ssl_cert_reqs keep redis-py's default, CERT_REQUIRED.
        return $tls->withCertReqs(self::REQUIRED);
    }

    /** Options set here win; the rest come from $defaults (a URL query over *_use_ssl). */
    public function over(self $defaults): self
    {
        return new self(
            $this->certReqs ?? $defaults->certReqs,
            $this->caCerts ?? $defaults->caCerts,
            $this->caPath ?? $defaults->caPath,
            $this->certFile ?? $defaults->certFile,
            $this->keyFile ?? $defaults->keyFile,
            $this->keyPassword() ?? $defaults->keyPassword(),
            $this->checkHostname ?? $defaults->checkHostname,
            $this->ciphers ?? $defaults->ciphers,
        );
    }

    public function withCertReqs(string $certReqs): self
    {
        return new self(
            $certReqs,
            $this->caCerts,
            $this->caPath,
            $this->certFile,
            $this->keyFile,
            $this->keyPassword(),
            $this->checkHostname,
            $this->ciphers,
        );
    }

    /**
     * PHP `ssl` stream context options with the same effect as redis-py's SSLConnection.
     *
     * redis-py defaults to CERT_REQUIRED with hostname checking. Python's CERT_OPTIONAL on a
     * client still verifies the certificate the server always sends, so it verifies here too.
     *
     * @return array<string, mixed>
     */
    public function streamContext(string $peerName): array
    {
        $context = [];
        if (($this->certReqs ?? self::REQUIRED) === self::NONE) {
            $context += ['verify_peer' => false, 'verify_peer_name' => false, 'allow_self_signed' => true];
        } else {
            // A stream opened as tcp:// and upgraded (Predis does that) knows no peer name: without
            // it, PHP would skip the name check silently.
            $context += [
                'verify_peer' => true,
                'verify_peer_name' => $this->checkHostname ?? true,
                'peer_name' => $peerName,
            ];
        }
        $context['SNI_enabled'] = true;
        $context['peer_name'] = $peerName;
        $optional = [
            'cafile' => $this->caCerts,
            'capath' => $this->caPath,
            'local_cert' => $this->certFile,
            'local_pk' => $this->keyFile,
            'passphrase' => $this->keyPassword(),
            'ciphers' => $this->ciphers,
        ];
        foreach ($optional as $key => $value) {
            if ($value !== null) {
                $context[$key] = $value;
            }
        }
        return $context;
    }

    /**
     * The options as a URL query would carry them, the key password masked.
     *
     * @return array<string, string>
     */
    public function toQuery(): array
    {
        $query = [
            'ssl_cert_reqs' => $this->certReqs,
            'ssl_ca_certs' => $this->caCerts,
            'ssl_ca_path' => $this->caPath,
            'ssl_certfile' => $this->certFile,
            'ssl_keyfile' => $this->keyFile,
            'ssl_password' => $this->keyPassword() === null ? null : '****',
            'ssl_check_hostname' => $this->checkHostname === null ? null : ($this->checkHostname ? 'true' : 'false'),
            'ssl_ciphers' => $this->ciphers,
        ];
        return array_filter($query, static fn (?string $v): bool => $v !== null);
    }

    /**
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return $this->toQuery();
    }

    private static function certReqs(#[\SensitiveParameter] mixed $value, string $setting): string
    {
        // Python's ssl.CERT_NONE/OPTIONAL/REQUIRED are 0/1/2: a config copied as numbers still works.
        $numeric = [0 => self::NONE, 1 => self::OPTIONAL, 2 => self::REQUIRED];
        if (is_int($value) && isset($numeric[$value])) {
            return $numeric[$value];
        }
        if (is_string($value) && isset(self::CERT_REQS[$value])) {
            return self::CERT_REQS[$value];
        }
        throw InvalidConfiguration::invalid(
            $setting . '[ssl_cert_reqs]',
            $value,
            'expected one of required, optional, none, CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE.',
        );
    }

    /**
     * @param array<mixed> $options
     */
    private static function path(#[\SensitiveParameter] array $options, string $key, string $setting): ?string
    {
        if (!isset($options[$key])) {
            return null;
        }
        if (!is_string($options[$key]) || $options[$key] === '') {
            throw InvalidConfiguration::invalid(
                $setting . '[' . $key . ']',
                $key === 'ssl_password' ? '****' : $options[$key],
                'expected a non-empty string.',
            );
        }
        return $options[$key];
    }

    /**
     * kombu reads ssl_check_hostname as "anything but false"; redis-py also knows 0, no, n, f.
     */
    public static function bool(#[\SensitiveParameter] mixed $value): bool
    {
        if (is_bool($value)) {
            return $value;
        }
        if (is_int($value)) {
            return $value !== 0;
        }
        return !in_array(strtolower(trim((string) $value)), ['false', '0', 'no', 'n', 'f', 'off'], true);
    }
}
