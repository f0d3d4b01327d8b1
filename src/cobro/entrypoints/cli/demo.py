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
    from cobro.demo.seed import DEMO_SLUG, seed_demo

    c = container()
    try:
        outcome = seed_demo(c.uow_factory, c.clock, debtors=debtors, seed=seed_value)
    finally:
        c.close()
    n = outcome.counts
    out.print(
        f"demo creditor {DEMO_SLUG}: {n.debtors_created} debtors, {n.accounts_created} accounts, "
        f"{n.invoices_created} invoices created ({n.invoices_unchanged} already there)"
    )
