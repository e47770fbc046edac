<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Result;

use CeleryBridge\Tests\Unit\Backend\Fixtures\StoredResults;
use PHPUnit\Framework\TestCase;

/**
 * Tests of result handles over Celery's Redis result backend held in memory: every test gets
 * a backend of its own, empty, in $results.
 */
abstract class StoredResultsTestCase extends TestCase
{
    protected StoredResults $results;

    protected function setUp(): void
    {
        $this->results = new StoredResults();
    }
}
