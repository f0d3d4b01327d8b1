"""`cobro sandbox`: the local WhatsApp Cloud API stand-in (stub until the server lands)."""

from __future__ import annotations

import typer


def run(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default 8900)."),
) -> None:
    """Runs the WhatsApp sandbox."""
    raise typer.Exit(1)
