<?php

declare(strict_types=1);

// Floor, fresh connection: no library, the message built inline (floor/publish.php).
$persistent = false;
require __DIR__ . '/floor/publish.php';
