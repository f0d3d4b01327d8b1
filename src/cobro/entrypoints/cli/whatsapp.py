"""`cobro whatsapp`: the WhatsApp Business account as Cobro sees it (Meta's, or the sandbox's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import typer
from rich.table import Table

from cobro.domain.errors import CobroError
from cobro.entrypoints.cli.context import container, out

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from cobro.adapters.whatsapp import WhatsAppClient

T = TypeVar("T")

app = typer.Typer(
    help="The WhatsApp Business account: webhook subscription, templates.", no_args_is_help=True
)


class WhatsAppRefused(CobroError):
    """The Graph API refused a call; the message carries Meta's code and explanation."""


def _call(action: Callable[[WhatsAppClient], Awaitable[T]]) -> T:
    """Runs one client call against COBRO_WHATSAPP_API_BASE; a refusal becomes one `error:` line."""
    import anyio

    from cobro.adapters.whatsapp import WhatsAppClient, WhatsAppError

    c = container()

    async def run() -> T:
        async with WhatsAppClient.from_settings(c.settings) as client:
            return await action(client)

    try:
        return anyio.run(run)
    except WhatsAppError as exc:
        raise WhatsAppRefused(f"{c.settings.whatsapp_api_base} refused: {exc}") from exc
    finally:
        c.close()


@app.command("subscribe")
def subscribe(
    callback_url: str = typer.Option(
        ..., "--callback-url", help="Cobro's public webhook address, ending in /webhooks/whatsapp."
    ),
) -> None:
    """Points the app's WhatsApp webhooks at Cobro; Meta (or the sandbox) first runs the handshake."""
    settings = container().settings
    _call(
        lambda client: client.subscribe_app(
            app_id=settings.whatsapp_app_id,
            app_secret=settings.whatsapp_app_secret.get_secret_value(),
            callback_url=callback_url,
            verify_token=settings.whatsapp_verify_token.get_secret_value(),
        )
    )
    out.print(f"webhooks of app {settings.whatsapp_app_id} now go to {callback_url} (handshake passed)")


@app.command("templates")
def templates(
    name: str | None = typer.Option(None, "--name", help="Only templates with this name."),
    status: str | None = typer.Option(None, "--status", help="Only this status, e.g. APPROVED or REJECTED."),
) -> None:
    """Lists the account's message templates with their review status and rejection reason."""
    found = _call(lambda client: client.list_templates(name=name, status=status))
    table = Table("name", "language", "category", "status", "rejected reason")
    for t in sorted(found, key=lambda t: (t.name, t.language)):
        table.add_row(t.name, t.language, t.category, t.status, t.rejected_reason or "")
    out.print(table)
    out.print(f"{len(found)} template(s)")


@app.command("process-webhooks")
def process_webhooks(
    limit: int = typer.Option(1000, "--limit", help="Most deliveries to apply in this run."),
) -> None:
    """Applies stored webhook deliveries that are still waiting (the server does this by itself)."""
    from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
    from cobro.app.record_webhooks import process_webhook_deliveries

    c = container()
    try:
        done = process_webhook_deliveries(c.uow_factory, c.clock, parse_webhook, limit=limit)
    finally:
        c.close()
    out.print(
        f"{done.processed} deliveries applied ({done.messages} messages, {done.statuses} statuses, "
        f"{done.template_reviews} template reviews), {len(done.failures)} failed"
    )
    for failure in done.failures:
        out.print(f"delivery {failure.delivery_id}: {failure.error}", markup=False)
