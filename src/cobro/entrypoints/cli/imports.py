"""`cobro import accounts`: load a creditor's overdue accounts from a CSV export."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cobro.entrypoints.cli.context import container, err, out

if TYPE_CHECKING:
    from cobro.app.import_accounts import ImportOutcome

app = typer.Typer(help="Import data from files.", no_args_is_help=True)


@app.command("accounts")
def accounts(
    file: Path = typer.Argument(
        ..., help="CSV export: account_ref, debtor_name, phone, country, invoice_ref, ..."
    ),
    creditor: str = typer.Option(..., "--creditor", help="Slug of the creditor these accounts belong to."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count, store nothing."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="YAML file mapping the file's columns to Cobro's."
    ),
    locale: str | None = typer.Option(
        None, "--locale", help="Read amounts and dates as this locale writes them."
    ),
    full_snapshot: bool = typer.Option(
        False, "--full-snapshot", help="The file lists every open invoice: settle the ones missing from it."
    ),
) -> None:
    """Imports debtors, accounts and invoices; any bad row stops the import and nothing is stored."""
    from cobro.adapters.files.csv_accounts import open_accounts_csv
    from cobro.app.import_accounts import import_accounts
    from cobro.i18n.numbers import UnknownLocale, load_locale

    if locale:
        try:
            load_locale(locale)
        except UnknownLocale as exc:
            raise typer.BadParameter(str(exc), param_hint="--locale") from None
    c = container()
    try:
        source = open_accounts_csv(file, mapping, max_bytes=c.settings.import_max_bytes)
        workers = c.settings.import_workers if file.stat().st_size > 2_000_000 else 1
        with _progress(file.stat().st_size) as on_progress:
            outcome = import_accounts(
                c.uow_factory,
                c.clock,
                source.rows(),
                creditor_slug=creditor,
                source_name=file.name,
                locale=locale,
                dry_run=dry_run,
                full_snapshot=full_snapshot,
                workers=workers,
                on_progress=on_progress,
            )
    finally:
        c.close()
    if source.ignored:
        err.print(f"note: ignored column(s) {', '.join(source.ignored)}", markup=False)
    if outcome.ok:
        for note in outcome.zone_notes:
            err.print(f"note: {note}", markup=False)
    _report(outcome, file.name, creditor)


def _report(outcome: ImportOutcome, name: str, creditor: str) -> None:
    if not outcome.ok:
        for problem in outcome.problems:
            err.print(str(problem), markup=False)
        total = len(outcome.problems) + outcome.more_problems
        more = f" (first {len(outcome.problems)} shown; stopped reading)" if outcome.more_problems else ""
        err.print(f"nothing was imported: {total} problem(s) in {name}{more}", markup=False)
        raise typer.Exit(1)
    n = outcome.counts
    head = "dry run, nothing stored" if outcome.dry_run else "imported"
    out.print(f"{name} for {creditor}: {head}; {n.rows} rows", markup=False)
    out.print(f"  debtors   created {n.debtors_created}, updated {n.debtors_updated}", markup=False)
    out.print(f"  accounts  created {n.accounts_created}, updated {n.accounts_updated}", markup=False)
    out.print(
        f"  invoices  created {n.invoices_created}, updated {n.invoices_updated}, "
        f"unchanged {n.invoices_unchanged}, settled {n.invoices_settled}",
        markup=False,
    )


@contextmanager
def _progress(size: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal for big files; nothing otherwise."""
    if not sys.stderr.isatty() or size < 1_000_000:
        yield None
        return
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("rows", total=None)
        yield lambda rows: progress.update(task, completed=rows)
