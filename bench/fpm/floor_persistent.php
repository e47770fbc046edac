<?php

declare(strict_types=1);

// Floor, persistent (phpredis's socket pool): no library, the message built inline (floor/publish.php).
$persistent = true;
require __DIR__ . '/floor/publish.php';
