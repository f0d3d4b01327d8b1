"""`cobro worker`: sends the outbox. Consumes send tasks from the broker with N in flight, dispatches due rows
and sweeps expired claims (every worker does; every step is a conditional change, so they never collide),
and serves /healthz, /readyz and /metrics for operations.

In laptop mode (COBRO_QUEUE_URL empty) the broker is Dramatiq's in-memory StubBroker, so the dispatcher and
the consumer must share a process: `cobro serve` embeds one SendWorker, and `cobro send` runs one until the
outbox is empty.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import structlog
from sqlalchemy import text

from cobro.adapters.metrics import CONTENT_TYPE, SendMetrics
from cobro.adapters.queue.rate_limit import InMemoryRateLimiter, RedisRateLimiter
from cobro.adapters.queue.tasks import TaskEngine, make_broker
from cobro.adapters.whatsapp.sender import GraphSender
from cobro.app.ports import SendRateLimiter
from cobro.app.send_outbox import (
    Sender,
    SendPolicy,
    catalogue_index,
    dispatch_due,
    send_batch,
    sweep,
)
from cobro.bootstrap import Container
from cobro.domain.errors import InvalidInput
from cobro.domain.outbox import OutboxState, RetryPolicy
from cobro.domain.template_catalogue import load_catalogue
from cobro.entrypoints.planning import shared_gate

_log = structlog.get_logger("cobro.worker")
SWEEP_EVERY_SECONDS = 10.0
# How far ahead the dispatcher queues work: a few seconds of the number's rate, so rows do not sit queued
# long enough for the stale sweep to publish them again.
DISPATCH_LOOKAHEAD_SECONDS = 3.0


def send_policy(container: Container) -> SendPolicy:
    """The send policy from the settings: gate, catalogue, default number, timings."""
    s = container.settings
    return SendPolicy(
        gate=shared_gate(),
        catalogue=catalogue_index(load_catalogue()),
        default_phone_number_id=s.whatsapp_phone_number_id,
        retry=RetryPolicy(),
        lease=timedelta(seconds=s.send_lease_seconds),
        unknown_deadline=timedelta(seconds=s.send_unknown_deadline_seconds),
        requeue_after=timedelta(seconds=s.send_requeue_seconds),
        batch_size=s.send_batch_size,
    )


def rate_limiter(container: Container) -> SendRateLimiter:
    """Redis when COBRO_REDIS_URL is set (shared by every worker), else one process's own limiter."""
    s = container.settings
    rate = s.send_rate * s.send_rate_headroom
    if s.redis_url:
        return RedisRateLimiter(s.redis_url, rates=None, default_rate=rate)
    return InMemoryRateLimiter(rates=None, default_rate=rate)


