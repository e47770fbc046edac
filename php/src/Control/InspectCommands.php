<?php

declare(strict_types=1);

namespace CeleryBridge\Control;

use CeleryBridge\Exception\ConnectionFailed;
use CeleryBridge\Exception\InvalidControlCommand;

/**
 * The typed commands of `celery inspect`, each a named method of WorkerControl: what the
 * workers run, hold, know and remember, their statistics, settings and memory. Each asks
 * through WorkerControl::inspect() and reads the answers with InspectReplies.
 *
 * @internal used by WorkerControl only; its methods are WorkerControl's public API.
 */
trait InspectCommands
{
    /**
     * @param list<string>|null $destination
     * @param array<string, mixed> $arguments
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    abstract public function inspect(string $method, float $timeout, ?array $destination, ?int $limit, array $arguments): array;

    /**
     * What each worker is running (inspect active), as typed entries: id, name, args and their
     * repr, the worker, when it started. $safe asks for the reprs the messages carried instead
     * of the values (Celery's active(safe=True)).
     *
     * @param list<string>|null $destination
     * @return array<string, list<TaskInfo>> node => its tasks
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function active(float $timeout = 1.0, ?array $destination = null, ?int $limit = null, ?bool $safe = null): array
    {
        return InspectReplies::tasks($this->inspect('active', $timeout, $destination, $limit, ['safe' => $safe]));
    }

    /**
     * Tasks each worker has prefetched and not started (inspect reserved).
     *
     * @param list<string>|null $destination
     * @return array<string, list<TaskInfo>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function reserved(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return InspectReplies::tasks($this->inspect('reserved', $timeout, $destination, $limit));
    }

    /**
     * Tasks each worker holds until their eta / countdown (inspect scheduled), with eta and priority.
     *
     * @param list<string>|null $destination
     * @return array<string, list<TaskInfo>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function scheduled(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return InspectReplies::tasks($this->inspect('scheduled', $timeout, $destination, $limit));
    }

    /**
     * Where each worker has these tasks (inspect query_task): node => task id => [state, info],
     * state one of "active", "reserved", "scheduled", "ready". Unknown ids are left out.
     *
     * @param list<string> $taskIds
     * @param list<string>|null $destination
     * @return array<string, array<string, array{string, TaskInfo}>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function queryTask(array $taskIds, float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return InspectReplies::queried($this->inspect('query_task', $timeout, $destination, $limit, ['ids' => $taskIds]));
    }

    /**
     * The ids each worker remembers as revoked (inspect revoked).
     *
     * @param list<string>|null $destination
     * @return array<string, list<string>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function revoked(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(InspectReplies::strings(...), $this->inspect('revoked', $timeout, $destination, $limit));
    }

    /**
     * The task names each worker knows (inspect registered); $items adds attributes to each name
     * as Celery's registered("rate_limit", ...) does ("tasks.add [rate_limit=10/m]").
     *
     * @param list<string> $items
     * @param list<string>|null $destination
     * @return array<string, list<string>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function registered(array $items = [], float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        $replies = $this->inspect('registered', $timeout, $destination, $limit, ['taskinfoitems' => $items]);
        return array_map(InspectReplies::strings(...), $replies);
    }

    /**
     * Each worker's Lamport clock (inspect clock).
     *
     * @param list<string>|null $destination
     * @return array<string, int>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function clock(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(InspectReplies::clock(...), $this->inspect('clock', $timeout, $destination, $limit));
    }

    /**
     * Celery's worker statistics (inspect stats): pid, pool, broker, total tasks, rusage, ...
     *
     * @param list<string>|null $destination
     * @return array<string, array<string, mixed>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function stats(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(InspectReplies::map(...), $this->inspect('stats', $timeout, $destination, $limit));
    }

    /**
     * The queues each worker consumes (inspect active_queues): name, exchange, routing_key, ...
     *
     * @param list<string>|null $destination
     * @return array<string, list<array<string, mixed>>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function activeQueues(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(InspectReplies::maps(...), $this->inspect('active_queues', $timeout, $destination, $limit));
    }

    /**
     * Each worker's configuration (inspect conf): the settings changed from Celery's defaults,
     * or every setting with $withDefaults.
     *
     * @param list<string>|null $destination
     * @return array<string, array<string, mixed>>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function conf(bool $withDefaults = false, float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        $replies = $this->inspect('conf', $timeout, $destination, $limit, ['with_defaults' => $withDefaults]);
        return array_map(InspectReplies::map(...), $replies);
    }

    /**
     * Each worker's bug report text (inspect report: Celery, kombu and Python versions, settings).
     *
     * @param list<string>|null $destination
     * @return array<string, string>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function report(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return array_map(InspectReplies::text(...), $this->inspect('report', $timeout, $destination, $limit));
    }

    /**
     * Memory debugging, as `celery inspect memsample|memdump|objgraph`: each worker's reply as
     * it sent it. memsample reads the RSS (needs psutil on the worker), memdump the samples
     * taken so far, objgraph writes a graph of $type objects to a file and answers its name
     * (needs the objgraph library; without it the worker answers
     * {"error": "ImportError('Requires the objgraph library')"}).
     *
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     */
    public function memsample(float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return $this->inspect('memsample', $timeout, $destination, $limit);
    }

    /**
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     * @see memsample()
     */
    public function memdump(int $samples = 10, float $timeout = 1.0, ?array $destination = null, ?int $limit = null): array
    {
        return $this->inspect('memdump', $timeout, $destination, $limit, ['samples' => ControlArguments::count('samples', $samples)]);
    }

    /**
     * @param list<string>|null $destination
     * @return array<string, mixed>
     * @throws InvalidControlCommand|ConnectionFailed
     * @see memsample()
     */
    public function objgraph(
        string $type = 'Request',
        int $num = 200,
        int $maxDepth = 10,
        float $timeout = 60.0,
        ?array $destination = null,
        ?int $limit = null,
    ): array {
        return $this->inspect('objgraph', $timeout, $destination, $limit, [
            'num' => ControlArguments::count('num', $num),
            'max_depth' => ControlArguments::count('max_depth', $maxDepth),
            'type' => ControlArguments::name('type', $type),
        ]);
    }
}
