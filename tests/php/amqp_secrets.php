<?php

// Every channel a password could leak through, for a client on an AMQP broker URL: the
// exception of a failed connect (with its previous ones and traces, arguments included) and
// var_dump / print_r / var_export / serialize of a client that has published. Prints everything
// to stdout; tests/over_amqp greps it. Environment: CB_GOOD_URL, CB_BAD_URL.

declare(strict_types=1);

ini_set('zend.exception_ignore_args', '0');

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

try {
    (new CeleryClient((string) getenv('CB_BAD_URL'), null, ['task_publish_retry' => false]))->sendTask('tasks.add', [1, 2]);
} catch (CeleryBridgeException $e) {
    echo (string) $e, "\n";
    for ($p = $e->getPrevious(); $p !== null; $p = $p->getPrevious()) {
        echo (string) $p, "\n";
    }
}
$client = new CeleryClient((string) getenv('CB_GOOD_URL'));
$client->sendTask('tasks.add', [1, 2], [], ['queue' => 'amqp_secrets']);
var_dump($client);
print_r($client);
echo "\n";
var_export($client);
echo "\n";
