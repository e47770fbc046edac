<?php

declare(strict_types=1);

namespace CeleryBridge\Broker;

use CeleryBridge\Exception\InvalidConfiguration;
use CeleryBridge\Exception\InvalidOption;
use CeleryBridge\Message\TaskOptions;

/**
 * Celery's task_routes: task name (exact, or glob with "*") to a queue and delivery options.
 *
 * Like celery.app.routes.MapRoute: exact names are looked up first, then patterns in the order
 * given (fnmatch rules, whole name), and the first router of a list that answers wins. A route
 * is a queue name or an array with queue / routing_key / exchange / priority; options passed to
 * sendTask() override it.
 */
final class TaskRouter
{
    private const ROUTE_KEYS = ['queue', 'routing_key', 'exchange', 'priority'];

    /**
     * @param list<array{exact: array<string, array<string, mixed>>, patterns: list<array{string, array<string, mixed>}>}> $routers
     */
    private function __construct(private readonly array $routers)
    {
    }

    public static function fromConfig(mixed $routes): self
    {
        if ($routes === null || $routes === []) {
            return new self([]);
        }
        if (!is_array($routes)) {
            throw InvalidConfiguration::invalid('task_routes', $routes, 'expected an array of task name or glob => queue or route.');
        }
        $maps = array_is_list($routes) ? $routes : [$routes];
        $routers = [];
        foreach ($maps as $map) {
            if (!is_array($map) || ($map !== [] && array_is_list($map))) {
                throw InvalidConfiguration::invalid('task_routes', $map, 'each router must be an array of task name or glob => route '
                    . '(Python router functions and class paths cannot run in PHP).');
            }
            $routers[] = self::compile($map);
        }
        return new self($routers);
    }

    /**
     * @return array<string, mixed> the route for this task name, [] when none matches
     */
    public function route(string $task): array
    {
        foreach ($this->routers as $router) {
            if (isset($router['exact'][$task])) {
                return $router['exact'][$task];
            }
            foreach ($router['patterns'] as [$regex, $route]) {
                if (preg_match($regex, $task) === 1) {
                    return $route;
                }
            }
        }
        return [];
    }

    /**
     * @param array<array-key, mixed> $map
     * @return array{exact: array<string, array<string, mixed>>, patterns: list<array{string, array<string, mixed>}>}
     */
    private static function compile(array $map): array
    {
        $exact = [];
        $patterns = [];
        foreach ($map as $name => $route) {
            $name = (string) $name;
            $route = self::normalizeRoute($name, $route);
            // Celery treats a key as a pattern only when it contains "*".
            if (str_contains($name, '*')) {
                $patterns[] = [self::compileGlob($name), $route];
            } else {
                $exact[$name] = $route;
            }
        }
        return ['exact' => $exact, 'patterns' => $patterns];
    }

    /**
     * @return array<string, mixed>
     */
    private static function normalizeRoute(string $name, mixed $route): array
    {
        if (is_string($route) && $route !== '') {
            $route = ['queue' => $route];
        }
        if (!is_array($route) || $route === []) {
            throw InvalidConfiguration::invalid("task_routes[$name]", $route, 'expected a queue name or an array with "queue".');
        }
        foreach (array_keys($route) as $key) {
            if (!in_array($key, self::ROUTE_KEYS, true)) {
                throw InvalidConfiguration::invalid("task_routes[$name]", $route, sprintf(
                    'the route key "%s" is not supported; use %s.',
                    $key,
                    implode(', ', self::ROUTE_KEYS),
                ));
            }
        }
        // A route supplies the same values as the sendTask() options of those names, and becomes
        // a list name and a priority step just the same: hold it to the same rules.
        try {
            TaskOptions::fromArray($route);
        } catch (InvalidOption $e) {
            throw InvalidConfiguration::invalid("task_routes[$name]", $route, $e->getMessage(), $e);
        }
        return $route;
    }

    /**
     * A glob that does not translate to a valid pattern (a reversed range "[z-a]", a class that
     * never closes) is refused here rather than failing on every publish.
     *
     * @throws InvalidConfiguration
     */
    private static function compileGlob(string $glob): string
    {
        $regex = self::globToRegex($glob);
        $error = null;
        set_error_handler(static function (int $no, string $message) use (&$error): bool {
            $error = preg_replace('/^preg_match\(\): /', '', $message);
            return true;
        });
        try {
            $valid = preg_match($regex, '') !== false;
        } finally {
            restore_error_handler();
        }
        if (!$valid) {
            throw InvalidConfiguration::invalid("task_routes[$glob]", $glob, sprintf(
                'the glob is not valid (%s); use "*", "?" and "[...]" classes with ranges in ascending order.',
                $error ?? preg_last_error_msg(),
            ));
        }
        return $regex;
    }

    /**
     * fnmatch.translate(): "*" any run, "?" one character, "[...]" a class, "[!...]" its negation.
     */
    private static function globToRegex(string $glob): string
    {
        $regex = '';
        $length = strlen($glob);
        for ($i = 0; $i < $length; $i++) {
            $char = $glob[$i];
            if ($char === '*') {
                $regex .= '.*';
            } elseif ($char === '?') {
                $regex .= '.';
            } elseif ($char === '[' && ($end = strpos($glob, ']', $i + 2)) !== false) {
                $class = substr($glob, $i + 1, $end - $i - 1);
                $negate = $class[0] === '!';
                $class = str_replace('\\', '\\\\', $negate ? substr($class, 1) : $class);
                $regex .= '[' . ($negate ? '^' : '') . str_replace(['[', ']', '/'], ['\[', '\]', '\/'], $class) . ']';
                $i = $end;
            } else {
                $regex .= preg_quote($char, '/');
            }
        }
        return '/^' . $regex . '$/sD';
    }
}
