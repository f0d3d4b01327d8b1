"""`cobro sandbox`: the local WhatsApp Cloud API stand-in (see docs/sandbox.md)."""

from __future__ import annotations

import gc
import logging

import typer
import uvicorn

from cobro.entrypoints.cli.context import out


def run(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default 8900)."),
) -> None:
    """Runs the WhatsApp sandbox."""
    from cobro.sandbox.app import create_sandbox_app
    from cobro.sandbox.settings import SandboxSettings

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = SandboxSettings(**overrides)  # type: ignore[arg-type]
    base = settings.base_url()
    lines = [
        f"WhatsApp sandbox (Graph API stand-in) at {base}",
        f"  Graph base URL      {base}/v23.0  (any v<major>.<minor>)",
        f"  access token        {', '.join(settings.access_tokens)}",
        f"  app id / secret     {settings.app_id} / {settings.app_secret}",
        f"  app access token    {settings.app_id}|{settings.app_secret}",
        f"  WABA id             {settings.waba_id}",
    ]
    for number in settings.business_numbers:
        lines.append(
            f"  phone number id     {number.id}  (+{number.display_phone_number}, {number.tier} msg/s)"
        )
    lines += [
        f"  verify token        {settings.verify_token}",
        f"  callback URL        {settings.callback_url or '(none: POST /{app-id}/subscriptions to set one)'}",
        f"  phone page          {base}/phone",
        f"  config and stats    {base}/sandbox/config  {base}/sandbox/stats",
    ]
    out.print("\n".join(lines), markup=False, highlight=False)
    # The sandbox holds hundreds of thousands of small objects; default GC thresholds make full collections
    # (pauses of a few hundred ms) frequent under a send benchmark. This process is the sandbox's alone.
    # httpx would log each webhook POST and handshake URL (verify token included) at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    # uvloop and httptools: the send benchmark needs thousands of requests a second; access logs would halve it.
    uvicorn.run(
        create_sandbox_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
