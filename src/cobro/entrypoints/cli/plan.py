"""`cobro plan`: what is due now for every account, and why each contact may or may not go out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typer

from cobro.domain.errors import InvalidInput, NotFound
from cobro.domain.planning import PlannedContact
from cobro.entrypoints.cli.context import container, err


def run(
    at: str | None = typer.Option(
        None, "--at", help="Plan at this instant (ISO 8601 with offset); now by default."
    ),
    creditor: str | None = typer.Option(None, "--creditor", help="Only this creditor's accounts (slug)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per account and line."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Decide without storing anything (the decisions are not recorded)."
    ),
    processes: int = typer.Option(
        1,
        "--processes",
        min=1,
        help="Plan with this many processes, each over a slice of the debtors (for large portfolios); "
        "above 1, only the summary is printed.",
    ),
) -> None:
    """Plans every account: send, defer (with the next allowed time), skip (with the rules) or none.

    Decisions are stored once per account, stage and local day, so planning the same instant twice stores
    nothing new. Nothing is sent from here: the send pipeline sends what is planned.
    """
    from cobro.app.plan_contacts import plan_contacts
    from cobro.entrypoints.planning import plan_in_processes, planning_policy_with

    instant = _instant(at)
    c = container()
    try:
        creditor_id = None
        if creditor is not None:
            with c.uow_factory() as uow:
                found = uow.creditors.get(creditor)
            if found is None:
                raise NotFound(f"no creditor {creditor!r}")
            creditor_id = found.id
        if processes > 1:
            summary = plan_in_processes(
                c.settings.database_url,
                instant or c.clock.now(),
                workers=processes,
                creditor_id=creditor_id,
                store=not dry_run,
                waba_id=c.settings.whatsapp_waba_id,
            )
        else:
            policy = planning_policy_with(c.uow_factory, waba_id=c.settings.whatsapp_waba_id)
            show = _print_json if as_json else _print_line
            summary = plan_contacts(
                c.uow_factory,
                c.clock,
                policy,
                at=instant,
                creditor_id=creditor_id,
                store=not dry_run,
                on_decision=show,
            )
    finally:
        c.close()
    counts = ", ".join(f"{summary.actions.get(a, 0)} {a}" for a in ("send", "defer", "skip", "none"))
    stored = "nothing stored (dry run)" if dry_run else f"{summary.stored} new decisions stored"
    err.print(f"planned {summary.accounts} accounts: {counts}; {stored}", markup=False)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"--at {text!r} is not an ISO 8601 time (e.g. 2026-11-23T15:00:00+00:00)") from exc
    if value.tzinfo is None:
        raise InvalidInput(f"--at {text!r} has no UTC offset; add one, e.g. {text}+00:00 or {text}-06:00")
    return value


def decision_object(decision: PlannedContact) -> dict[str, Any]:
    """The JSON shape of one decision (`cobro plan --json`)."""
    return {
        "account_ref": decision.account.reference,
        "creditor_id": decision.account.creditor_id,
        "action": decision.action.value,
        "kind": decision.kind.value,
        "stage": decision.stage,
        "segments": list(decision.segments),
        "template": decision.template,
        "language": decision.language,
        "menu": list(decision.menu),
        "local_date": decision.local_date.isoformat(),
        "not_before": _local_iso(decision),
        "rules": list(decision.rules),
        "strategy_rules": list(decision.strategy_rules),
        "reason": decision.reason,
        "jurisdiction": decision.jurisdiction,
        "rules_version": decision.rules_version,
    }


def _local_iso(decision: PlannedContact) -> str | None:
    """The next allowed instant in the debtor's own zone, with its offset."""
    if decision.not_before is None:
        return None
    from zoneinfo import ZoneInfo

    zone = decision.debtor.time_zones[0] if decision.debtor.time_zones else "UTC"
    return decision.not_before.astimezone(ZoneInfo(zone)).isoformat()


def _print_json(decision: PlannedContact) -> None:
    print(json.dumps(decision_object(decision), ensure_ascii=False))


def _print_line(decision: PlannedContact) -> None:
    parts = [
        f"{decision.account.reference:<16}",
        f"{decision.action.value:<5}",
        f"{decision.stage or '-':<18}",
    ]
    if decision.template:
        parts.append(f"{decision.template}/{decision.language}")
    if decision.not_before is not None:
        parts.append(f"not before {_local_iso(decision)}")
    if decision.rules:
        parts.append(f"[{', '.join(decision.rules)}]")
    if decision.reason:
        parts.append(f"- {decision.reason}")
    print("  ".join(parts))
