"""The RabbitMQ harness: a real Celery worker consumes over AMQP from the harness's node, and a
second node runs beside the session one and leaves no process behind."""

from __future__ import annotations

from amqp_helpers import waiting
from celery import Celery

from harness import Records, alive
from rabbitmq import RabbitMQServer


def test_python_send_task_runs_on_a_worker_over_rabbitmq(
    rabbitmq_server: RabbitMQServer,
    amqp_celery: Celery,
    start_amqp_worker,
    records: Records,
) -> None:
    queue = "amqp_smoke"
    # Sent before any worker exists: the messages must be waiting in RabbitMQ's queue (the
    # publisher declared it), not anywhere else.
    sent = amqp_celery.send_task("tasks.record", args=[2, 3], kwargs={"k": "v"}, queue=queue)
    added = amqp_celery.send_task("tasks.add", args=[2, 3], queue=queue)
    assert waiting(rabbitmq_server, queue) == 2

    start_amqp_worker([queue], hostname="amqp@%h")

    record = records.pop(timeout=20)
    assert record["args"] == [2, 3]
    assert record["kwargs"] == {"k": "v"}
    request = record["request"]
    assert request["id"] == sent.id
    # Rebuilt by the worker from basic.deliver: Celery publishes to the default exchange.
    assert request["delivery_info"]["exchange"] == ""
    assert request["delivery_info"]["routing_key"] == queue
    assert added.get(timeout=20) == 5


def test_a_second_node_runs_beside_the_session_node_and_stops_completely(
    rabbitmq_server: RabbitMQServer,
) -> None:
    other = RabbitMQServer().start()
    directory = other.directory
    try:
        assert other.nodename != rabbitmq_server.nodename
        assert {other.port, other.dist_port, other.epmd_port}.isdisjoint(
            {rabbitmq_server.port, rabbitmq_server.dist_port, rabbitmq_server.epmd_port}
        )
        pids = other.pids
        assert len(pids) == 2
    finally:
        other.stop()
    assert other.pids == []
    assert not any(alive(pid) for pid in pids)
    assert not directory.exists()
    # The session node is untouched.
    rabbitmq_server.connection().close()
