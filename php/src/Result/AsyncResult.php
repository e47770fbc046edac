<?php

declare(strict_types=1);

namespace CeleryBridge\Result;

use CeleryBridge\Control\WorkerControl;
use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\InvalidControlCommand;
use CeleryBridge\Exception\InvalidTimeout;
use CeleryBridge\Exception\NoResultBackend;
use CeleryBridge\Exception\NoWorkerControl;
use CeleryBridge\Exception\ResultTimeout;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;

/**
 * A handle on one task's result, with the methods of Celery's AsyncResult.
 *
 * Only the id matters: keep `$result->id` and rebuild the handle later with
 * `$celery->result($id)`. A handle survives serialize() as its id and its parents only
 * (SerializedResult): reading an unserialized handle throws NoResultBackend, which says so.
 *
 * Once the task is ready (SUCCESS, FAILURE, REVOKED) its meta is kept, so asking again costs
 * no round trip; earlier states are read fresh every time.
 */
final class AsyncResult
{
    /** Restored by unserialize(): there is no client to read through. */
    private bool $detached = false;

    /**
     * @param AsyncResult|GroupResult|null $parent the previous step when this task is a chain step
     *        (a chord body's parent is the header's GroupResult), as Celery's AsyncResult.parent
     * @param WorkerReach|WorkerControl|null $control how revoke() reaches the workers (a client's
     *        WorkerReach makes the WorkerControl on first use). WorkerReach comes first: PHP checks
     *        a union's classes in order, and an unloaded WorkerControl would be looked up each time.
     * @param Dispatch|string|null $dispatch how the client sent it (ResultHandles makes it; a queue name: sent there)
     */
    public function __construct(
        public readonly string $id,
        private readonly ?ResultStore $backend = null,
        public readonly AsyncResult|GroupResult|null $parent = null,
        private readonly WorkerReach|WorkerControl|null $control = null,
        private readonly Dispatch|string|null $dispatch = null,
    ) {
    }

    /**
     * The handle of a task just sent (ResultHandles::sent()): a copy of $model, a handle model()
     * made without an id, with $id. A copy skips the constructor's checks of each argument's and
     * property's type (a class lookup each): this runs for every task sent.
     *
     * @internal
     */
    public static function copyOf(self $model, string $id): self
    {
        $result = clone $model;
        $result->id = $id;
        return $result;
    }

    /**
     * What copyOf() copies: a handle with everything but its id, not to be used itself.
     *
     * @internal
     */
    public static function model(?ResultStore $backend, WorkerReach|WorkerControl|null $control, Dispatch|string $dispatch): self
    {
        $model = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $model->backend = $backend;
        $model->parent = null;
        $model->control = $control;
        $model->dispatch = $dispatch;
        return $model;
    }

    /**
     * Tells the workers to discard this task, or with $terminate to kill the process running
     * it (see CeleryClient::revoke()).
     *
     * @return int how many workers heard it
     * @throws NoWorkerControl|InvalidControlCommand|ConnectionFailed
     */
    public function revoke(bool $terminate = false, string|int $signal = 'SIGTERM'): int
    {
        $control = $this->control ?? throw NoWorkerControl::forTask($this->id);
        return ($control instanceof WorkerReach ? $control->control() : $control)->revoke($this->id, $terminate, $signal);
    }

    /**
     * PENDING, RECEIVED, STARTED, RETRY, SUCCESS, FAILURE, REVOKED, or a state of the task's own
     * (update_state()). PENDING also means "unknown id" or "result expired".
     *
     * @throws ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function state(): string
    {
        return $this->meta()->status;
    }

    /** Celery's older name for state(). */
    public function status(): string
    {
        return $this->state();
    }

    public function ready(): bool
    {
        return $this->meta()->isReady();
    }

    public function successful(): bool
    {
        return $this->meta()->status === State::SUCCESS;
    }

    public function failed(): bool
    {
        return $this->meta()->status === State::FAILURE;
    }

