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
    out.print(f"Cobro is running at http://{host}:{port}/  (database: {c.engine.url.get_backend_name()})")
    uvicorn.run(create_app(c), host=host, port=port, log_level="warning")
