<?php

// Reads one JSON value a line on stdin and answers, a line each on stdout, what CeleryBridge's
// publishing check does with it as a task argument: {"sent": <the JSON it would write>} or
// {"refused": <message>}. tests/test_marker_differential.py compares that with kombu's decoder.

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';

use CeleryBridge\Exception\InvalidTaskArgument;
use CeleryBridge\Wire\KombuJson;

while (($line = fgets(STDIN)) !== false) {
    // Maps stay objects, as they are in the JSON the worker reads.
    $value = json_decode($line, false, 512, JSON_THROW_ON_ERROR);
    try {
        $answer = ['sent' => KombuJson::encode(KombuJson::normalize($value, 'args[0]'))];
    } catch (InvalidTaskArgument $e) {
        $answer = ['refused' => $e->getMessage()];
    }
    echo json_encode($answer, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
}
