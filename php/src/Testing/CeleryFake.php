<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

use CeleryBridge\Canvas\Canvas;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClientInterface;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Control\Broadcast;
use CeleryBridge\Exception\ExceptionInfo;
use CeleryBridge\Exception\InvalidCanvas;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\GroupResult;
use CeleryBridge\Result\ResultMeta;
use CeleryBridge\Result\ResultSet;
use CeleryBridge\Result\ResultTuple;
use CeleryBridge\Result\State;

/**
 * A CeleryClientInterface for an application's tests: it records every task and canvas instead
 * of writing to Redis, and gives back result handles whose outcome the test decides.
 *
 *     $celery = new CeleryFake();
 *     $celery->returns('tasks.add', 5);
 *     $app = new Checkout($celery);                        // the code under test
 *     $celery->assertSent('tasks.add', fn (SentTask $t) => $t->args === [2, 3]);
 *
 * Every message is built exactly as CeleryClient builds it (same validation, routing,
 * serializer): what the client would refuse, the fake refuses with the same exception. Give it
 * the same Celery settings as the real client, so that task_routes and defaults apply.
 *
 * Results read what the test set, for a task id or for every task of a name; anything else is
 * PENDING, and get() on it throws ResultTimeout at once (no worker will ever finish it).
 */
final class CeleryFake implements CeleryClientInterface
{
    use FakeAssertions;

    /** @var list<SentCanvas> */
    private array $canvases = [];

    /** @var list<string> */
    private array $revoked = [];

    private readonly FakeResultStore $store;
    private readonly Rehearsal $rehearsal;

    /**
     * @param array<string, mixed> $config the Celery settings the real client gets (validated as it
     *        validates them; broker_url and result_backend are accepted and never used)
     * @param bool $resultBackend false acts as a client without a result backend (chords are refused)
     */
    public function __construct(#[\SensitiveParameter] array $config = [], bool $resultBackend = true)
    {
        $this->store = new FakeResultStore();
        // The names of every Celery era, as the client reads them.
        $config = ClientConfig::fromArray(ClientConfig::withCeleryNames($config));
        $this->rehearsal = new Rehearsal($config, $this->store, $resultBackend);
    }

    public function sendTask(string $name, array $args = [], array $kwargs = [], array $options = []): AsyncResult
    {
        $result = $this->send(new Signature($name, $args, $kwargs, $options));
        \assert($result instanceof AsyncResult);
        return $result;
    }

    public function send(Canvas $canvas, array $options = [], array $args = [], array $kwargs = []): AsyncResult|GroupResult
    {
        return $this->record($this->rehearsal->rehearse($canvas, $options, $args, $kwargs));
    }

    public function sendMany(iterable $canvases, array $options = []): array
    {
        // As the client: every message is built before any is "written", so a bad one records none.
        $rehearsed = [];
        foreach ($canvases as $canvas) {
            if (!$canvas instanceof Canvas) {
                throw InvalidCanvas::notACanvas(get_debug_type($canvas));
            }
            $rehearsed[] = $this->rehearsal->rehearse($canvas, $options);
        }
        return array_map($this->record(...), $rehearsed);
    }

    public function result(string $taskId): AsyncResult
    {
        return new AsyncResult($taskId, $this->store);
    }

    public function results(array $tasks): ResultSet
    {
        return new ResultSet(array_values(array_map(
            fn (string|AsyncResult $task): AsyncResult => $task instanceof AsyncResult ? $task : $this->result($task),
            $tasks,
        )));
    }

    public function restoreGroup(string $groupId): ?GroupResult
    {
        $tuple = $this->store->group($groupId);
        if ($tuple === null) {
            return null;
        }
        $result = ResultTuple::toResult($tuple, $this->store, null, $groupId);
        return $result instanceof GroupResult ? $result : null;
    }

    /**
     * Records the revocation; the tasks read REVOKED afterwards, as a worker stores it for a
     * task it had not started. Returns 1: one worker heard it.
     */
    public function revoke(
        string|array $taskIds,
        bool $terminate = false,
        string|int $signal = 'SIGTERM',
        ?array $destination = null,
    ): int {
        // The client's own command: the same arguments are refused with the same exception.
        Broadcast::revoke($taskIds, $terminate, $signal, $destination);
        foreach (is_string($taskIds) ? [$taskIds] : $taskIds as $id) {
            $this->revoked[] = $id;
            $this->store->set(new ResultMeta($id, State::REVOKED, new ExceptionInfo('TaskRevokedError', 'celery.exceptions', ['revoked'])));
        }
        return 1;
    }

    // What the tasks return --------------------------------------------------------------------

    /**
     * Every task of this name succeeds with $value (or what $value(SentTask) returns), those
     * sent before this call too.
     */
    public function returns(string $task, mixed $value): self
    {
        $this->store->outcome($task, $value);
        return $this;
    }

    /**
     * Every task of this name fails: get() throws TaskFailed with this remote type and message,
     * as for a Python `raise module.Type(message)`.
     */
    public function fails(string $task, string $type, string $message = '', ?string $module = 'builtins'): self
    {
        $this->store->outcome($task, FakeResultStore::failure('', $type, $message, $module));
        return $this;
    }

    /** Every task of this name stays PENDING (the default): get() throws ResultTimeout. */
    public function pending(string $task): self
    {
        $this->store->outcome($task, null, pending: true);
        return $this;
    }

    /** This one task succeeded with $value. */
    public function succeedTask(string $taskId, mixed $value): self
    {
        $this->store->set(new ResultMeta($taskId, State::SUCCESS, $value));
        return $this;
    }

    /** This one task failed with this remote exception. */
    public function failTask(string $taskId, string $type, string $message = '', ?string $module = 'builtins'): self
    {
        $this->store->set(FakeResultStore::failure($taskId, $type, $message, $module));
        return $this;
    }

    // What was sent ----------------------------------------------------------------------------

    /**
     * The task messages sent, in order, all or those of one task name.
     *
     * @return list<SentTask>
     */
    public function sent(?string $task = null): array
    {
        $all = array_merge([], ...array_map(static fn (SentCanvas $c): array => $c->tasks, $this->canvases));
        return $task === null ? $all : array_values(array_filter($all, static fn (SentTask $t): bool => $t->name === $task));
    }

    /**
     * Every send(), sendTask() and canvas of a sendMany(), in order.
     *
     * @return list<SentCanvas>
     */
    public function canvases(): array
    {
        return $this->canvases;
    }

    /**
     * @return list<string> the task ids revoked, in order
     */
    public function revoked(): array
    {
        return $this->revoked;
    }

    /**
     * Forgets what was sent, revoked and set, e.g. between two requests of one test.
     */
    public function reset(): void
    {
        [$this->canvases, $this->revoked] = [[], []];
        $this->store->forgetSent();
    }

    /**
     * @param array{SentCanvas, array<array-key, GroupResult>, array<string, string>} $rehearsed
     */
    private function record(array $rehearsed): AsyncResult|GroupResult
    {
        [$canvas, $savedGroups, $names] = $rehearsed;
        $this->canvases[] = $canvas;
        $this->store->sent($names, $canvas->tasks);
        foreach ($savedGroups as $groupId => $header) {
            $this->store->saveGroup((string) $groupId, $header->asTuple());
        }
        return $canvas->result;
    }
}
