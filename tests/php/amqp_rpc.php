<?php

// The PHP side of tests/over_amqp/test_amqp_rpc_results.py: a CeleryClient on the RabbitMQ broker
// CELERY_BROKER_URL with result_backend rpc:// (CB_BACKEND_ARG=1: as the constructor's backend
// argument, else in the config) runs the scenario CB_SCENARIO in one process and prints one JSON
// object per step:
//   success  add(2, 3): get(), then ready/state/successful/result
//   failure  fail("boom"): get() throws TaskFailed with the remote exception
//   revoked  add(1, 2) with countdown 3 and expires 2: the worker revokes it on time, get() throws TaskRevoked
//   timeout  sleep(3) read with get(0.5) (ResultTimeout naming the id), then with get(30)
//   patient  two sleep(CB_SLEEP, 2.5) read with get() and get(30), longer than the read timeout or heartbeat (CB_CONFIG)
//   order    add(1, 1) then sleep(1); the second read first, the first then from what was kept (timeout 0)
//   deleted  add(1, 2) read; the reply queue deleted behind the client's back; add(3, 4) without retries read
//   progress tasks.progress_steps read with get(onMessage): every PROGRESS state, then SUCCESS
//   group    a group of three adds, read with GroupResult::get(); a chain; a chain whose first step fails
//   chord    a chord (and a group chained with a task) to queue CB_QUEUE: refused, nothing published;
//            a group's save() and restoreGroup() refused
//   send     add(4, 4) only, the process ends without reading; prints the oid (the reply queue)
//   secrets  a refused connect (CB_BAD_URL) and dumps of a client that read a result, for the password
//   redis    the broker is CELERY_REDIS_URL: refused at construction
// Each step: {"step": ..., ...} or {"step": ..., "error": class, "message": ...}.

declare(strict_types=1);

require __DIR__ . '/bootstrap.php';

use CeleryBridge\Canvas\Chain;
use CeleryBridge\Canvas\Chord;
use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;

$config = json_decode((string) (getenv('CB_CONFIG') ?: '{}'), true, 512, JSON_THROW_ON_ERROR);
$scenario = (string) getenv('CB_SCENARIO');
$queue = (string) (getenv('CB_QUEUE') ?: 'celery');

$step = static function (string $name, \Closure $run): void {
    try {
        $out = ['step' => $name] + $run();
    } catch (TaskFailed $e) {
        $out = ['step' => $name, 'error' => $e::class, 'message' => $e->getMessage(), 'task_id' => $e->taskId,
            'remote_type' => $e->remoteType(), 'remote_message' => $e->remoteMessage()];
    } catch (TaskRevoked $e) {
        $out = ['step' => $name, 'error' => $e::class, 'message' => $e->getMessage(), 'task_id' => $e->taskId];
    } catch (ResultTimeout $e) {
        $out = ['step' => $name, 'error' => $e::class, 'message' => $e->getMessage(), 'states' => $e->states];
    } catch (CeleryBridgeException $e) {
        $out = ['step' => $name, 'error' => $e::class, 'message' => $e->getMessage()];
    }
    echo json_encode($out), "\n";
};

$celery = null;
$step('client', static function () use (&$celery, $config, $scenario): array {
    $broker = $scenario === 'redis' ? (string) getenv('CELERY_REDIS_URL') : (string) getenv('CELERY_BROKER_URL');
    $celery = getenv('CB_BACKEND_ARG') === '1'
        ? new CeleryClient($broker, 'rpc://', $config)
        : new CeleryClient($broker, null, $config + ['result_backend' => 'rpc://']);
    return [];
});
if ($celery === null) {
    exit(0);
}

$add = static fn (int $x, int $y): Signature => new Signature('tasks.add', [$x, $y]);

