"""The task engine: Dramatiq on RabbitMQ (or Redis) in production, its in-memory StubBroker in one process.

Tasks carry outbox ids only; the database says whether a message went out, so a redelivered task finds its
rows claimed or settled and does nothing (decision 0032). The same actor runs on every broker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from cobro.app.ports import QueuedBatch

SEND_QUEUE = "cobro-send"
SEND_ACTOR = "send_batch"
# A send task runs for a batch's slots plus the answers: minutes at most. Past this Dramatiq interrupts it
# (its rows then expire into `unknown`, never resent blindly).
TASK_TIME_LIMIT_MS = 10 * 60 * 1000

SendHandler = Callable[[str | None, list[int]], Awaitable[Any]]


def make_broker(queue_url: str) -> dramatiq.Broker:
    """The broker the URL names: empty for the in-process StubBroker, amqp:// for RabbitMQ, redis:// for Redis."""
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=TASK_TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        # A task that raised is retried a few times: safe, since the claim in the database is conditional.
        Retries(max_retries=3, min_backoff=1_000, max_backoff=30_000),
        AsyncIO(),
    ]
    broker: dramatiq.Broker
    if not queue_url:
        broker = StubBroker(middleware=middleware)
    elif queue_url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # confirm_delivery: enqueue returns only once RabbitMQ took the message (else it raises).
        broker = RabbitmqBroker(url=queue_url, confirm_delivery=True, middleware=middleware)
    elif queue_url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=queue_url, middleware=middleware)
    else:
        raise ValueError(
            f"COBRO_QUEUE_URL must be empty, amqp://... or redis://..., not {queue_url.split(':')[0]}:"
        )
    return broker


class TaskEngine:
    """The broker and the send actor, bound to the handler this process runs tasks with (a worker), or to
    none (a process that only publishes)."""

    def __init__(
        self, broker: dramatiq.Broker, handler: SendHandler | None = None, queue_name: str = SEND_QUEUE
    ) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self._handler = handler

        async def send_batch(phone_number_id: str | None, ids: list[int]) -> None:
            if self._handler is None:
                raise RuntimeError("this process publishes send tasks but runs none")
            await self._handler(phone_number_id, ids)

        self.actor: dramatiq.Actor[Any, Any] = dramatiq.Actor(
            send_batch,
            broker=broker,
            actor_name=SEND_ACTOR,
            queue_name=queue_name,
            priority=0,
            options={},
        )

    def set_handler(self, handler: SendHandler) -> None:
        """Binds the coroutine that runs each send task."""
        self._handler = handler

    def publish(self, batches: Sequence[QueuedBatch]) -> None:
        """One task per batch; raises if the broker refused one (its rows stay `queued` for the sweep)."""
        for batch in batches:
            self.actor.send(batch.phone_number_id, list(batch.ids))

    def worker(self, concurrency: int) -> dramatiq.Worker:
        """A Dramatiq worker consuming the send queue with `concurrency` tasks in flight."""
        return dramatiq.Worker(
            self.broker, queues={self.queue_name}, worker_threads=concurrency, worker_timeout=100
        )

    def close(self) -> None:
        """Closes the broker's connections."""
        self.broker.close()
