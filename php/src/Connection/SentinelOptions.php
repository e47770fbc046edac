<?php

declare(strict_types=1);

namespace CeleryBridge\Connection;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Validation\Check;

/**
 * The Sentinel settings of a broker or backend: master_name, min_other_sentinels and
 * sentinel_kwargs (how to talk to the sentinels themselves), from the transport options.
 *
 * @internal
 */
final class SentinelOptions
{
    private const KWARGS = ['username', 'password', 'socket_timeout', 'socket_connect_timeout'];

    /** Kept wrapped: var_dump(), print_r(), var_export() and traces never show it. */
    private readonly ?\SensitiveParameterValue $passwordSecret;

    private function __construct(
        public readonly ?string $masterName,
        public readonly int $minOtherSentinels,
        public readonly ?string $username,
        #[\SensitiveParameter] ?string $password,
        public readonly ?float $connectTimeout,
        public readonly ?float $readTimeout,
    ) {
        $this->passwordSecret = $password === null ? null : new \SensitiveParameterValue($password);
    }

    /**
     * @param array<mixed> $transport broker_transport_options or result_backend_transport_options
     * @throws InvalidConfiguration naming the invalid key
     */
    public static function fromTransport(#[\SensitiveParameter] array $transport, string $transportKey): self
    {
        $masterName = $transport['master_name'] ?? null;
        if ($masterName !== null && (!is_string($masterName) || $masterName === '')) {
            throw InvalidConfiguration::invalid($transportKey . '[master_name]', $masterName, 'expected the name the sentinels monitor.');
        }
        $minOther = Check::setting()->count($transportKey . '[min_other_sentinels]', $transport['min_other_sentinels'] ?? 0);
        $sentinelKwargs = $transport['sentinel_kwargs'] ?? [];
        if (!is_array($sentinelKwargs)) {
            throw InvalidConfiguration::invalid($transportKey . '[sentinel_kwargs]', $sentinelKwargs, 'expected an array.');
        }
        foreach (array_keys($sentinelKwargs) as $key) {
            if (!in_array($key, self::KWARGS, true)) {
                throw InvalidConfiguration::unknownKey(sprintf('%s[sentinel_kwargs][%s]', $transportKey, $key), self::KWARGS);
            }
        }
        foreach (['username', 'password'] as $key) {
            if (isset($sentinelKwargs[$key]) && !is_string($sentinelKwargs[$key])) {
                throw InvalidConfiguration::invalid(
                    sprintf('%s[sentinel_kwargs][%s]', $transportKey, $key),
                    $key === 'password' ? '****' : $sentinelKwargs[$key],
                    'expected a string.',
                );
            }
        }

        return new self(
            $masterName,
            $minOther,
            $sentinelKwargs['username'] ?? null,
            $sentinelKwargs['password'] ?? null,
            Check::setting()->secondsIn($sentinelKwargs, 'socket_connect_timeout', $transportKey . '[sentinel_kwargs]'),
            Check::setting()->secondsIn($sentinelKwargs, 'socket_timeout', $transportKey . '[sentinel_kwargs]'),
        );
    }

    /** sentinel_kwargs password, for AUTH on the sentinels. */
    public function password(): ?string
    {
        return $this->passwordSecret?->getValue();
    }

    /**
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        $info = get_object_vars($this);
        unset($info['passwordSecret']);
        $info['password'] = $this->password() === null ? null : '****';
        return $info;
    }
}
