<?php

// Renders every object and failure a user can get hold of through every output channel
// (messages, (string) of exceptions with their traces, print_r, var_dump, var_export,
// serialize, json_encode) and prints them all: the pytest driver greps the output for the
// password. argv: autoload path, redis_client, a URL with the right password, a wrong one.

declare(strict_types=1);

require $argv[1];

use CeleryBridge\Canvas\Group;
use CeleryBridge\Canvas\Signature;
use CeleryBridge\CeleryClient;

[$client, $good, $wrong, $secret] = [$argv[2], $argv[3], $argv[4], $argv[5]];
if ($client === 'predis' && !class_exists(\Predis\Client::class)) {
    require_once 'Predis/Autoloader.php';
    \Predis\Autoloader::register();
}

$render = static function (string $label, mixed $value): void {
    echo "== $label\n";
    if ($value instanceof \Throwable) {
        echo get_class($value), ': ', $value->getMessage(), "\n", (string) $value, "\n";
    }
    echo print_r($value, true), "\n";
    ob_start();
    var_dump($value);
    echo ob_get_clean(), "\n";
    try {
        echo var_export($value, true), "\n";
    } catch (\Throwable $e) {
        echo 'var_export: ', get_class($e), "\n";
    }
    try {
        echo serialize($value), "\n";
    } catch (\Throwable $e) {
        echo 'serialize: ', $e->getMessage(), "\n";
    }
    echo json_encode($value, JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
};

$attempt = static function (string $label, #[\SensitiveParameter] \Closure $call) use ($render): void {
    try {
        $render($label, $call());
    } catch (\Throwable $e) {
        $render($label . ' (thrown)', $e);
    }
};

$config = ['redis_client' => $client];
// Connected and working: the client, a result, a group result.
$celery = new CeleryClient($good, $good, $config);
$result = $celery->sendTask('tasks.add', [1, 2]);
$group = $celery->send(new Group(new Signature('tasks.add', [1, 1]), new Signature('tasks.add', [2, 2])));
$result->state();
$render('client after publishing', $celery);
$render('async result', $result);
$render('group result', $group);

// Wrong password: AUTH fails on the broker and on the backend.
$attempt('wrong broker password', fn () => (new CeleryClient($wrong, null, $config))->sendTask('tasks.add'));
$attempt('wrong backend password', fn () => (new CeleryClient($good, $wrong, $config))->result('x')->state());

// URLs that are wrong in ways that put the password where a parser might echo it.
$host = parse_url($good, PHP_URL_HOST) . ':' . parse_url($good, PHP_URL_PORT);
$bad = [
    "redis://$host/0?password=$secret",
    "redis:/:$secret@$host/0",
    'redis://:' . $secret . '/x?y#z;w@' . $host . '/0',
    "redis://:$secret@$host/notadb",
    "redis://:$secret@$host:99999/0",
    "sentinel://:$secret@$host/0",
    "rediss://:$secret@$host/0",
    "redis+socket://:$secret@/nonexistent.sock",
    "redis://:$secret@$host/0;redis://:$secret@127.0.0.1:1/0?socket_timeout=x",
];
foreach ($bad as $i => $url) {
    $attempt("bad url $i", fn () => new CeleryClient($url, $url, $config));
}
// Settings with secrets under misspelled or unknown names.
$configs = [
    ['broker_transport_options' => ['master_name' => 'm', 'sentinel_kwargs' => ['pasword' => $secret]]],
    ['broker_use_ssl' => ['ssl_passphrase' => $secret]],
    ['broker_use_ssl' => ['ssl_password' => ['x' => $secret]]],
    ['redis_backend_use_ssl' => ['ssl_keyfile' => $secret, 'ssl_cert_reqs' => 'nope']],
    ['passsword' => $secret],
];
foreach ($configs as $i => $settings) {
    $attempt("bad config $i", fn () => new CeleryClient($good, $good, $settings + $config));
}
echo "== done\n";
