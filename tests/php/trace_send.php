<?php

// tests/test_trace_propagation.py: sends tasks.add carrying the trace CB_TRACEPARENT (W3C
// traceparent) through a before-publish hook, and prints its value.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Message\TraceContext;

$celery = client_from_env();
$trace = TraceContext::fromTraceparent((string) getenv('CB_TRACEPARENT'));
$celery->beforePublish(fn () => $trace->headers());
echo json_encode($celery->sendTask('tasks.add', [2, 3])->get(timeout: 15.0));
