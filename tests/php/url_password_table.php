<?php

// For each URL of a JSON list: builds a client from it (and, when that works, uses it) and runs
// the CLI in-process with it as --broker and --backend, plain and --json. Prints every message,
// every exception as a string (its trace) and all the CLI wrote: the pytest driver greps the
// output for the password. argv: autoload path, JSON file of URLs.

declare(strict_types=1);

require $argv[1];

use CeleryBridge\CeleryClient;
use CeleryBridge\Cli\Application;

$urls = json_decode((string) file_get_contents($argv[2]), true, 512, JSON_THROW_ON_ERROR);
$config = ['broker_connection_retry' => false, 'broker_transport_options' => ['master_name' => 'm']];
foreach ($urls as $i => $url) {
    echo "== url $i\n";
    try {
        $celery = new CeleryClient($url, $url, $config);
        echo "built: ", print_r($celery, true), "\n";
        $celery->queueLength('celery');
        echo "connected\n";
    } catch (\Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n", (string) $e, "\n";
    }
    foreach ([[], ['--json']] as $extra) {
        $out = fopen('php://memory', 'w+');
        $err = fopen('php://memory', 'w+');
        $code = (new Application($out, $err))->run([...$extra, '--broker', $url, '--backend', $url, 'queues']);
        rewind($out);
        rewind($err);
        echo "cli exit $code\nstdout: ", stream_get_contents($out), "\nstderr: ", stream_get_contents($err), "\n";
    }
}
echo "== done\n";
