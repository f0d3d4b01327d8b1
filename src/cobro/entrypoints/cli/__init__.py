"""The `cobro` command: one Typer app, sub-commands in their own modules, typed errors turned into exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from cobro.domain.errors import CobroError
from cobro.entrypoints.cli import (
    creditors,
    database,
    demo,
    explain,
    imports,
    inbox,
    nlu,
    plan,
    sandbox,
    server,
    strategies,
    templates,
    whatsapp,
    worker,
)
from cobro.entrypoints.cli.context import state

app = typer.Typer(
    name="cobro",
    help="Cobro: debt collection over WhatsApp. Import accounts, plan contacts, run the server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(database.app, name="db")
app.add_typer(creditors.app, name="creditor")
app.add_typer(imports.app, name="import")
app.add_typer(demo.app, name="demo")
app.add_typer(whatsapp.app, name="whatsapp")
app.add_typer(strategies.app, name="strategy")
app.add_typer(templates.app, name="templates")
app.command("serve")(server.serve)
app.command("sandbox")(sandbox.run)
app.command("plan")(plan.run)
app.command("explain")(explain.run)
app.command("worker")(worker.worker)
app.command("send")(worker.send)
app.add_typer(worker.outbox_app, name="outbox")
app.add_typer(nlu.app, name="nlu")
app.add_typer(inbox.app, name="inbox")


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on failure.")) -> None:
    """Cobro: debt collection over WhatsApp."""
    state.debug = debug


def main() -> None:
    """Runs the CLI; a failure prints one line (a traceback only with --debug) and exits non-zero."""
    try:
        app()  # Typer's standalone mode handles --help, usage errors and exit codes itself
    except CobroError as exc:
        _fail(f"error: {exc}")
    except Exception as exc:  # the last guard: one line, the traceback only when asked for
        if state.debug:
            raise
        _fail(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")


def _fail(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(message, markup=False)
    sys.exit(1)
