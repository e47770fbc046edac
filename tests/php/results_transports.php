<?php

// The PHP side of tests/test_results_transports.py: `php results_transports.php CASE` reads
// results through the backend URL CELERY_RESULT_BACKEND (TLS, a Unix socket) or through a
// client object (CB_CLIENT: phpredis or predis, on port CB_PORT, database CB_DB).

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\CeleryClient;

$cases = [
    // One result waited for alone and three as a set.
    'through_url' => function (): array {
        $celery = client_from_env();
        $ids = [];
        for ($i = 0; $i < 3; $i++) {
            $ids[] = $celery->sendTask('tasks.identity', [$i])->id;
        }
        $single = $celery->sendTask('tasks.add', [40, 2])->get(timeout: 10.0);
        return ['single' => $single, 'many' => $celery->results($ids)->get(timeout: 10.0)];
    },
    'through_client_object' => function () use ($brokerUrl): array {
        $port = (int) getenv('CB_PORT');
        $db = (int) getenv('CB_DB');
        if (getenv('CB_CLIENT') === 'predis') {
            require_once 'Predis/Autoloader.php';
            Predis\Autoloader::register();
            $c = new Predis\Client(['host' => '127.0.0.1', 'port' => $port, 'database' => $db]);
        } else {
            $c = new Redis();
            $c->connect('127.0.0.1', $port);
            $c->select($db);
        }
        $celery = new CeleryClient(broker: $brokerUrl, backend: $c);
        $value = $celery->sendTask('tasks.add', [40, 2])->get(timeout: 10.0);
        // The client object stays usable for the application: it never entered subscribed mode.
        $c->set('celerybridge:after', 'ok');
        return [$value, $c->get('celerybridge:after')];
    },
];
echo json_encode($cases[$argv[1]]());
