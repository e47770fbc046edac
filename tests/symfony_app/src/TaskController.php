<?php

declare(strict_types=1);

namespace CeleryBridge\SymfonyApp;

use CeleryBridge\CeleryClientInterface;
use Symfony\Component\HttpFoundation\JsonResponse;
use Symfony\Component\HttpFoundation\Request;

/**
 * The client comes by autowiring, as in any Symfony controller.
 */
final class TaskController
{
    public function __construct(private readonly CeleryClientInterface $celery)
    {
    }

    public function add(Request $request): JsonResponse
    {
        $result = $this->celery->sendTask('tasks.add', [$request->query->getInt('x'), $request->query->getInt('y')]);
        return new JsonResponse(['id' => $result->id, 'value' => $result->get(timeout: 20.0)]);
    }

    public function echo(): JsonResponse
    {
        return new JsonResponse($this->celery->sendTask('tasks.echo', ['hooked'])->get(timeout: 20.0));
    }

    public function nothing(): JsonResponse
    {
        return new JsonResponse(['client' => get_class($this->celery)]);
    }
}
