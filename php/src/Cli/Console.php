<?php

declare(strict_types=1);

namespace CeleryBridge\Cli;

/**
 * Where a command's output goes: lines on stdout, errors on stderr, both as JSON with --json
 * (one document per stream, so a script reads stdout or the error, never a mix).
 *
 * @internal
 */
final class Console
{
    /** @var resource */
    private $out;

    /** @var resource */
    private $err;

    public bool $json = false;

    /** The task the command is about once known: --json errors name it ("id"). */
    public ?string $taskId = null;

    /**
     * @param resource|null $out
     * @param resource|null $err
     */
    public function __construct($out = null, $err = null)
    {
        $this->out = $out ?? STDOUT;
        $this->err = $err ?? STDERR;
    }

    public function emit(mixed $data): void
    {
        $this->line(Output::json($data));
    }

    public function line(string $text): void
    {
        fwrite($this->out, $text . "\n");
    }

    public function error(string $kind, string $message): void
    {
        $text = $this->json
            ? Output::json(['error' => $kind, 'message' => $message] + ($this->taskId === null ? [] : ['id' => $this->taskId]))
            : Output::text(sprintf('celery-bridge: %s', $message));
        fwrite($this->err, $text . "\n");
    }
}
