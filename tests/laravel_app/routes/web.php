<?php

declare(strict_types=1);

use CeleryBridge\CeleryClientInterface;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Laravel\Celery;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Route;

// Through the facade: send, wait, answer.
Route::get('/add', static function (Request $request) {
    $result = Celery::sendTask('tasks.add', [(int) $request->query('x'), (int) $request->query('y')]);
    return ['id' => $result->id, 'value' => $result->get(timeout: 20.0)];
});

// Through the container, as a controller gets it: a remote failure.
Route::get('/fail', static function (CeleryClientInterface $celery) {
    try {
        $celery->sendTask('tasks.fail', ['from laravel'], options: ['queue' => 'celery'])->get(timeout: 20.0);
        return ['failed' => false];
    } catch (TaskFailed $e) {
        return ['failed' => true, 'type' => $e->remoteType(), 'message' => $e->remoteMessage()];
    }
});

// What the worker received, the headers of config/celery.php's before_publish hook included.
Route::get('/echo', static function (CeleryClientInterface $celery) {
    return $celery->sendTask('tasks.echo', ['hooked'])->get(timeout: 20.0);
});

// Resolves the client and sends nothing: no connection may be opened.
Route::get('/nothing', static function (CeleryClientInterface $celery) {
    return ['client' => get_class($celery)];
});
