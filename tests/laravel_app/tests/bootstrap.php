<?php

declare(strict_types=1);

require_once 'Illuminate/autoload.php';
require_once getenv('CELERY_BRIDGE_AUTOLOAD') ?: dirname(__DIR__, 3) . '/vendor/autoload.php';
