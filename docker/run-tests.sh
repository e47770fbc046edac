#!/bin/sh
# What the test profile of docker-compose.yml runs in its tests container (docker/tests.Dockerfile):
#   1. pytest's interop suites (the publish, results, canvas and revoke areas of tests/matrix.py,
#      the same files `make matrix` runs against every Celery release) against compose's own
#      Redis and worker (CELERYBRIDGE_EXTERNAL_REDIS / CELERYBRIDGE_EXTERNAL_WORKER, set in
#      docker-compose.yml); the tests that need processes of their own are listed as skipped.
#   2. PHPUnit's integration suite, as `make integration` runs it: on a throwaway redis-server in
#      this container, since it flushes its database and counts the server's connections, which
#      the worker and the healthchecks would change on compose's Redis.
# The exit code is non-zero when either failed; both always run.
set -u
cd "$(dirname "$0")/.."
status=0
pytest -p no:cacheprovider \
    tests/test_smoke.py tests/test_publish_options.py tests/test_routing.py tests/test_priority.py \
    tests/test_serializers.py tests/test_hostile_input.py \
    tests/test_results.py tests/test_result_handles.py \
    tests/test_canvas.py tests/test_canvas_callbacks.py \
    tests/test_revoke.py || status=1
tests/run_with_redis.sh env CELERY_BRIDGE_REQUIRE_INTEGRATION=1 phpunit --testsuite integration || status=1
exit "$status"
