"""Builds the Litestar application around a wired container."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from litestar import Litestar, MediaType, get
from litestar.datastructures import State
from litestar.response import Response

from cobro import __version__
from cobro.adapters.db import migrate
from cobro.adapters.metrics import CONTENT_TYPE, SendMetrics
from cobro.bootstrap import Container
from cobro.entrypoints.web.payments import Payments, open_pay_link, receive_payment_webhook
from cobro.entrypoints.web.scheduler import plan_periodically
from cobro.entrypoints.web.webhooks import (
    WebhookProcessor,
    drain_periodically,
    process_leftover_deliveries,
    receive_whatsapp_webhook,
    verify_whatsapp_webhook,
)
from cobro.entrypoints.worker import SendWorker


@get("/healthz", media_type=MediaType.JSON, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok", "version": __version__}


@get("/readyz", media_type=MediaType.JSON, sync_to_thread=True)
def readyz(state: State) -> Response[dict[str, Any]]:
    """Readiness: the database answers and is migrated to the newest revision."""
    container: Container = state.container
    try:
        with container.engine.connect() as connection:
            revision = migrate.revision_of(connection)  # one query on the pooled engine proves both
    except Exception as exc:  # readiness reports any database failure as 'not ready'
        return Response({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    head = migrate.head_revision()
    if revision != head:
        return Response(
            {"status": "unavailable", "reason": f"database at {revision}, code at {head}"}, status_code=503
        )
    return Response(
        {"status": "ready", "database": container.engine.url.get_backend_name(), "revision": revision}
    )


@get("/", media_type=MediaType.HTML, sync_to_thread=False)
def home() -> str:
    """A landing page until the console arrives."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Cobro</title></head>"
        f"<body><h1>Cobro {__version__}</h1><p>Debt collection over WhatsApp.</p>"
        "<p><a href='/healthz'>health</a> · <a href='/readyz'>readiness</a></p></body></html>"
    )


@get("/metrics", sync_to_thread=True)
def metrics(state: State) -> Response[bytes]:
    """Prometheus text format: the outbox by state, and this process's send counters when it sends."""
    container: Container = state.container
    send_worker = state.send_worker
    registry = send_worker.metrics if send_worker is not None else SendMetrics()
    with container.uow_factory() as uow:
        counts = uow.outbox.counts()
    registry.set_outbox_counts({s.value: n for s, n in counts.items()})
    return Response(registry.render(), media_type=CONTENT_TYPE)


def create_app(container: Container, send_worker: SendWorker | None = None) -> Litestar:
    """The web application for one process; `send_worker` sends the outbox in it (laptop mode)."""
    answer = container.answer_inbound if container.settings.bot_enabled else None
    processor = WebhookProcessor(container.uow_factory, container.clock, answer=answer)
    payments = Payments.for_container(container)
    background: set[asyncio.Task[None]] = set()
    periodic: set[asyncio.Task[None]] = set()

    def start_backlog() -> None:
        # In the background: a long backlog must not hold up startup or readiness.
        loop = asyncio.get_running_loop()
        if answer is not None:  # the classifier trains once, before the first message waits for it
            background.add(loop.create_task(anyio.to_thread.run_sync(container.warm_bot)))
        background.add(loop.create_task(process_leftover_deliveries(container, processor)))
        periodic.add(loop.create_task(drain_periodically(processor)))
        if send_worker is not None:
            send_worker.start()
        if container.settings.plan_every_seconds > 0:
            periodic.add(
                loop.create_task(plan_periodically(container, container.settings.plan_every_seconds))
            )

    async def stop() -> None:
        processor.stopping.set()  # a drain stops after the delivery in hand
        for task in periodic:
            task.cancel()
        await asyncio.gather(*background, *periodic, return_exceptions=True)
        if send_worker is not None:
            await anyio.to_thread.run_sync(send_worker.stop)
        payments.close()
        container.close()

    return Litestar(
        route_handlers=[
            healthz,
            readyz,
            metrics,
            home,
            verify_whatsapp_webhook,
            receive_whatsapp_webhook,
            receive_payment_webhook,
            open_pay_link,
        ],
        state=State(
            {
                "container": container,
                "webhook_processor": processor,
                "background": background,
                "send_worker": send_worker,
                "payments": payments,
            }
        ),
        on_startup=[start_backlog],
        on_shutdown=[stop],
    )
