<?php

declare(strict_types=1);

namespace CeleryBridge;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultSet;

/**
 * What an application does with Celery: send tasks and canvases, read their results, revoke.
 *
 * CeleryClient implements it over Redis or RabbitMQ; Testing\CeleryFake records the calls instead, so an
 * application that type-hints this interface can be tested without a broker.
 */
interface CeleryClientInterface
{
    /**
     * Sends one task by name, like Celery's app.send_task().
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $kwargs
     * @param array<string, mixed> $options Celery's apply_async option names
     * @throws CeleryBridgeException nothing is written to the broker when the input is invalid
     */
    public function sendTask(string $name, array $args = [], array $kwargs = [], array $options = []): AsyncResult;

    /**
     * Sends any canvas (a Signature, Chain, Group or Chord) with apply_async options laid over
     * it, with the meaning Celery gives them for that form (see each class's withOptions()).
     *
     * Every task id is chosen and every message built before the first one is written, so
     * invalid input writes nothing. A Signature gives its AsyncResult; a Chain gives its last
     * step's (earlier steps through `parent`), or a GroupResult when it ends in a group; a Group
     * gives a GroupResult; a Chord gives its body's result, whose parent is the header's
     * GroupResult. A chord first stores its size in the result backend, as Celery does.
     *
     * @param array<string, mixed> $options
     * @param list<mixed> $args partial arguments, as Celery's canvas.apply_async(args, kwargs)
     *        takes them (see Canvas::withPartial())
     * @param array<string, mixed> $kwargs partial keyword arguments
     * @throws CeleryBridgeException
     */
    public function send(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): AsyncResult|GroupResult;

    /**
     * Sends many canvases (Signatures, chains, groups, chords) in pipelined round trips, like
     * calling send() for each with the same options, only much faster.
     *
     * Every message is built before the first write, so invalid input writes nothing. They go
     * out in chunks of about CeleryClient::CHUNK messages, and a canvas never spans two chunks.
     * Redis: each chunk is one MULTI/EXEC, queued whole or not at all. RabbitMQ: each message of
     * a chunk is published on its own and the chunk's confirms are waited for once; a message
     * RabbitMQ nacks (not queued) is sent again under the retry policy. When a chunk fails, the
     * tasks known to be queued are queuedTaskIds() (earlier chunks; on RabbitMQ also the chunk's
     * confirmed ones), the others taskIds(); for PublishOutcomeUnknown the first of those
     * (uncertainTaskIds()) may or may not be queued (on Redis all of them or none), and the later
     * chunks were not sent. What may have been queued is never resent.
     *
     * @param iterable<Canvas> $canvases
     * @param array<string, mixed> $options apply_async options laid over each canvas
     * @return list<AsyncResult|GroupResult> in the order of $canvases
     * @throws CeleryBridgeException
     */
    public function sendMany(iterable $canvases, array $options = []): array;

    /**
     * A handle on a task's result from its id alone, e.g. one kept in a session or a database.
     */
    public function result(string $taskId): AsyncResult;

    /**
     * Handles on several results, read with one MGET and waited for with one subscription:
     * `$celery->results($ids)->get(timeout: 10.0)` gives the values in the order of the ids.
     *
     * @param list<string|AsyncResult> $tasks task ids or results
     */
    public function results(array $tasks): ResultSet;

    /**
     * The group a GroupResult::save() (here, or Python's GroupResult.save()) stored, rebuilt from
     * its id: Celery's GroupResult.restore(). Null when none was saved (or it expired).
     *
     * @throws CeleryBridgeException
     */
    public function restoreGroup(string $groupId): ?GroupResult;

    /**
     * Tells the workers to discard tasks, like Celery's app.control.revoke(). A revoked task
     * that has not started never runs and its state becomes REVOKED, also when a worker holds
     * it for its ETA; with $terminate the worker also sends $signal to the process running it
     * (prefork pool only: the solo pool runs tasks in the worker itself).
     *
     * Revocations live in the workers' memory: a worker that is not connected when this is
     * sent never hears it.
     *
     * @param string|list<string> $taskIds one id or several (one broadcast)
     * @param string|int $signal "SIGTERM", "TERM", "SIGKILL", ... or a number; used with $terminate
     * @param list<string>|null $destination only the workers with these node names ("celery@host")
     * @return int how many workers heard it (PUBLISH's receiver count); 0 means none did. Over
     *         RabbitMQ: 1 when at least one worker's mailbox queue got it (RabbitMQ does not count)
     * @throws CeleryBridgeException
     */
    public function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int;
}
