<?php

// tests/test_decode_bounds.py: for each case of CB_CASES (JSON, name => [how, id]) reads a result
// (get), its children or a saved group; prints the value's size or what was thrown.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Exception\CeleryBridgeException;

$celery = client_from_env();
$out = [];
foreach (json_decode(getenv('CB_CASES'), true) as $name => [$how, $id]) {
    try {
        $value = match ($how) {
            'get' => $celery->result($id)->get(timeout: 2.0),
            'children' => count($celery->result($id)->children()),
            'group' => count($celery->restoreGroup($id)->results),
        };
        $out[$name] = 'value: ' . json_encode(is_array($value) ? count($value) : $value);
    } catch (\Throwable $e) {
        $ours = $e instanceof CeleryBridgeException;
        $kind = ($ours ? '' : 'NOT OURS ') . (new \ReflectionClass($e))->getShortName();
        $out[$name] = $kind . ': ' . $e->getMessage();
    }
    unset($value);
}
echo json_encode($out, JSON_THROW_ON_ERROR);
