"""Issue 27: rpc:// results on a php-amqplib connection the application injected. A channel
RabbitMQ closes under the result consumer (a 404 on a reply queue deleted or expired) costs only
that channel: the application's connection stays open, the read goes on on a new channel (the
queue declared again), and later sends work."""

from __future__ import annotations

import amqp

from rabbitmq import RabbitMQServer


def test_a_channel_closed_under_the_rpc_consumer_leaves_the_injected_connection_open(
    rabbitmq_server: RabbitMQServer, run_php
) -> None:
    queue = "amqp_rpc_injected"
    out = run_php.file(
        "amqp_rpc_injected.php", env={"CB_AMQP_PORT": str(rabbitmq_server.port), "CB_QUEUE": queue}
    ).json()
    assert out["state"] == "PENDING", out
    assert isinstance(out["second"], str), out
    assert out["connected"] is True, out
    with amqp.Connection(f"127.0.0.1:{rabbitmq_server.port}") as conn:
        channel = conn.channel()
        message = channel.basic_get(queue, no_ack=True)
        channel.queue_delete(queue)
    assert message is not None and message.headers["id"] == out["second"]
