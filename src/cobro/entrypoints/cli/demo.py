"""`cobro demo`: demo data for trying Cobro."""

from __future__ import annotations

import typer

from cobro.entrypoints.cli.context import container, out

app = typer.Typer(help="Demo data.", no_args_is_help=True)


@app.command("seed")
def seed(
    debtors: int = typer.Option(300, "--debtors", help="How many debtors to create."),
    seed_value: int = typer.Option(7, "--seed", help="Random seed; the same seed gives the same data."),
) -> None:
    """Creates the demo creditor and its debtors, the same every time (fixed random seed)."""
    from cobro.demo.collection_states import apply_collection_states
    from cobro.demo.seed import DEMO_SLUG, seed_demo

    c = container()
    try:
        outcome = seed_demo(c.uow_factory, c.clock, debtors=debtors, seed=seed_value)
        states = apply_collection_states(c.engine, c.clock.now(), seed=seed_value)
    finally:
        c.close()
    n = outcome.counts
    out.print(
        f"demo creditor {DEMO_SLUG}: {n.debtors_created} debtors, {n.accounts_created} accounts, "
        f"{n.invoices_created} invoices created ({n.invoices_unchanged} already there)"
    )
    out.print("collection states: " + ", ".join(f"{count} {name}" for name, count in states.items()))


@app.command("start")
def start(
    host: str | None = typer.Option(None, "--host", help="Address Cobro listens on (default COBRO_HOST)."),
    port: int | None = typer.Option(None, "--port", help="Port Cobro listens on (default COBRO_PORT, 8000)."),
    sandbox_port: int = typer.Option(8900, "--sandbox-port", help="Port of the WhatsApp sandbox."),
) -> None:
    """Starts the WhatsApp sandbox and Cobro side by side, subscribes Cobro's webhook, sends a first template."""
    import anyio

    from cobro.demo.stack import run_demo_stack
    from cobro.demo.whatsapp import start_demo_conversation

    c = container()
    host = host or c.settings.host
    port = port or c.settings.port
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    # The server and the sandbox are child processes; this process only wires them and sends one template.
    c.settings.whatsapp_api_base = sandbox

    def after_start() -> None:
        phone = anyio.run(start_demo_conversation, c, f"http://{host}:{port}/webhooks/whatsapp")
        out.print(f"Cobro server:     http://{host}:{port}/")
        out.print(f"Debtor phones:    {sandbox}/phone")
        if phone:
            out.print(f"A reminder went to {sandbox}/phone/{phone}: open it, tap a button or write back.")
        else:
            out.print("No demo invoice to remind (run `cobro demo seed`); the phone page is ready anyway.")

    try:
        run_demo_stack(
            host=host, port=port, sandbox_port=sandbox_port, after_start=after_start, announce=out.print
        )
    finally:
        c.close()
