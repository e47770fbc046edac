<?php

// What the PHP scripts of the pytest suite share: Composer's autoload, Debian's php-psr-log
// (Psr\Log is not among Composer's dependencies; CollectedLogger.php extends it), the
// functions of script_env.php, and the URLs the test passes: $brokerUrl (CELERY_BROKER_URL)
// and $backendUrl (CELERY_RESULT_BACKEND; unset or empty: null, no result backend).

declare(strict_types=1);

require __DIR__ . '/../../vendor/autoload.php';
require_once '/usr/share/php/Psr/Log/autoload.php';
require_once __DIR__ . '/script_env.php';

$brokerUrl = (string) getenv('CELERY_BROKER_URL');
$backendUrl = getenv('CELERY_RESULT_BACKEND') ?: null;
