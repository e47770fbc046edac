<?php

declare(strict_types=1);

namespace CeleryBridge\Testing;

/**
 * CeleryFake's assertions on what was sent and revoked, as PHPUnit assertions when PHPUnit is
 * there (FakeAssert); each failure message lists what was sent instead.
 *
 * @internal used by CeleryFake only; its methods are CeleryFake's public API.
 */
trait FakeAssertions
{
    /**
     * @return list<SentTask>
     */
    abstract public function sent(?string $task = null): array;

    /**
     * @return list<SentCanvas>
     */
    abstract public function canvases(): array;

    /**
     * @return list<string>
     */
    abstract public function revoked(): array;

    /**
     * A message of this task was sent (and $callback, given the SentTask, returns true for it).
     *
     * @param (callable(SentTask): bool)|null $callback
     */
    public function assertSent(string $task, ?callable $callback = null): void
    {
        FakeAssert::that(
            $this->matching($task, $callback) !== [],
            $this->notSent($task, $callback),
        );
    }

    /**
     * @param (callable(SentTask): bool)|null $callback
     */
    public function assertNotSent(string $task, ?callable $callback = null): void
    {
        $count = count($this->matching($task, $callback));
        $matching = $callback === null ? '' : ' matching the callback';
        FakeAssert::that($count === 0, sprintf('Task "%s" was sent %d time(s)%s, unexpectedly.', $task, $count, $matching));
    }

    public function assertSentCount(string $task, int $count): void
    {
        $actual = count($this->sent($task));
        FakeAssert::that($actual === $count, sprintf('Task "%s" was sent %d time(s), not %d.', $task, $actual, $count));
    }

    /**
     * A message of this task went to this queue (after task_routes and the queue option).
     *
     * @param (callable(SentTask): bool)|null $callback
     */
    public function assertSentOn(string $queue, string $task, ?callable $callback = null): void
    {
        $queues = array_map(static fn (SentTask $t): string => $t->queue, $this->matching($task, $callback));
        FakeAssert::that(in_array($queue, $queues, true), $queues === []
            ? $this->notSent($task, $callback)
            : sprintf('Task "%s" was sent to queue(s) "%s", not to "%s".', $task, implode('", "', array_unique($queues)), $queue));
    }

    public function assertNothingSent(): void
    {
        FakeAssert::that($this->canvases() === [], sprintf('Tasks were sent: %s.', $this->summary()));
    }

    public function assertNothingSentOn(string $queue): void
    {
        $there = array_filter($this->sent(), static fn (SentTask $t): bool => $t->queue === $queue);
        FakeAssert::that($there === [], sprintf('%d task(s) were sent to queue "%s".', count($there), $queue));
    }

    /**
     * A canvas was sent for which $callback, given the SentCanvas, returns true, e.g.
     * `fn (SentCanvas $c) => $c->type() === 'chain' && $c->taskNames() === ['a', 'b']`.
     *
     * @param callable(SentCanvas): bool $callback
     */
    public function assertCanvasSent(callable $callback): void
    {
        $found = array_filter($this->canvases(), static fn (SentCanvas $c): bool => (bool) $callback($c));
        FakeAssert::that($found !== [], sprintf('No canvas sent matches. Sent: %s.', $this->summary()));
    }

    public function assertRevoked(string $taskId): void
    {
        FakeAssert::that(in_array($taskId, $this->revoked(), true), sprintf('Task "%s" was not revoked.', $taskId));
    }

    /**
     * @param (callable(SentTask): bool)|null $callback
     * @return list<SentTask>
     */
    private function matching(string $task, ?callable $callback): array
    {
        return array_values(array_filter(
            $this->sent($task),
            static fn (SentTask $t): bool => $callback === null || (bool) $callback($t),
        ));
    }

    private function notSent(string $task, ?callable $callback): string
    {
        $with = $callback === null ? '' : ' with the expected arguments';
        return sprintf('Task "%s" was not sent%s. Sent: %s.', $task, $with, $this->summary());
    }

    private function summary(): string
    {
        $names = array_map(static fn (SentTask $t): string => sprintf('%s on "%s"', $t->name, $t->queue), $this->sent());
        return $names === [] ? 'nothing' : implode(', ', $names);
    }
}
