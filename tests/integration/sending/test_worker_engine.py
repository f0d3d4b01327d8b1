"""The task engine around the send pipeline: a SendWorker consuming Dramatiq tasks, in-process (StubBroker,
laptop mode) on both databases and on RabbitMQ with the Redis limiter on PostgreSQL. Redelivered tasks
(the same batch published again) never send a message twice; a graceful stop finishes what is in flight."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cobro.adapters.queue.tasks import TaskEngine, make_broker
from cobro.app.ports import QueuedBatch
from cobro.bootstrap import Container
from cobro.config import Settings
from cobro.domain.outbox import OutboxState
from cobro.entrypoints.worker import SendWorker, serve_operations
from tests.integration.sandbox.conftest import free_port
from tests.integration.sending.pipeline import DEBTORS, accepted_keys, duplicates, plan, rows, states

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"
REDIS = "redis://127.0.0.1:6379/15"


def container_for(database_url: str, engine, uow_factory, clock, api_base: str, **settings: Any) -> Container:
    values: dict[str, Any] = {
        "database_url": database_url,
        "whatsapp_api_base": api_base,
        "send_rate": 1000.0,
        "send_batch_size": 2,
        "dispatch_every_seconds": 0.05,
        **settings,
    }
    return Container(settings=Settings(**values), clock=clock, engine=engine, uow_factory=uow_factory)


def wait_until(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_laptop_mode_sends_through_the_in_process_broker(
    database_url, engine, uow_factory, clock, acme, sandbox_for
):
    running, _ = sandbox_for()
    plan(uow_factory, clock)
    container = container_for(database_url, engine, uow_factory, clock, running.url)
    worker = SendWorker(container, concurrency=2)
    assert container.settings.queue_url == ""
    worker.start()
    try:
        wait_until(lambda: states(engine) == {"sent": DEBTORS}, what="every row sent")
        # The broker delivers every task again: the rows are settled, nothing more goes out.
        worker.engine.publish([QueuedBatch(None, tuple(r.id for r in rows(engine)))])
        worker.engine.broker.join(worker.engine.queue_name)  # type: ignore[attr-defined]
        time.sleep(0.2)
    finally:
        worker.stop(timeout=10)
    assert accepted_keys(running) == DEBTORS
    assert duplicates(running) == 0
    assert worker.metrics.messages_sent.labels(phone_number_id="1090000000000001")._value.get() == DEBTORS


def test_operations_endpoints_answer(database_url, engine, uow_factory, clock, acme, sandbox_for):
    running, _ = sandbox_for()
    container = container_for(database_url, engine, uow_factory, clock, running.url)
    worker = SendWorker(container, concurrency=1)
    worker.start()
    port = free_port()
    server = serve_operations(worker, "127.0.0.1", port)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: worker.last_dispatch_ok > 0, what="a dispatch round")
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert httpx.get(f"{base}/readyz").status_code == 200
        worker.sweep_once()
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert 'cobro_outbox_messages{state="sent"}' in metrics.text
        assert "cobro_messages_sent_total" in metrics.text
        assert httpx.get(f"{base}/nothing").status_code == 404
    finally:
        server.shutdown()
        worker.stop(timeout=5)


@pytest.fixture
def rabbit_queue() -> Iterator[str]:
    """A queue of this test's own on the machine's RabbitMQ, deleted afterwards."""
    pika = pytest.importorskip("pika")
    name = f"cobro-test-{uuid.uuid4().hex[:10]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
    channel = connection.channel()
    for queue in (name, f"{name}.DQ", f"{name}.XQ"):
        channel.queue_delete(queue=queue)
    connection.close()


def test_workers_on_rabbitmq_share_the_redis_limiter_and_never_send_twice(
    database_url, engine, uow_factory, clock, acme, sandbox_for, rabbit_queue
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the production shape: PostgreSQL, RabbitMQ and Redis")
    running, _ = sandbox_for()
    plan(uow_factory, clock)
    container = container_for(
        database_url,
        engine,
        uow_factory,
        clock,
        running.url,
        queue_url=RABBITMQ,
        queue_name=rabbit_queue,
        redis_url=REDIS,
    )
    # One worker consumes (Dramatiq's event loop is one per process); a second process's dispatcher
    # publishes too, as another machine would. The limiter is Redis's.
    worker = SendWorker(container, concurrency=4)
    other_dispatcher = SendWorker(container, concurrency=1, dispatch=False)
    worker.start()
    try:
        other_dispatcher.dispatch_once()
        wait_until(lambda: states(engine) == {"sent": DEBTORS}, what="every row sent")
        # Every task again, through RabbitMQ: the claims in the database turn them all away.
        publisher = TaskEngine(make_broker(RABBITMQ), queue_name=rabbit_queue)
        publisher.publish([QueuedBatch(None, tuple(r.id for r in rows(engine)))] * 3)
        publisher.close()
        time.sleep(1.0)
    finally:
        worker.stop(timeout=10)
        other_dispatcher.engine.close()
    assert accepted_keys(running) == DEBTORS
    assert duplicates(running) == 0
    assert {r.state for r in rows(engine)} == {OutboxState.SENT.value}
