<?php

declare(strict_types=1);

namespace CeleryBridge\Backend;

use CeleryBridge\Connection\Amqp\Reply;
use CeleryBridge\Exception\CorruptResult;
use CeleryBridge\Exception\ResultTooLarge;
use CeleryBridge\Result\ResultMeta;

/**
 * Reads one result message of Celery's rpc backend: the task's meta (status, result,
 * traceback, children, date_done, task_id, and the result_extended fields), serialized with
 * result_serializer and published with correlation_id = the task id. No result_compression
 * applies (it is for stored results only); the body is read as the Redis backend reads a
 * stored value (ResultDecoder).
 *
 * @internal
 */
final class RpcReplyDecoder
{
    private readonly ResultDecoder $decoder;

    /**
     * @param int|null $maxSize result_max_size in bytes; null = no limit
     */
    public function __construct(?int $maxSize = null)
    {
        $this->decoder = new ResultDecoder($maxSize);
    }

    /**
     * The task the reply is for: its correlation_id, else (Celery before 4.0 set none) the
     * task_id in the body; null when it names none, and then it belongs to no handle.
     */
    public function taskId(Reply $reply): ?string
    {
        if ($reply->correlationId !== null && $reply->correlationId !== '') {
            return $reply->correlationId;
        }
        try {
            $meta = $this->decoder->json($reply->body, '(no correlation_id)');
        } catch (\UnexpectedValueException | ResultTooLarge) {
            return null;
        }
        $id = is_array($meta) ? ($meta['task_id'] ?? null) : null;
        return is_string($id) && $id !== '' ? $id : null;
    }

    /**
     * @throws CorruptResult|ResultTooLarge
     */
    public function decode(Reply $reply, string $taskId): ResultMeta
    {
        $type = $reply->contentType;
        if ($type !== null && $type !== 'application/json') {
            throw CorruptResult::in($taskId, sprintf(
                'the worker sent it as %s; CeleryBridge reads JSON results: set result_serializer = \'json\' '
                . '(Celery\'s default) on the workers.',
                $type,
            ));
        }
        $encoding = $reply->contentEncoding;
        if ($encoding !== null && strtolower($encoding) !== 'utf-8') {
            throw CorruptResult::in($taskId, sprintf('its content_encoding is %s, not utf-8 as JSON results are.', $encoding));
        }
        return $this->decoder->decode($reply->body, $taskId);
    }
}
