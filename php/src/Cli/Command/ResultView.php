<?php

declare(strict_types=1);

namespace CeleryBridge\Cli\Command;

use CeleryBridge\Cli\Application;
use CeleryBridge\Cli\Console;
use CeleryBridge\Cli\Output;
use CeleryBridge\Exception\TaskFailed;
use CeleryBridge\Exception\TaskRevoked;
use CeleryBridge\Result\AsyncResult;
use CeleryBridge\Result\State;

/**
 * A task's state, result or failure as `send --wait` and `result` print it; exit 1 for the
 * states get() raises for.
 *
 * @internal
 */
final class ResultView
{
    public function __construct(private readonly Console $console)
    {
    }

    public function waitAndShow(AsyncResult $result, float $timeout): int
    {
        try {
            $result->get(timeout: $timeout, followParents: false);
        } catch (TaskFailed | TaskRevoked) {
            // show() prints the failure from the stored result.
        }
        return $this->show($result);
    }

    public function show(AsyncResult $result): int
    {
        // One read: a task that is not ready yet would be read again by each accessor.
        $meta = $result->meta();
        $failure = $meta->exception();
        $done = $meta->dateDone?->format(\DateTimeInterface::RFC3339_EXTENDED);
        if ($this->console->json) {
            $this->console->emit([
                'id' => $result->id,
                'state' => $meta->status,
                'result' => $failure === null ? $meta->result : null,
                'exception' => $failure === null ? null : ['type' => $failure->type, 'message' => $failure->message()],
                'traceback' => $meta->traceback,
                'date_done' => $done,
            ]);
        } else {
            // Stored text is anyone's: printed with its control characters escaped (Output).
            $this->console->line('state: ' . Output::text($meta->status));
            if ($failure !== null) {
                $this->console->line(Output::text(sprintf('exception: %s: %s', $failure->type, $failure->message())));
                if ($meta->traceback !== null) {
                    $this->console->line(Output::text(rtrim($meta->traceback)));
                }
            } elseif ($meta->isReady()) {
                $this->console->line('result: ' . Output::json($meta->result));
            }
            if ($done !== null) {
                $this->console->line('date_done: ' . $done);
            }
        }
        return in_array($meta->status, State::PROPAGATE, true) ? Application::TASK_FAILED : Application::OK;
    }
}
