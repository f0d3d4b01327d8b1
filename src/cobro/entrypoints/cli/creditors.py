"""`cobro creditor`: add and list creditors (tenants)."""

from __future__ import annotations

import typer
from rich.table import Table

from cobro.entrypoints.cli.context import container, out

app = typer.Typer(help="Creditors: the businesses Cobro collects for.", no_args_is_help=True)


@app.command("add")
def add(
    slug: str = typer.Argument(..., help="Short unique name, e.g. acme."),
    name: str = typer.Option(..., "--name", help="Business name shown to debtors."),
    country: str = typer.Option(..., "--country", help="ISO 3166 country code, e.g. MX."),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 currency, e.g. MXN."),
    language: str = typer.Option("es", "--language", help="Default language: es, en, pt or it."),
) -> None:
    """Adds a creditor."""
    from cobro.app.creditors import add_creditor

    c = container()
    try:
        creditor = add_creditor(
            c.uow_factory,
            c.clock,
            slug=slug,
            name=name,
            country=country,
            currency=currency,
            language=language,
        )
    finally:
        c.close()
    out.print(
        f"creditor {creditor.slug} added ({creditor.country}, {creditor.currency}, {creditor.language})"
    )


@app.command("list")
def list_() -> None:
    """Lists creditors."""
    from cobro.app.creditors import list_creditors

    c = container()
    try:
        found = list_creditors(c.uow_factory)
    finally:
        c.close()
    if not found:
        out.print("no creditors yet; add one with 'cobro creditor add'")
        return
    table = Table("slug", "name", "country", "currency", "language")
    for creditor in found:
        table.add_row(creditor.slug, creditor.name, creditor.country, creditor.currency, creditor.language)
    out.print(table)
