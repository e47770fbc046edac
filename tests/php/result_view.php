<?php

// Helpers for tests/test_results.py: view() describes a PHP value as JSON with its PHP type
// (so Python checks both), out() prints JSON, failure() describes an exception.

declare(strict_types=1);

function view(mixed $v): mixed
{
    return match (true) {
        $v === null => ['null' => null],
        is_bool($v) => ['bool' => $v],
        is_int($v) => ['int' => $v],
        is_float($v) => ['float' => is_nan($v) ? 'nan' : (is_infinite($v) ? ($v > 0 ? 'inf' : '-inf') : $v)],
        is_string($v) => ['string' => base64_encode($v)],
        is_array($v) && array_is_list($v) => ['list' => array_map('view', $v)],
        is_array($v) => ['map' => array_map('view', $v)],
        $v instanceof \DateTimeImmutable => ['datetime' => $v->format('Y-m-d\TH:i:s.uP')],
        default => ['other' => get_debug_type($v)],
    };
}
function out(mixed $data): void
{
    echo json_encode($data, JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION);
}
/** What $call threw when it is a $class (anything else goes on up); null when $call returned. */
function thrown(callable $call, string $class): ?\Throwable
{
    try {
        $call();
        return null;
    } catch (\Throwable $e) {
        if (!$e instanceof $class) {
            throw $e;
        }
        return $e;
    }
}
function failure(\Throwable $e): array
{
    $data = ['class' => $e::class, 'bridge' => $e instanceof CeleryBridge\Exception\CeleryBridgeException,
        'message' => $e->getMessage()];
    if ($e instanceof CeleryBridge\Exception\TaskFailed) {
        $data += ['type' => $e->remoteType(), 'module' => $e->remoteModule(), 'args' => $e->remoteArgs(),
            'text' => $e->remoteMessage(), 'traceback' => $e->remoteTraceback()];
    }
    if ($e instanceof CeleryBridge\Exception\TaskRevoked) {
        $data += ['reason' => $e->reason(), 'type' => $e->info?->type];
    }
    return $data;
}
