"""The sandbox's Litestar app: Graph routes, phone API, phone page, and the sandbox's own config, admin and stats."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler

from cobro.sandbox.errors import GraphError
from cobro.sandbox.graph_routes import graph_routes, handle_graph_error, json_object, json_response
from cobro.sandbox.payments import PaymentsDesk, payment_routes
from cobro.sandbox.phone_page import phone_page_routes
from cobro.sandbox.phone_routes import phone_routes
from cobro.sandbox.runtime import Sandbox
from cobro.sandbox.settings import SandboxSettings
from cobro.sandbox.snapshot import load_snapshot, save_snapshot


def sandbox_routes(sandbox: Sandbox) -> list[HTTPRouteHandler]:
    """GET /sandbox/config, POST /sandbox/admin, GET /sandbox/stats."""

    @get("/sandbox/config")
    async def config() -> Response[bytes]:
        """Ids, tokens, secret, callback URL and knobs."""
        return json_response(sandbox.config())

    @post("/sandbox/admin", status_code=200)
    async def admin(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Changes knobs at run time; also `reset` (forget chats and counters) and `template_status`."""
        patch = json_object(await request.body() or b"{}")
        reset = bool(patch.pop("reset", False))
        template_status = patch.pop("template_status", None)
        sandbox.update(patch)
        if template_status is not None:
            sandbox.set_template_status(template_status)
        if reset:
            sandbox.state.reset()
            sandbox.dispatcher.stats = type(sandbox.dispatcher.stats)()
        return json_response(sandbox.config())

    @get("/sandbox/stats")
    async def stats() -> Response[bytes]:
        """Counters: accepted, rejected by code, webhooks, duplicates per biz_opaque_callback_data."""
        return json_response(sandbox.stats())

    return [config, admin, stats]


def create_sandbox_app(
    settings: SandboxSettings | None = None, *, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> Litestar:
    """The sandbox app; its loops start with the app and stop with it (the Sandbox is at app.state.sandbox)."""
    settings = settings or SandboxSettings()
    sandbox = Sandbox(settings, webhook_transport)
    payments = PaymentsDesk(lambda: sandbox.settings, webhook_transport)
    if settings.state_file is not None:
        load_snapshot(sandbox, settings.state_file)

    async def start() -> None:
        await sandbox.start()

    async def stop() -> None:
        await sandbox.stop()
        await payments.aclose()
        if sandbox.settings.state_file is not None:
            save_snapshot(sandbox, sandbox.settings.state_file)

    return Litestar(
        route_handlers=[
            *sandbox_routes(sandbox),
            *phone_routes(sandbox),
            *phone_page_routes,
            *graph_routes(sandbox),
            *payment_routes(payments),
        ],
        on_startup=[start],
        on_shutdown=[stop],
        exception_handlers={GraphError: handle_graph_error},
        openapi_config=None,
        state=State({"sandbox": sandbox, "payments": payments}),
    )
