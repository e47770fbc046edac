"""What a fresh PHP process that sends one task loads (issue 8's cold start): a sendTask()
without options takes the template path, and everything else loads when first used. A class
that joins this path by accident (a constant of another class, a type check, an eager
constructor) makes every cron job and CLI script compile it."""

from __future__ import annotations

import databases
from harness import REPO_ROOT, RedisServer

QUEUE = "cold-start"
# Never loaded by sending: the framework integrations and the test fake.
FRAMEWORK_AND_TESTING = ("CeleryBridge\\Laravel\\", "CeleryBridge\\Symfony\\", "CeleryBridge\\Testing\\")

# The library's classes, interfaces and traits a PHP process has declared (those under $prefix).
OURS = r"""
$ours = static fn (string $prefix = 'CeleryBridge\\'): array => array_values(array_filter(
    [...get_declared_classes(), ...get_declared_interfaces(), ...get_declared_traits()],
    static fn (string $class): bool => str_starts_with($class, $prefix),
));
"""

LOADED = OURS + r"""
$celery = new CeleryClient($brokerUrl, config: ['task_default_queue' => 'QUEUE']);
$celery->sendTask('tasks.add', [1, 2]);
$plain = $ours();
$celery->sendTask('tasks.add', [1, 2], options: ['countdown' => 30]);
echo json_encode(['plain' => $plain, 'general' => $ours()]);
""".replace("QUEUE", QUEUE)

# Loaded on first use only: the general publish path, hooks, remote control, queue inspection,
# routing through named exchanges, other serializers, the general URL parser (a plain
# redis://host:port/db is read without it), URL options, TLS, Sentinel, injected
# clients, the readers of connection and transport settings (a client given none gets the
# defaults), the setting tables, kombu's general JSON encoder, the header and envelope
# builders (the template is text), the value checks (a printable ASCII queue name needs none),
# and everything of RabbitMQ and rpc:// results.
ON_FIRST_USE = [
    "CeleryBridge\\Publish\\ChunkBuilder",
    "CeleryBridge\\Broker\\QueueKeys",
    "CeleryBridge\\Canvas\\TaskName",
    "CeleryBridge\\Publish\\CanvasPublisher",
    "CeleryBridge\\Publish\\RedisChunkWriter",
    "CeleryBridge\\Canvas\\CanvasPlanner",
    "CeleryBridge\\Canvas\\Signature",
    "CeleryBridge\\Message\\MessageBuilder",
    "CeleryBridge\\Message\\ProtocolTwo",
    "CeleryBridge\\Wire\\Envelope",
    "CeleryBridge\\Message\\TaskOptions",
    "CeleryBridge\\Message\\PublishHooks",
    "CeleryBridge\\Control\\WorkerControl",
    "CeleryBridge\\Broker\\QueueInspector",
    "CeleryBridge\\Result\\ResultWait",
    "CeleryBridge\\Broker\\RedisBroker",
    "CeleryBridge\\Wire\\BodyEncoder",
    "CeleryBridge\\Wire\\KombuJson",
    "CeleryBridge\\Connection\\Dsn",
    "CeleryBridge\\Connection\\Clock",
    "CeleryBridge\\Wire\\PlainText",
    "CeleryBridge\\Connection\\DsnQuery",
    "CeleryBridge\\Connection\\DsnSyntax",
    "CeleryBridge\\Connection\\TlsOptions",
    "CeleryBridge\\Connection\\SentinelMaster",
    "CeleryBridge\\Connection\\SentinelOptions",
    "CeleryBridge\\Connection\\InjectedClient",
    "CeleryBridge\\Connection\\TransactionWrites",
    "CeleryBridge\\Connection\\PhpRedisTransaction",
    "CeleryBridge\\Connection\\PredisTransaction",
    "CeleryBridge\\Connection\\BrPopTimeout",
    "CeleryBridge\\Connection\\Failure",
    "CeleryBridge\\Connection\\ConnectionOptionsReader",
    "CeleryBridge\\Connection\\RetryPolicyReader",
    "CeleryBridge\\Config\\TransportOptions",
    "CeleryBridge\\Config\\ContentSettings",
    "CeleryBridge\\Config\\NumberSettings",
    "CeleryBridge\\Broker\\RetryableFailure",
    "CeleryBridge\\Validation\\Check",
    "CeleryBridge\\Publish\\AmqpBroker",
    "CeleryBridge\\Broker\\AmqpChannelOpener",
    "CeleryBridge\\Connection\\Amqp\\AmqpUrl",
    "CeleryBridge\\Backend\\RpcResultBackend",
]


def test_a_task_without_options_loads_only_the_template_path(run_php, redis_server: RedisServer) -> None:
    try:
        loaded = run_php(LOADED).json()
    finally:
        redis_server.client(databases.BROKER).delete(QUEUE)

    assert "CeleryBridge\\Message\\PlainTaskEncoder" in loaded["plain"]
    assert sorted(set(ON_FIRST_USE) & set(loaded["plain"])) == []
    # The general path does load them: the check above sees a loaded class.
    general_path = {"CeleryBridge\\Publish\\ChunkBuilder", "CeleryBridge\\Message\\MessageBuilder"}
    assert general_path <= set(loaded["general"])
    # The framework integrations and the test fake stay out of both paths.
    assert [c for c in loaded["general"] if c.startswith(FRAMEWORK_AND_TESTING)] == []


