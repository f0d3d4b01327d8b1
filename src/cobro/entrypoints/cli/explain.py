"""`cobro explain`: one account, where it stands, and why each contact happened or did not."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer

from cobro.entrypoints.cli.context import container, out

if TYPE_CHECKING:
    from cobro.app.explain_account import AccountExplanation


def run(
    reference: str = typer.Argument(..., help="The creditor's account reference, e.g. ACC-1."),
    creditor: str | None = typer.Option(
        None, "--creditor", help="The creditor's slug; needed when several creditors use this reference."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Explains an account: its debtor, open invoices and collection state, then every decision, message
    and recorded fact, oldest first, with why each contact happened or did not."""
    from cobro.app.explain_account import explain_account

    c = container()
    try:
        explanation = explain_account(c.uow_factory, reference, creditor)
    finally:
        c.close()
    if as_json:
        out.print(
            json.dumps(explanation_document(explanation), default=_plain, ensure_ascii=False), markup=False
        )
    else:
        for line in explanation_lines(explanation):
            out.print(line, markup=False)


def explanation_document(explanation: AccountExplanation) -> dict[str, Any]:
    """The explanation as one JSON-ready object (datetimes, dates and amounts left for the encoder)."""
    account = asdict(explanation.account)
    return {
        "account": account,
        "outstanding": {
            "amount": explanation.outstanding.amount,
            "currency": explanation.outstanding.currency,
        },
        "invoices": [
            {
                "reference": i.reference,
                "amount": i.amount.amount,
                "outstanding": i.outstanding.amount,
                "currency": i.amount.currency,
                "due_date": i.due_date,
                "issued_on": i.issued_on,
                "status": i.status.value,
            }
            for i in explanation.invoices
        ],
        "timeline": [asdict(entry) for entry in explanation.timeline],
    }


def explanation_lines(explanation: AccountExplanation) -> list[str]:
    """The explanation as text: a header, the state, then one line per timeline entry."""
    a = explanation.account
    lines = [
        f"account   {a.reference} of {a.creditor_slug} ({a.creditor_name})",
        f"debtor    {a.debtor_name}, {a.debtor_phone}, {a.debtor_language}, {a.debtor_time_zone}",
        f"owes      {_amount(explanation.outstanding.amount)} {explanation.outstanding.currency}"
        f" on {len(explanation.invoices)} open invoice(s)",
    ]
    for invoice in explanation.invoices:
        lines.append(
            f"  invoice {invoice.reference}: {_amount(invoice.outstanding.amount)} of"
            f" {_amount(invoice.amount.amount)} {invoice.amount.currency}, due {invoice.due_date.isoformat()}"
        )
    lines.append("state     " + "; ".join(_state(explanation)))
    lines.append(f"timeline  {len(explanation.timeline)} entries, oldest first")
    for entry in explanation.timeline:
        lines.append(f"  {_when(entry.at)}  {entry.source:<8}  {entry.what}: {entry.why}")
    return lines


def _state(explanation: AccountExplanation) -> list[str]:
    a = explanation.account
    found = [
        f"consent {a.consent.method.value} {_when(a.consent.given_at)}"
        if a.consent
        else "no consent on record"
    ]
    if a.opt_out is not None:
        found.append(f"opted out ({a.opt_out.scope}) {_when(a.opt_out.at)} via {a.opt_out.source}")
    if a.wrong_number_at is not None:
        found.append(f"wrong number {_when(a.wrong_number_at)}")
    if a.right_party_confirmed_at is not None:
        found.append(f"right party confirmed {_when(a.right_party_confirmed_at)}")
    if a.disputed_at is not None:
        found.append(f"disputed {_when(a.disputed_at)}")
    if a.hardship_at is not None:
        found.append(f"hardship {_when(a.hardship_at)}")
    if a.promise_until is not None:
        found.append(f"promised to pay by {a.promise_until.isoformat()}")
    if a.promise_broken_at is not None:
        found.append(f"promise broken {_when(a.promise_broken_at)}")
    if a.plan_status != "none":
        found.append(f"payment plan {a.plan_status}")
    return found


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else "(time unknown)"


def _amount(value: Decimal) -> str:
    return f"{value:f}"


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    raise TypeError(f"cannot encode {type(value).__name__}")