match ($scenario) {
    'success' => $step('success', static function () use ($celery): array {
        $r = $celery->sendTask('tasks.add', [2, 3]);
        $value = $r->get(timeout: 30.0);
        return ['id' => $r->id, 'result' => $value, 'ready' => $r->ready(), 'state' => $r->state(),
            'successful' => $r->successful(), 'stored' => $r->result()];
    }),
    'failure' => $step('failure', static function () use ($celery): array {
        $r = $celery->sendTask('tasks.fail', ['boom']);
        echo json_encode(['step' => 'sent', 'id' => $r->id]), "\n";
        $r->get(timeout: 30.0);
        return [];
    }),
    'revoked' => $step('revoked', static function () use ($celery): array {
        $r = $celery->sendTask('tasks.add', [1, 2], [], ['countdown' => 3, 'expires' => 2]);
        echo json_encode(['step' => 'sent', 'id' => $r->id]), "\n";
        $r->get(timeout: 30.0);
        return [];
    }),
    'timeout' => (static function () use ($celery, $step): void {
        $r = $celery->sendTask('tasks.sleep', [3]);
        echo json_encode(['step' => 'sent', 'id' => $r->id]), "\n";
        $step('short', static fn (): array => ['result' => $r->get(timeout: 0.5)]);
        $step('long', static fn (): array => ['result' => $r->get(timeout: 30.0), 'state' => $r->state()]);
    })(),
    'patient' => (static function () use ($celery, $step): void {
        // Both sent first: only the result connection is used while the tasks run.
        $seconds = (float) (getenv('CB_SLEEP') ?: 2.5);
        [$first, $second] = [$celery->sendTask('tasks.sleep', [$seconds]), $celery->sendTask('tasks.sleep', [$seconds])];
        $step('no_limit', static fn (): array => ['result' => $first->get()]);
        $step('limit', static fn (): array => ['result' => $second->get(timeout: 30.0)]);
    })(),
    'order' => (static function () use ($celery, $step): void {
        $first = $celery->sendTask('tasks.add', [1, 1]);
        $second = $celery->sendTask('tasks.sleep', [1]);
        $step('second', static fn (): array => ['result' => $second->get(timeout: 30.0)]);
        // The first result came while waiting for the second one: it was kept for its handle.
        $step('first', static fn (): array => ['result' => $first->get(timeout: 0), 'state' => $first->state()]);
        // A handle made from the id alone finds it too.
        $step('by_id', static fn (): array => ['state' => $celery->result($first->id)->state()]);
    })(),
    'deleted' => (static function () use ($celery, $step): void {
        $first = $celery->sendTask('tasks.add', [1, 2]);
        $step('first', static fn (): array => ['result' => $first->get(timeout: 30.0)]);
        // As an operator (or a broker restart) would: the reply queue goes, its consumer is cancelled.
        $backend = $first->backend();
        \assert($backend instanceof \CeleryBridge\Backend\RpcResultBackend);
        $url = \CeleryBridge\Connection\Amqp\AmqpUrl::fromString((string) getenv('CELERY_BROKER_URL'));
        $admin = new \PhpAmqpLib\Connection\AMQPStreamConnection($url->host, $url->port, $url->user, $url->password(), $url->vhost);
        $admin->channel()->queue_delete($backend->oid);
        $admin->close();
        // Without publish retries: the queue must be back before this publish, at once.
        $step('after', static fn (): array => ['result' => $celery->sendTask('tasks.add', [3, 4], [], ['retry' => false])
            ->get(timeout: 30.0)]);
    })(),
    'progress' => $step('progress', static function () use ($celery): array {
        // tasks.progress_steps stores PROGRESS {done: i, total: 3}, then waits for the gate (a Redis
        // list at CB_GATES_URL) before the next step: the callback opens it on each PROGRESS.
        $gates = redis_at((string) getenv('CB_GATES_URL'));
        $gate = (string) getenv('CB_GATE');
        $r = $celery->sendTask('tasks.progress_steps', [$gate, 3]);
        $seen = [];
        $value = $r->get(timeout: 30.0, onMessage: static function ($meta) use ($r, $gates, $gate, &$seen): void {
            $seen[] = [$meta->status, $meta->result, $r->state()];
            if ($meta->status === 'PROGRESS') {
                $gates->rPush($gate, 'go');
            }
        });
        return ['result' => $value, 'seen' => $seen];
    }),
    'group' => (static function () use ($celery, $add, $step): void {
        $step('group', static fn (): array => ['result' => $celery->send(new Group($add(1, 1), $add(2, 2), $add(3, 3)))
            ->get(timeout: 30.0)]);
        // Every step of a chain replies to this client (Celery freezes reply_to into each one).
        $step('chain', static function () use ($celery, $add): array {
            $last = $celery->send(new Chain($add(1, 2), new Signature('tasks.add', [10])));
            return ['result' => $last->get(timeout: 30.0), 'parent' => $last->parent?->get(timeout: 0)];
        });
        // A failed first step is what get() on the last one throws (follow_parents).
        $step('chain_failed', static fn (): array => ['result' => $celery->send(new Chain(
            new Signature('tasks.fail', ['first']),
            new Signature('tasks.add', [10]),
        ))->get(timeout: 30.0)]);
    })(),
    'chord' => (static function () use ($celery, $add, $queue, $step): void {
        $step('chord', static fn (): array => ['id' => $celery->send(
            new Chord(new Group($add(1, 1), $add(2, 2)), new Signature('tasks.xsum')),
            ['queue' => $queue],
        )->id]);
        $step('group_then_task', static fn (): array => ['id' => $celery->send(
            new Chain(new Group($add(1, 1), $add(2, 2)), new Signature('tasks.xsum')),
            ['queue' => $queue],
        )->id]);
        $step('many', static fn (): array => ['ids' => array_map(static fn ($r) => $r->id, $celery->sendMany([
            $add(5, 5),
            new Chord(new Group($add(1, 1)), new Signature('tasks.xsum')),
        ], ['queue' => $queue]))]);
        // A group itself is fine; storing it is not (GroupResult.save() / restore() in Celery).
        $group = $celery->send(new Group($add(1, 1)));
        $step('save', static function () use ($group): array {
            $group->save();
            return [];
        });
        $step('restore', static fn (): array => ['group' => $celery->restoreGroup($group->id)]);
    })(),
    'send' => $step('send', static function () use ($celery): array {
        $r = $celery->sendTask('tasks.add', [4, 4]);
        $backend = $r->backend();
        return ['id' => $r->id, 'oid' => $backend instanceof \CeleryBridge\Backend\RpcResultBackend ? $backend->oid : null];
    }),
    'secrets' => (static function () use ($celery, $config): void {
        // Every way a password could leak from the rpc result side: the failed connect of a
        // client whose first publish declares the reply queue, and dumps of a client that read a result.
        ini_set('zend.exception_ignore_args', '0');
        try {
            (new CeleryClient((string) getenv('CB_BAD_URL'), 'rpc://', $config + ['task_publish_retry' => false]))
                ->sendTask('tasks.add', [1, 2]);
        } catch (CeleryBridgeException $e) {
            for ($p = $e; $p !== null; $p = $p->getPrevious()) {
                echo json_encode(['step' => 'refused' . ($p === $e ? '' : '_previous'), 'text' => (string) $p]), "\n";
            }
        }
        $celery->sendTask('tasks.add', [1, 2])->get(timeout: 30.0);
        echo json_encode(['step' => 'dumps', 'text' => print_r($celery, true) . var_export($celery, true)]), "\n";
        ob_start();
        var_dump($celery);
        echo json_encode(['step' => 'var_dump', 'text' => (string) ob_get_clean()]), "\n";
    })(),
    default => null,
};
