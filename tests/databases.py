"""The Redis database numbers the tests use, in one table.

A test that needs a database of its own (a worker that must not see the session worker's
queues, a FLUSHDB, a count of every key) takes one from here by name. Redis has 16 databases
(0-15) unless configured otherwise, and some harnesses (tests/external.py) use a stock server,
so some numbers are shared: they belong to tests in different modules, which never run at the
same time (one pytest process, one test at a time), and each such test clears its database
first or counts only the keys it made.
"""

from __future__ import annotations

# The session worker (conftest.py): broker and result backend.
BROKER = 0
BACKEND = 1

# test_results_config.py: a worker with its own result settings, broker and backend apart.
RESULTS_CONFIG_BROKER = 2
RESULTS_CONFIG_BACKEND = 3

# test_results_transports.py: the backend reached over TLS and a Unix socket.
TRANSPORTS_BACKEND = 4

# test_differential.py: the same calls published by Celery and by PHP, compared key by key.
DIFFERENTIAL_PYTHON = 4
DIFFERENTIAL_PHP = 5

# test_control_commands.py: the module's prefork control worker, the worker with remote
# control off, and the two workers a shutdown is addressed to.
CONTROL_BROKER = 5
CONTROL_BACKEND = 6
CONTROL_DEAF = 7
CONTROL_PAIR = 12

# test_bad_input.py: refused input leaves this database empty.
BAD_INPUT = 6

# test_send_many.py: a chord cut while published (broker and backend in one database).
CHORD_CUT = 7

# test_canvas_wire.py: every canvas published by Celery and by PHP, side by side.
CANVAS_WIRE_PYTHON = 8
CANVAS_WIRE_PHP = 9
CANVAS_WIRE_PYTHON_BACKEND = 10
CANVAS_WIRE_PHP_BACKEND = 11

# test_revoke.py, test_control_wire.py: control messages captured off the mailbox channel.
CONTROL_CAPTURE = 12

# test_event_stream.py: a worker started with -E, whose event channels carry the number.
EVENT_STREAM = 13

# test_queue_tools.py: queue lengths and purges counted against Celery's own.
QUEUE_TOOLS = 13