def test_persistent_sockets_load_neither_the_url_parser_nor_the_settings_reader(
    run_php, redis_server: RedisServer
) -> None:
    """A PHP-FPM application's client (redis_persistent) reads its plain redis://host:port/db URL
    without Dsn and its one connection setting without ConnectionOptionsReader, and opens its
    persistent socket without Connector."""
    code = LOADED.replace("'task_default_queue' => 'QUEUE'".replace("QUEUE", QUEUE),
                          f"'task_default_queue' => '{QUEUE}', 'redis_persistent' => true")
    try:
        loaded = run_php(code).json()
    finally:
        redis_server.client(databases.BROKER).delete(QUEUE)

    assert "CeleryBridge\\Connection\\Dsn" not in loaded["plain"]
    assert "CeleryBridge\\Connection\\ConnectionOptionsReader" not in loaded["plain"]
    # The persistent socket's pool id is the Endpoint's.
    assert "CeleryBridge\\Connection\\Connector" not in loaded["plain"]
    assert "CeleryBridge\\Message\\PlainTaskEncoder" in loaded["plain"]


def test_a_url_with_a_password_loads_neither_the_url_parser_nor_its_query_reader(run_php) -> None:
    """A production broker_url carries a password (redis://:secret@host:6379/0, or with a user
    name): read, like the plain URL, without Dsn (which costs a PHP-FPM request about 60,000
    instructions, preloaded or not), percent-encoded characters included; a URL with options
    still goes through Dsn."""
    code = OURS + r"""
new CeleryClient(str_replace('redis://', 'redis://app:s3cret-Pass_1@', getenv('CELERY_BROKER_URL')));
new CeleryClient(str_replace('redis://', 'redis://:a%2Fb%3D%2B@', getenv('CELERY_BROKER_URL')));
$plain = $ours('CeleryBridge\\Connection\\Dsn');
new CeleryClient(str_replace('redis://', 'redis://:pw@', getenv('CELERY_BROKER_URL')) . '?connect_timeout=5');
echo json_encode(['plain' => $plain, 'options' => $ours('CeleryBridge\\Connection\\Dsn')]);
"""
    loaded = run_php(code).json()

    assert loaded["plain"] == []
    assert "CeleryBridge\\Connection\\Dsn" in loaded["options"]


# What a PHP-FPM request pays for each class it loads (bench/fpm_instructions.py): Composer's
# lookup (a classmap entry is one array read; PSR-4 builds paths and stats files, about 4,800
# instructions more per class; composer.json lists the publishing path's files as a classmap)
# and what opcache evaluates again per request: a constant built from another constant
# (`...self::X`, `Other::Y`) is an expression opcache keeps unevaluated.
PER_REQUEST = OURS + r"""
$plain = static function () use ($ours): array {
    $celery = new CeleryClient(getenv('CELERY_BROKER_URL'), config: ['task_default_queue' => 'QUEUE']);
    $celery->sendTask('tasks.add', [1, 2]);
    return $ours();
};
$loaded = $plain();
$classMap = [];
foreach (Composer\Autoload\ClassLoader::getRegisteredLoaders() as $loader) {
    $classMap += $loader->getClassMap();
}
$computed = [];
foreach ($loaded as $class) {
    $tokens = token_get_all(file_get_contents((string) (new ReflectionClass($class))->getFileName()));
    $inConst = false;
    foreach ($tokens as $i => $token) {
        $id = is_array($token) ? $token[0] : $token;
        if ($id === T_CONST) {
            $inConst = true;
        } elseif ($id === ';') {
            $inConst = false;
        } elseif ($inConst && $id === T_DOUBLE_COLON && ($tokens[$i + 1][1] ?? '') !== 'class') {
            $computed[] = $class;
        } elseif ($inConst && $id === T_ELLIPSIS) {
            $computed[] = $class;
        }
    }
}
// In a namespace an unqualified call to a PHP function looks the namespaced name up first, at
// each call site once per request (about 200 instructions each): `use function` imports skip it.
$unqualified = [];
foreach ($loaded as $class) {
    $tokens = token_get_all(file_get_contents((string) (new ReflectionClass($class))->getFileName()));
    $imported = [];
    foreach ($tokens as $i => $token) {
        if (!is_array($token) || $token[0] !== T_STRING) {
            continue;
        }
        $before = $tokens[$i - 2] ?? null;
        if (is_array($before) && $before[0] === T_FUNCTION && ($tokens[$i - 4][0] ?? null) === T_USE) {
            $imported[strtolower($token[1])] = true;
            continue;
        }
        $next = $i + 1;
        while (is_array($tokens[$next] ?? null) && $tokens[$next][0] === T_WHITESPACE) {
            $next++;
        }
        $previous = $i - 1;
        while (is_array($tokens[$previous]) && $tokens[$previous][0] === T_WHITESPACE) {
            $previous--;
        }
        $called = ($tokens[$next] ?? null) === '(' && !(is_array($tokens[$previous]) && in_array(
            $tokens[$previous][0],
            [T_OBJECT_OPERATOR, T_NULLSAFE_OBJECT_OPERATOR, T_DOUBLE_COLON, T_FUNCTION, T_NEW, T_NS_SEPARATOR,
             T_CONST],
            true,
        ));
        if ($called && function_exists($token[1]) && (new ReflectionFunction($token[1]))->isInternal()
            && !isset($imported[strtolower($token[1])])) {
            $unqualified[$class][$token[1]] = $token[1];
        }
    }
}
echo json_encode([
    'unqualified' => (object) array_map('array_values', $unqualified),
    'loaded' => $loaded,
    'not_in_classmap' => array_values(array_diff($loaded, array_keys($classMap))),
    'computed_constants' => array_values(array_unique($computed)),
]);
""".replace("QUEUE", QUEUE)

