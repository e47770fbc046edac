<?php

declare(strict_types=1);

namespace CeleryBridge\Tests\Unit\Message\Fixtures;

enum Letter: string
{
    case A = 'a';
    case B = 'b';
}
