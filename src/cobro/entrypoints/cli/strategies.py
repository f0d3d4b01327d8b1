"""`cobro strategy`: show, set and list the versions of a creditor's collection strategy; print its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from cobro.entrypoints.cli.context import container, err, out

if TYPE_CHECKING:
    from cobro.domain.strategy import Strategy

app = typer.Typer(help="Collection strategies: the escalation ladder of each creditor.", no_args_is_help=True)


@app.command("show")
def show(
    creditor: str = typer.Option(..., "--creditor", help="Creditor slug."),
    as_json: bool = typer.Option(False, "--json", help="Print the document in force as JSON."),
) -> None:
    """Shows the strategy in force for a creditor (its newest version, or the packaged default)."""
    from cobro.adapters.strategy_documents import dump_strategy, parse_strategy_document
    from cobro.app.strategies import show_strategy

    c = container()
    try:
        found = show_strategy(c.uow_factory, creditor, parse_strategy_document)
    finally:
        c.close()
    if as_json:
        document = {"creditor": creditor, "version": found.version, "document": dump_strategy(found.strategy)}
        out.print_json(json.dumps(document))
        return
    source = f"version {found.version}" if found.version is not None else "the packaged default (none stored)"
    out.print(f"strategy {found.strategy.name!r} for {creditor}: {source}")
    _print_strategy(found.strategy)


@app.command("set")
def set_(
    path: Path = typer.Argument(
        ..., help="The strategy document, YAML or JSON.", exists=True, dir_okay=False
    ),
    creditor: str = typer.Option(..., "--creditor", help="Creditor slug."),
    actor: str = typer.Option("cli", "--actor", help="Who makes the change, for the audit trail."),
) -> None:
    """Checks a strategy document and stores it as the creditor's next version."""
    from cobro.adapters.strategy_documents import (
        StrategyDocumentError,
        dump_strategy,
        parse_strategy_document,
    )
    from cobro.app.strategies import set_strategy

    text = path.read_text(encoding="utf-8")
    c = container()
    try:
        version = set_strategy(
            c.uow_factory,
            c.clock,
            creditor,
            text,
            actor,
            parse=parse_strategy_document,
            dump=dump_strategy,
        )
    except StrategyDocumentError as exc:
        for where, message in exc.problems:
            err.print(f"{where}: {message}", markup=False)
        err.print(f"nothing was stored: {len(exc.problems)} problem(s) in {path.name}", markup=False)
        raise typer.Exit(1) from None
    finally:
        c.close()
    out.print(f"strategy version {version} stored for {creditor}")


@app.command("schema")
def schema() -> None:
    """Prints the JSON Schema of a strategy document."""
    from cobro.adapters.strategy_documents import strategy_json_schema

    out.print_json(json.dumps(strategy_json_schema()))


@app.command("versions")
def versions(creditor: str = typer.Option(..., "--creditor", help="Creditor slug.")) -> None:
    """Lists the stored versions of a creditor's strategy; the newest is in force."""
    from cobro.app.strategies import strategy_versions

    c = container()
    try:
        found = strategy_versions(c.uow_factory, creditor)
    finally:
        c.close()
    if not found:
        out.print(f"no strategy stored for {creditor}: the packaged default is in force")
        return
    table = Table("version", "name", "created at (UTC)", "created by")
    for v in found:
        table.add_row(str(v.version), v.name, v.created_at.strftime("%Y-%m-%d %H:%M:%S"), v.created_by)
    out.print(table)


def _print_strategy(strategy: Strategy) -> None:
    from cobro.domain.strategy import AfterAction

    table = Table("stage", "days", "template", "menu")
    for column in table.columns:
        column.overflow = "fold"  # long template names wrap instead of being cut
    stages = list(strategy.ladder)
    if strategy.after is AfterAction.CADENCE and strategy.cadence is not None:
        stages.append(strategy.cadence)
    for stage in stages:
        if stage.repeat_every_days:
            until = f"..{stage.end_day}" if stage.end_day is not None else " on"
            days = f"{stage.start_day}{until}, every {stage.repeat_every_days}"
        else:
            days = f"{stage.start_day}..{stage.end_day}"
        table.add_row(stage.id, days, stage.template, ", ".join(stage.menu))
    out.print(table)
    out.print(f"after the ladder: {strategy.after.value.replace('_', ' ')}")
    leave = [s.value for s, rule in strategy.states.items() if rule.value == "leave"]
    pause = [s.value for s, rule in strategy.states.items() if rule.value == "pause"]
    out.print(
        f"leave the ladder when: {', '.join(leave) or 'never'}; pause while: {', '.join(pause) or 'never'}"
    )
    for rule in strategy.segments:
        changes = "; ".join(f"{o.stage} {_override_text(o)}" for o in rule.overrides)
        out.print(f"segment {rule.name}: {changes}")


def _override_text(override: Any) -> str:
    parts = []
    if override.template is not None:
        parts.append(f"template {override.template}")
    if override.menu is not None:
        parts.append(f"menu {', '.join(override.menu)}")
    if override.shift_days:
        parts.append(f"shift {override.shift_days:+d} days")
    if getattr(override, "every_days", None) is not None:
        parts.append(f"every {override.every_days} days")
    return ", ".join(parts)