def worker_name() -> str:
    """This process in claims: host and pid, so a person can tell which worker held a row."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class SendWorker:
    """One worker process's send machinery: the Dramatiq consumer, the dispatcher and sweeper, the metrics."""

    def __init__(
        self,
        container: Container,
        *,
        concurrency: int = 8,
        engine: TaskEngine | None = None,
        dispatch: bool = True,
    ) -> None:
        self.container = container
        self.concurrency = concurrency
        self.engine = engine or TaskEngine(
            make_broker(container.settings.queue_url), queue_name=container.settings.queue_name
        )
        self.metrics = SendMetrics()
        self.policy = send_policy(container)
        self.limiter = rate_limiter(container)
        self.graph = GraphSender.from_settings(container.settings)
        self.sender = Sender(
            uow_factory=container.uow_factory,
            clock=container.clock,
            sender=self.graph,
            limiter=self.limiter,
            policy=self.policy,
            worker=worker_name(),
            rng=random.Random(),
        )
        self.engine.set_handler(self._handle)
        self._dispatch = dispatch
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._worker: Any = None
        self.last_dispatch_ok = 0.0

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts consuming send tasks and, unless told otherwise, dispatching and sweeping."""
        s = self.container.settings
        if s.queue_url and not s.redis_url:
            # Each worker would keep its own limiter: N workers would send N times the number's rate.
            raise InvalidInput(
                "COBRO_QUEUE_URL is set but COBRO_REDIS_URL is not: workers sharing a broker must share "
                "the per-number rate limit in Redis"
            )
        self._worker = self.engine.worker(self.concurrency)
        self._worker.start()
        if self._dispatch:
            thread = threading.Thread(target=self._dispatch_loop, name="cobro-dispatch", daemon=True)
            thread.start()
            self._threads.append(thread)
        _log.info("worker_started", worker=self.sender.worker, concurrency=self.concurrency)

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful: stops dispatching, lets in-flight tasks finish their sends and records (up to `timeout`);
        tasks not started go back to the broker, their rows stay `queued`."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._worker is not None:
            self._worker.stop(timeout=int(timeout * 1000))
        self.engine.close()
        _log.info("worker_stopped", worker=self.sender.worker)

    # --- the parts -------------------------------------------------------------------------------------

    async def _handle(self, phone_number_id: str | None, ids: list[int]) -> None:
        self.metrics.sends_in_flight.inc(len(ids))
        try:
            result = await send_batch(self.sender, phone_number_id, ids)
        finally:
            self.metrics.sends_in_flight.dec(len(ids))
        self.metrics.observe_batch(result)

    def dispatch_once(self) -> int:
        """Queues the due rows the next few seconds can send; returns how many."""
        s = self.container.settings
        limit = max(self.policy.batch_size, int(s.send_rate * DISPATCH_LOOKAHEAD_SECONDS))
        with self.container.uow_factory() as uow:
            waiting = uow.outbox.counts([OutboxState.QUEUED]).get(OutboxState.QUEUED, 0)
        if waiting >= limit:
            return 0
        return dispatch_due(
            self.container.uow_factory,
            self.container.clock,
            self.engine,
            limit=limit - waiting,
            batch_size=self.policy.batch_size,
        )

    def sweep_once(self) -> None:
        """Republishes lost tasks, expires dead claims, hands old unknowns to a person; updates the gauges."""
        result = sweep(self.container.uow_factory, self.container.clock, self.engine, self.policy)
        if result.expired or result.handed_over or result.republished:
            _log.warning(
                "outbox_sweep",
                republished=result.republished,
                expired=len(result.expired),
                handed_over=len(result.handed_over),
            )
        with self.container.uow_factory() as uow:
            counts = uow.outbox.counts()
        self.metrics.set_outbox_counts({state.value: n for state, n in counts.items()})

    def _dispatch_loop(self) -> None:
        every = self.container.settings.dispatch_every_seconds
        next_sweep = 0.0
        while not self._stopping.is_set():
            try:
                self.dispatch_once()
                if time.monotonic() >= next_sweep:
                    self.sweep_once()
                    next_sweep = time.monotonic() + SWEEP_EVERY_SECONDS
                self.last_dispatch_ok = time.monotonic()
            except Exception as exc:  # the next tick retries; a broker or database blip must not end the loop
                _log.error("dispatch_failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
            self._stopping.wait(every)

    # --- health ----------------------------------------------------------------------------------------

    def ready(self) -> tuple[bool, str]:
        """Ready when the database answers and the dispatcher ran recently (when it runs here)."""
        try:
            with self.container.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"database: {type(exc).__name__}"
        if self._dispatch and time.monotonic() - self.last_dispatch_ok > 30 + SWEEP_EVERY_SECONDS:
            return False, "dispatcher has not completed a round in 40 s"
        return True, "ready"


def serve_operations(worker: SendWorker, host: str, port: int) -> WSGIServer:
    """Serves /healthz, /readyz and /metrics (Prometheus text format) on a daemon thread."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
            return [worker.metrics.render()]
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path == "/readyz":
            ok, why = worker.ready()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [why.encode() + b"\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    class _Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds: no access log
            return

    server = make_server(host, port, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="cobro-ops", daemon=True).start()
    return server
