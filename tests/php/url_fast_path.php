<?php

// For each URL of a JSON list, what Topology::fromUrl() makes of it for the broker and for the
// result backend (the server, user name, password and database of its one endpoint, the user
// info base64-encoded: it may hold any byte), or the exception's class. argv: autoload path,
// JSON file of URLs. Prints a JSON list, one entry per URL.

declare(strict_types=1);

require $argv[1];

use CeleryBridge\Connection\ConnectionOptions;
use CeleryBridge\Connection\Role;
use CeleryBridge\Connection\Topology;

$urls = json_decode((string) file_get_contents($argv[2]), true, 512, JSON_THROW_ON_ERROR);
$out = [];
foreach ($urls as $url) {
    $entry = [];
    foreach ([Role::Broker, Role::Backend] as $role) {
        try {
            $topology = Topology::fromUrl($url, ConnectionOptions::defaults($role));
            $endpoint = $topology->endpoints[0];
            $entry[$role->value] = [
                'count' => count($topology->endpoints),
                'transport' => $endpoint->transport,
                'host' => $endpoint->host,
                'port' => $endpoint->port,
                'username' => $endpoint->username === null ? null : base64_encode($endpoint->username),
                'password' => $endpoint->password() === null ? null : base64_encode($endpoint->password()),
                'db' => $endpoint->database,
            ];
        } catch (\Throwable $e) {
            $entry[$role->value] = ['error' => $e::class];
        }
    }
    $out[] = $entry;
}
echo json_encode($out, JSON_THROW_ON_ERROR), "\n";