# The library's classes a plain sendTask() loads, constructor included (26 at 01e840e; 24 without
# QueueKeys, which kombu's default list names need not, and TaskName, which a printable ASCII name
# needs not; 25 with PlainValues, the template paths' value checks, out of PlainTaskEncoder; 24
# again since a few ints, the commonest call, no longer need PlainValues; 23 without Dispatch, as
# a task's handle keeps the name of the queue it was sent to; traits counted too: 24 with
# RetryingPublisher's RetriesPerCall).
PLAIN_SEND_CLASSES = 24

def test_a_plain_send_loads_few_classes_from_composers_classmap(run_php, redis_server: RedisServer) -> None:
    try:
        found = run_php(PER_REQUEST).json()
    finally:
        redis_server.client(databases.BROKER).delete(QUEUE)

    # composer.json lists their files as a classmap too (PSR-4 finds all the others).
    assert found["not_in_classmap"] == []
    assert found["computed_constants"] == []
    assert len(found["loaded"]) <= PLAIN_SEND_CLASSES, found["loaded"]
    assert found["unqualified"] == {}


# php/preload.php preloads a list: what a request that publishes to Redis loads (a preloaded
# class costs every request of a php-fpm pool, used or not). Required in a plain CLI process it
# autoloads the same classes, and after it the publishing request must find nothing new.
PRELOAD_COVERS = OURS + r"""
require 'PRELOAD';
$preloaded = $ours();
$broker = getenv('CELERY_BROKER_URL');
$celery = new CeleryClient($broker, getenv('CELERY_RESULT_BACKEND'), ['task_default_queue' => 'QUEUE']);
$celery->sendTask('tasks.add', [1, 2]);
$celery->sendTask('tasks.add', [1, 2], options: ['countdown' => 30]);
$celery->sendTask('tasks.add', [1, 2])->state();
$persistent = new CeleryClient($broker, config: [
    'task_default_queue' => 'QUEUE',
    'redis_persistent' => true,
]);
$persistent->sendTask('tasks.add', [1, 2]);
// A celeryconfig's common settings: their readers are preloaded too.
$configured = new CeleryClient($broker, config: [
    'task_default_queue' => 'QUEUE',
    'result_expires' => 3600,
    'broker_transport_options' => ['visibility_timeout' => 3600],
    'task_routes' => ['tasks.mul' => ['queue' => 'QUEUE']],
    'result_serializer' => 'json',
    'accept_content' => ['json'],
    'timezone' => 'UTC',
    'worker_prefetch_multiplier' => 1,
    'broker_connection_timeout' => 4,
]);
$configured->sendTask('tasks.add', [1, 2]);
$classMap = [];
foreach (Composer\Autoload\ClassLoader::getRegisteredLoaders() as $loader) {
    $classMap += $loader->getClassMap();
}
echo json_encode([
    'preloaded' => $preloaded,
    'missing' => array_values(array_diff($ours(), $preloaded)),
    'not_in_classmap' => array_values(array_diff($ours(), array_keys($classMap))),
]);
""".replace("QUEUE", QUEUE).replace("PRELOAD", str(REPO_ROOT / "php" / "preload.php"))


def test_the_preload_list_and_the_classmap_hold_what_a_publishing_request_loads(
    run_php, redis_server: RedisServer
) -> None:
    try:
        found = run_php(PRELOAD_COVERS).json()
    finally:
        redis_server.client(databases.BROKER).delete(QUEUE)

    assert found["missing"] == []
    # composer.json's classmap lists the same files: found with one array read each (PSR-4 builds
    # paths and stats files), and not the whole library, whose entries a CLI process without
    # opcache would compile each time it starts (about 7,000 instructions each).
    assert found["not_in_classmap"] == []
    # Not the whole library: RabbitMQ, remote control, events and the exceptions load when used.
    assert "CeleryBridge\\Control\\WorkerControl" not in found["preloaded"]
    assert "CeleryBridge\\Connection\\Amqp\\AmqpUrl" not in found["preloaded"]
