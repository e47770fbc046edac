<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit;

use PHPUnit\Framework\TestCase;

/**
 * The namespaces of php/src depend on each other one way, as data flows (Canvas -> Message ->
 * Broker; Backend -> Result; Wire, kombu's format, under the message builder, control and the
 * result backend; Exception at the bottom): read from the `use` lines, the graph between
 * namespaces has no cycle.
 */
final class NamespaceLayersTest extends TestCase
{
    public function testTheUseGraphBetweenNamespacesHasNoCycle(): void
    {
        $graph = self::useGraph(dirname(__DIR__, 2) . '/src');

        self::assertArrayHasKey('Message', $graph);
        self::assertSame([], self::cycles($graph), 'namespaces that import each other, directly or around a loop');
    }

    public function testTheWireFormatStandsOnExceptionsAlone(): void
    {
        $graph = self::useGraph(dirname(__DIR__, 2) . '/src');

        self::assertSame(['Exception'], $graph['Wire'] ?? null);
        foreach (['Message', 'Control', 'Backend'] as $user) {
            self::assertContains('Wire', $graph[$user], "$user builds or reads kombu's format through Wire");
        }
    }

    public function testACycleIsFound(): void
    {
        $graph = ['Canvas' => ['Message'], 'Message' => ['Wire'], 'Wire' => ['Canvas'], 'Broker' => ['Wire']];

        self::assertSame([['Canvas', 'Message', 'Wire', 'Canvas']], self::cycles($graph));
        self::assertSame([], self::cycles(['Canvas' => ['Message'], 'Message' => ['Exception']]));
    }

    /**
     * @return array<string, list<string>> namespace => the namespaces its files import
     */
    private static function useGraph(string $src): array
    {
        $graph = [];
        $files = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($src, \FilesystemIterator::SKIP_DOTS));
        foreach ($files as $file) {
            if (!str_ends_with((string) $file, '.php')) {
                continue;
            }
            $relative = substr((string) $file, strlen($src) + 1);
            $namespace = str_contains($relative, '/') ? explode('/', $relative)[0] : '(root)';
            preg_match_all('/^use CeleryBridge\\\\(\w+)(\\\\\w+)?/m', (string) file_get_contents((string) $file), $uses, PREG_SET_ORDER);
            $graph[$namespace] ??= [];
            foreach ($uses as $use) {
                $target = isset($use[2]) && $use[2] !== '' ? $use[1] : '(root)';
                if ($target !== $namespace && !in_array($target, $graph[$namespace], true)) {
                    $graph[$namespace][] = $target;
                }
            }
        }
        ksort($graph);
        return $graph;
    }

    /**
     * Every elementary cycle found by a depth-first walk, each once, starting at its smallest name.
     *
     * @param array<string, list<string>> $graph
     * @return list<list<string>>
     */
    private static function cycles(array $graph): array
    {
        $found = [];
        $walk = static function (string $node, array $path) use (&$walk, &$found, $graph): void {
            foreach ($graph[$node] ?? [] as $next) {
                if ($next === $path[0]) {
                    $found[] = [...$path, $next];
                } elseif (!in_array($next, $path, true) && strcmp($next, $path[0]) > 0) {
                    $walk($next, [...$path, $next]);
                }
            }
        };
        foreach (array_keys($graph) as $start) {
            $walk($start, [$start]);
        }
        return $found;
    }
}
