"""Builds the Litestar application around a wired container."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Litestar, MediaType, get
from litestar.datastructures import State
from litestar.response import Response

from cobro import __version__
from cobro.adapters.db import migrate
from cobro.bootstrap import Container
from cobro.entrypoints.web.scheduler import plan_periodically
from cobro.entrypoints.web.webhooks import (
    WebhookProcessor,
    drain_periodically,
    process_leftover_deliveries,
    receive_whatsapp_webhook,
    verify_whatsapp_webhook,
)


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


def create_app(container: Container) -> Litestar:
    """The web application for one process."""
    processor = WebhookProcessor(container.uow_factory, container.clock)
    background: set[asyncio.Task[None]] = set()
    periodic: set[asyncio.Task[None]] = set()

    def start_backlog() -> None:
        # In the background: a long backlog must not hold up startup or readiness.
        loop = asyncio.get_running_loop()
        background.add(loop.create_task(process_leftover_deliveries(container, processor)))
        periodic.add(loop.create_task(drain_periodically(processor)))
        if container.settings.plan_every_seconds > 0:
            periodic.add(
                loop.create_task(plan_periodically(container, container.settings.plan_every_seconds))
            )

    async def stop() -> None:
        processor.stopping.set()  # a drain stops after the delivery in hand
        for task in periodic:
            task.cancel()
        await asyncio.gather(*background, *periodic, return_exceptions=True)
        container.close()

    return Litestar(
        route_handlers=[healthz, readyz, home, verify_whatsapp_webhook, receive_whatsapp_webhook],
        state=State({"container": container, "webhook_processor": processor, "background": background}),
        on_startup=[start_backlog],
        on_shutdown=[stop],
    )
