<?php

// The password of an AMQP broker URL through remote control, queue tools and the event stream,
// on both PHP AMQP libraries: the exceptions of a refused connection (previous ones and traces
// included) and var_dump / print_r / var_export of a client that used them. Prints everything;
// tests/over_amqp/test_amqp_control.py greps it. Environment: CB_GOOD_URL, CB_BAD_URL.

declare(strict_types=1);

ini_set('zend.exception_ignore_args', '0');

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;

foreach (['php-amqplib', 'ext-amqp'] as $library) {
    try {
        (new CeleryClient((string) getenv('CB_BAD_URL'), null, ['amqp_client' => $library]))->queueLength('x');
    } catch (CeleryBridgeException $e) {
        for ($p = $e; $p !== null; $p = $p->getPrevious()) {
            echo (string) $p, "\n";
        }
    }
    $client = new CeleryClient((string) getenv('CB_GOOD_URL'), null, ['amqp_client' => $library]);
    $client->control()->ping(timeout: 0.2);
    $client->queueLength('amqp_secrets_tools');
    $events = $client->events(timeout: 0.2);
    echo "DUMPS\n";
    var_dump($client, $events);
    print_r($client);
    echo "\n";
    var_export($client);
    echo "\n";
    iterator_to_array($events);
}