    /**
     * Waits for the task to be ready and returns its value.
     *
     * @param float|null $timeout seconds (0: read the stored result once); null, INF or 1e9 and more
     *        wait without limit (WaitTime)
     * @param bool $propagate false returns the ExceptionInfo of a failed or revoked task instead of
     *        throwing (or what it stored, when that is not an exception description)
     * @param bool $followParents as Celery's follow_parents (on by default): when an earlier step
     *        of its chain, or a task of its chord's header, failed, that failure is thrown, not
     *        this task's own (which is then a ChordError, or a chain step that never ran)
     * @param (callable(ResultMeta): void)|null $onMessage Celery's on_message: called with each
     *        state stored for the task while this waits (STARTED, RETRY, a custom state such as
     *        update_state(state='PROGRESS', meta=...), and the final one), each state once
     * @throws TaskFailed when the task raised (state FAILURE)
     * @throws TaskRevoked when the task was revoked or had expired (state REVOKED)
     * @throws ResultTimeout when $timeout passed first
     * @throws InvalidTimeout for a negative or NAN timeout
     * @throws ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function get(?float $timeout = null, bool $propagate = true, bool $followParents = true, ?callable $onMessage = null): mixed
    {
        if ($this->ignored()) {
            // As Celery's client: nothing will be stored, so there is nothing to wait for.
            return null;
        }
        $timeout = WaitTime::seconds($timeout);
        $wait = new ResultWait($this->backend(), $this, $this->control, $this->dispatch);
        return $wait->value($timeout, $propagate, $followParents, $onMessage);
    }

    /**
     * The stored value without waiting: the return value, the ExceptionInfo of a FAILURE, RETRY
     * or REVOKED task, `{pid, hostname}` while STARTED, null while PENDING.
     */
    public function result(): mixed
    {
        return $this->meta()->result;
    }

    /**
     * Celery's AsyncResult.info: what the task stored with its state. For a state of the task's
     * own, the meta it gave: after `self.update_state(state='PROGRESS', meta={'done': 3,
     * 'total': 10})`, state() is "PROGRESS" and info() is ['done' => 3, 'total' => 10]. For the
     * built-in states it is result(): the return value, the ExceptionInfo of a failure, ...
     *
     * @throws ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function info(): mixed
    {
        return $this->meta()->result;
    }

    /** The Python traceback text of a failed (or retried) task. */
    public function traceback(): ?string
    {
        return $this->meta()->traceback;
    }

    /** When the task became ready, with the worker's offset (UTC by default). */
    public function dateDone(): ?\DateTimeImmutable
    {
        return $this->meta()->dateDone;
    }

    // name() to queue(): stored only when the worker has result_extended (null otherwise).

    public function name(): ?string
    {
        return $this->meta()->name;
    }

    /** The positional arguments. */
    public function args(): mixed
    {
        return $this->meta()->args;
    }

    /** The keyword arguments. */
    public function kwargs(): mixed
    {
        return $this->meta()->kwargs;
    }

    /** The worker's node name. */
    public function worker(): ?string
    {
        return $this->meta()->worker;
    }

    public function retries(): ?int
    {
        return $this->meta()->retries;
    }

    /** The queue (routing key) the task came from. */
    public function queue(): ?string
    {
        return $this->meta()->queue;
    }

    /**
     * Everything stored for the task, decoded.
     *
     * @throws ConnectionFailed|CorruptResult|NoResultBackend
     */
    public function meta(): ResultMeta
    {
        return $this->backend()->metaOf($this);
    }

    /**
     * Deletes the stored result (Celery's forget()); afterwards the state reads PENDING.
     *
     * @throws ConnectionFailed|NoResultBackend
     */
    public function forget(): void
    {
        $this->backend()->forgetResult($this);
    }

    /**
     * @internal where ResultSet reads this handle's state
     * @throws NoResultBackend
     */
    public function backend(): ResultStore
    {
        return $this->backend ?? throw NoResultBackend::forTask($this->id, $this->detached);
    }

    /**
     * The tasks and groups this task started (Celery's AsyncResult.children): handles, read from
     * the stored result; empty while it is not ready or started none.
     *
     * @return list<AsyncResult|GroupResult>
     * @throws ConnectionFailed|CorruptResult|NoResultBackend|ResultTooLarge
     */
    public function children(): array
    {
        return ResultTuple::children($this->meta()->children ?? [], $this->backend(), $this->control, $this->id);
    }

    /**
     * Celery's as_tuple(): ((id, parent tuple), None), what a saved group holds for a task.
     * @internal
     * @return array{array{string, array<mixed>|null}, null}
     */
    public function asTuple(): array
    {
        return [[$this->id, $this->parent?->asTuple()], null];
    }

    /**
     * Whether the task was sent with ignore_result: get() then returns null at once, as in
     * Celery (a task whose own ignore_result is set is not known here, and get() waits).
     */
    public function ignored(): bool
    {
        return $this->dispatch instanceof Dispatch && $this->dispatch->ignored;
    }

    /** @return array{id: string, parent: AsyncResult|GroupResult|null} what the chain needs, no connection */
    public function __serialize(): array
    {
        return ['id' => $this->id, 'parent' => $this->parent];
    }

    /** @param array<string, mixed> $data what __serialize() wrote, checked by SerializedResult */
    public function __unserialize(array $data): void
    {
        [$this->id, $this->parent] = SerializedResult::task($data);
        $this->backend = null;
        $this->control = null;
        $this->dispatch = null;
        $this->detached = true;
    }
}
