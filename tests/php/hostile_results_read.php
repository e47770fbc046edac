<?php

// tests/test_hostile_results.py: get() on each task id of CB_IDS (JSON, name => id); prints for
// each what came back (type and size) or what was thrown, and the memory the read peaked at.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Exception\CeleryBridgeException;

$celery = client_from_env();
$out = [];
foreach (json_decode(getenv('CB_IDS'), true) as $name => $id) {
    $before = memory_get_usage();
    memory_reset_peak_usage();
    try {
        $value = $celery->result($id)->get(timeout: 2.0);
        $outcome = 'value';
        $shape = get_debug_type($value) . (is_array($value) ? ':' . count($value) : '')
            . (is_string($value) ? ':' . strlen($value) : '');
    } catch (\Throwable $e) {
        $ours = $e instanceof CeleryBridgeException;
        $outcome = ($ours ? '' : 'NOT OURS ') . (new \ReflectionClass($e))->getShortName();
        $shape = $e->getMessage();
    }
    unset($value);
    $out[$name] = ['outcome' => $outcome, 'shape' => $shape, 'peak' => memory_get_peak_usage() - $before];
}
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE);
