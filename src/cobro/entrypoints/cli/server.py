"""`cobro serve`: the web server (webhooks, API, console)."""

from __future__ import annotations

import typer
import uvicorn

from cobro.entrypoints.cli.context import container, out


def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default COBRO_HOST, 127.0.0.1)."
    ),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default COBRO_PORT, 8000)."),
) -> None:
    """Runs the Cobro server."""
    from cobro.entrypoints.web.app import create_app

    c = container()
    host = host or c.settings.host
    port = port or c.settings.port
    send_worker = None
    if not c.settings.queue_url and c.settings.send_in_server:
        from cobro.entrypoints.worker import SendWorker

        # Laptop mode: no broker, so the server sends the outbox itself (Dramatiq's in-memory broker).
        send_worker = SendWorker(c, concurrency=4)
    sending = "sends in this process" if send_worker else "sending left to workers"
    out.print(
        f"Cobro is running at http://{host}:{port}/  (database: {c.engine.url.get_backend_name()}; {sending})"
    )
    uvicorn.run(create_app(c, send_worker=send_worker), host=host, port=port, log_level="warning")
