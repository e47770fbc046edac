<?php

declare(strict_types=1);

namespace CeleryBridge\Publish;

use CeleryBridge\Canvas\TaskName;
use CeleryBridge\Config\ClientConfig;
use CeleryBridge\Exception\CeleryBridgeException;
use CeleryBridge\Message\AmqpTaskTemplate;
use CeleryBridge\Message\Delivery;
use CeleryBridge\Message\PlainTaskEncoder;
use CeleryBridge\Message\PublishHooks;
use CeleryBridge\Wire\Uuid;

use function count;
use function ctype_graph;
use function getmypid;
use function min;
use function mb_check_encoding;

/**
 * The common call without options, from PlainTaskEncoder's template: the same bytes as the
 * general path, without the canvas planner. Owns the route cache of such calls.
 *
 * @internal
 */
final class PlainPath
{
    /** The most ids made at once (for 64 tasks). */
    private const IDS = 128;

    /** How many task names are remembered with their route. */
    private const ROUTES = 1000;

    /**
     * @var array<string, array{Delivery, string, list<string>|null, PlainMessage|false|null}> where a
     *      task name without options goes, its Redis list, PlainTaskEncoder::partsFor() for it (null:
     *      it does not fit the template; over AMQP), and the model of its Redis messages
     *      (PlainMessage::copyOf()): null before the first task, false after it (the second makes it)
     */
    private array $routes = [];

    /** @var list<string> ids of the next tasks on Redis, two a task: its id, then its delivery tag */
    private array $ids = [];
    /** Where the next task's ids are in $ids. */
    private int $next = 0;
    /** The process that made $ids: a forked child makes its own (see Uuid). */
    private int $pid = 0;

    /** Whether this client's messages fit the template at all (it writes no task-sent event). */
    private readonly bool $fits;

    public function __construct(
        private readonly ClientConfig $config,
        private readonly ?PlainTaskEncoder $encoder,
        /** Over AMQP (then $encoder is null): the template of the AMQP message. */
        private readonly ?AmqpTaskTemplate $amqp = null,
    ) {
        $this->fits = ($encoder !== null || $amqp !== null) && !$config->sendSentEvent;
    }

    /**
     * The message of a task without options, or null when it needs the general path: the
     * template writes no task-sent event and has no place for the headers hooks add.
     *
     * @param list<mixed> $args
     * @param array<array-key, mixed> $kwargs
     * @throws CeleryBridgeException
     */
    public function message(string $name, array $args, array $kwargs, ?PublishHooks $hooks): ?PlainMessage
    {
        if (!$this->fits || $hooks?->hasBefore()) {
            return null;
        }
        [$delivery, $list, $parts, $model] = $this->routes[$name] ?? $this->route($name);
        if ($this->amqp !== null) {
            $taskId = Uuid::v4();
            $amqp = $this->amqp->message($name, $taskId, $args, $kwargs, $delivery);
            return $amqp === null ? null : new PlainMessage($taskId, '', '', $delivery->queue, $delivery->priority, $amqp);
        }
        if ($parts === null) {
            return null;
        }
        \assert($this->encoder !== null);
        // Uuid::pair() inline, on a batch of this path's own: this runs for every sendTask().
        $next = $this->next;
        if (!isset($this->ids[$next]) || $this->pid !== getmypid()) {
            // The first task takes Uuid's pair (a PHP-FPM request that constructs a client and
            // sends one task reads the random source once), each next batch is twice as large.
            $this->ids = $this->ids === [] ? Uuid::pair() : Uuid::many(min(self::IDS, 2 * count($this->ids)));
            $next = 0;
            $this->pid = getmypid();
        }
        $taskId = $this->ids[$next];
        $deliveryTag = $this->ids[$next + 1];
        $this->next = $next + 2;
        $envelope = $this->encoder->envelope($parts, $taskId, $args, $kwargs, $deliveryTag);
        if ($envelope === null) {
            return null;
        }
        if ($model === null) {
            // The first task of a name is built whole: a PHP-FPM request that sends one task
            // makes no model (nor the ReflectionClass model() needs). The second makes it.
            if (isset($this->routes[$name])) {
                $this->routes[$name][3] = false;
            }
            return new PlainMessage($taskId, $envelope, $list, $delivery->queue, $delivery->priority);
        }
        if ($model === false) {
            $model = $this->routes[$name][3] = PlainMessage::model($list, $delivery->queue, $delivery->priority);
        }
        return PlainMessage::copyOf($model, $taskId, $envelope);
    }

    /**
     * sendMany()'s tasks without options on Redis (ChunkBuilder::addAll()): the encoder, or null
     * when they need the general path (AMQP, task-sent events, before-publish hooks).
     */
    public function batchEncoder(?PublishHooks $hooks): ?PlainTaskEncoder
    {
        return $this->fits && !$hooks?->hasBefore() ? $this->encoder : null;
    }

    /**
     * A task name's Delivery, list and template parts (see route()), for ChunkBuilder::addAll().
     *
     * @return array{Delivery, string, list<string>|null, PlainMessage|false|null}
     * @throws CeleryBridgeException
     */
    public function routeOf(string $name): array
    {
        return $this->routes[$name] ?? $this->route($name);
    }

    /**
     * Validates the name and routes it (task_routes depend on the name alone here), remembered
     * for a bounded number of names. A named exchange gets no list: the template refuses it.
     *
     * @return array{Delivery, string, list<string>|null, PlainMessage|false|null}
     * @throws CeleryBridgeException
     */
    private function route(string $name): array
    {
        // A name of printable ASCII without spaces, the common one, is what TaskName::check()
        // accepts without a closer look: such a request does not load TaskName.
        if (!ctype_graph($name) || !mb_check_encoding($name, 'UTF-8')) {
            TaskName::check($name);
        }
        // (Without task_routes, deliveryFor() gives the defaults: made here without the call.)
        $delivery = $this->config->routes === null
            ? new Delivery($this->config->defaultQueue, $this->config->defaultPriority ?? 0)
            : $this->config->deliveryFor($name, null);
        $list = $delivery->exchange === '' ? $this->config->listFor($delivery->queue, $delivery->priority) : '';
        $route = [$delivery, $list, $this->encoder?->partsFor($name, $delivery), null];
        if (count($this->routes) < self::ROUTES) {
            $this->routes[$name] = $route;
        }
        return $route;
    }
}
