"""`cobro inbox`: the agent inbox from the command line (list, show, claim, reply, resolve) until a web
console exists. Errors (an unknown item, a resolved one, someone else's claim) print one line and exit 1."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from rich.text import Text

from cobro.domain.masking import mask_name, mask_phone, mask_value
from cobro.entrypoints.cli.context import container, out

if TYPE_CHECKING:
    from cobro.app.inbox import ItemView
    from cobro.app.inbox_ports import InboxEntry, TranscriptMessage

app = typer.Typer(
    help="The agent inbox: conversations the bot handed to a person. List, show, claim, reply, resolve.",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    status: str = typer.Option(
        "active", "--status", help="open, claimed, resolved, all, or active (open and claimed)."
    ),
    creditor: str | None = typer.Option(None, "--creditor", help="Only this creditor's items (its slug)."),
    limit: int = typer.Option(200, "--limit", min=1, help="At most this many, oldest first."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON array instead of a table."),
) -> None:
    """Lists inbox items, oldest first: age, status, reason, claimer, creditor, debtor (masked), account."""
    from cobro.app.inbox import list_items

    c = container()
    try:
        entries = list_items(c.uow_factory, status, creditor, limit)
        now = c.clock.now()
    finally:
        c.close()
    if as_json:
        rows = [_listed(entry, now) for entry in entries]
        out.print(json.dumps(rows, default=_plain, ensure_ascii=False), markup=False)
        return
    if not entries:
        out.print(f"no inbox items ({status})", markup=False)
        return
    table = Table()
    for header in ("id", "age", "status", "reason", "claimed by", "creditor", "debtor", "account"):
        table.add_column(header, overflow="fold")  # a narrow terminal wraps a value, never cuts it
    for entry in entries:
        row = _listed(entry, now)
        table.add_row(
            *(
                Text(str(value if value is not None else "-"))
                for value in (
                    row["id"],
                    _age(row["age_seconds"]),
                    row["status"],
                    row["reason"],
                    row["claimed_by"],
                    row["creditor"],
                    row["debtor"],
                    row["account"],
                )
            )
        )
    out.print(table)


@app.command("show")
def show(
    item_id: int = typer.Argument(..., help="The inbox item."),
    limit: int = typer.Option(
        50, "--limit", min=1, help="The latest this many messages of the conversation."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Shows an item: why the bot handed it over, the conversation's state, and its messages either way."""
    from cobro.app.inbox import show_item

    c = container()
    try:
        view = show_item(c.uow_factory, c.clock, item_id, limit)
    finally:
        c.close()
    if as_json:
        out.print(json.dumps(view_document(view), default=_plain, ensure_ascii=False), markup=False)
        return
    for line in view_lines(view):
        out.print(line, markup=False)


@app.command("claim")
def claim(
    item_id: int = typer.Argument(..., help="The inbox item."),
    agent: str = typer.Option(..., "--agent", help="Your name, as the audit trail records it."),
    force: bool = typer.Option(False, "--force", help="Take over an item another agent claimed."),
) -> None:
    """Claims an item: it is yours to answer and resolve."""
    from cobro.app.inbox import claim_item

    c = container()
    try:
        result = claim_item(c.uow_factory, c.clock, item_id, agent, force)
    finally:
        c.close()
    if not result.changed:
        out.print(f"inbox item {item_id} is already claimed by you ({result.item.claimed_by})", markup=False)
    elif result.taken_from:
        out.print(
            f"inbox item {item_id} taken over from {result.taken_from} by {agent.strip()}", markup=False
        )
    else:
        out.print(f"inbox item {item_id} claimed by {agent.strip()}", markup=False)


@app.command("reply")
def reply(
    item_id: int = typer.Argument(..., help="The inbox item."),
    agent: str = typer.Option(
        ..., "--agent", help="Your name; you must hold the claim (an open item is claimed)."
    ),
    text: str = typer.Option(
        ..., "--text", help="What to write (at most 4,096 characters); '-' reads stdin."
    ),
    key: str | None = typer.Option(
        None,
        "--key",
        help="Idempotency key; by default one from the item, the text and the replies so far, so a repeated "
        "command sends nothing twice. Give a new key to send the same words again.",
    ),
    no_debt: bool = typer.Option(
        False,
        "--no-debt",
        help="The text says nothing about a debt (needed when no debtor is known at this contact).",
    ),
) -> None:
    """Answers the person through the outbox: your text inside WhatsApp's 24-hour window, the approved
    cobro_agent_followup template outside it (asking them to write back). The send pipeline checks the
    compliance gate again before it goes."""
    from cobro.app.inbox import reply_to_item
    from cobro.domain.template_catalogue import load_catalogue

    body = sys.stdin.read() if text == "-" else text
    c = container()
    try:
        result = reply_to_item(
            c.uow_factory,
            c.clock,
            item_id,
            agent,
            body,
            load_catalogue(),
            key=key,
            mentions_debt=not no_debt,
        )
    finally:
        c.close()
    for warning in result.warnings:
        out.print(f"warning: {warning}", markup=False)
    if result.repeated:
        what = f"template {result.template}" if result.template else "text"
        line = (
            f"already queued: outbox row {result.outbox_id} ({what}, {result.state}) has this key; "
            "nothing new was queued"
        )
        if result.reason:
            line += f" (its reason: {result.reason})"
        out.print(line, markup=False)
        if result.state in ("cancelled", "failed"):
            out.print("to send these words again, give a new --key", markup=False)
        return
    claimed = f"inbox item {item_id} claimed by {agent.strip()}; " if result.claimed else ""
    if result.mode == "text":
        out.print(
            f"{claimed}text queued as outbox row {result.outbox_id}: inside the 24-hour window "
            f"(open until {_when(result.window_until)})",
            markup=False,
        )
    else:
        window = (
            f"closed at {_when(result.window_until)}"
            if result.window_until
            else "was never opened (no message in)"
        )
        out.print(
            f"{claimed}the 24-hour window {window}: template {result.template} ({result.language}) queued as "
            f"outbox row {result.outbox_id} instead; your text was NOT sent. The template asks the person to "
            "write back; answer again once they do.",
            markup=False,
        )


@app.command("resolve")
def resolve(
    item_id: int = typer.Argument(..., help="The inbox item."),
    agent: str = typer.Option(
        ..., "--agent", help="Your name; you must hold the claim (an open item is fine)."
    ),
    note: str = typer.Option(..., "--note", help="How it was resolved (kept on the item)."),
) -> None:
    """Resolves an item and gives the conversation back to the bot (a silenced one stays silent)."""
    from cobro.app.inbox import resolve_item

    c = container()
    try:
        result = resolve_item(c.uow_factory, c.clock, item_id, agent, note)
    finally:
        c.close()
    if result.conversation_returned:
        after = "the conversation is back with the bot"
    elif result.conversation_flow.value == "silenced":
        after = "the conversation stays silenced (a wrong number)"
    else:
        after = f"the conversation was already with the bot ({result.conversation_flow.value})"
    out.print(f"inbox item {item_id} resolved by {result.item.claimed_by}; {after}", markup=False)


# --- presentation ----------------------------------------------------------------------------------------


def _listed(entry: InboxEntry, now: datetime) -> dict[str, Any]:
    item = entry.item
    return {
        "id": item.id,
        "status": item.status.value,
        "reason": item.reason,
        "created_at": item.created_at,
        "age_seconds": int((now - item.created_at).total_seconds()),
        "claimed_by": item.claimed_by,
        "creditor": entry.creditor_slug,
        "debtor_id": item.debtor_id,
        "debtor": mask_name(entry.debtor_name) if entry.debtor_name else _masked_contact(entry.contact),
        "account": entry.account_reference,
        "conversation_id": item.conversation_id,
    }


def view_document(view: ItemView) -> dict[str, Any]:
    """The item view as one JSON-ready object (datetimes left for the encoder)."""
    from cobro.app.inbox import summary

    item, conversation = view.item, view.conversation
    return {
        "item": {
            "id": item.id,
            "status": item.status.value,
            "reason": item.reason,
            "detail": item.detail,
            "claimed_by": item.claimed_by,
            "claimed_at": item.claimed_at,
            "resolved_at": item.resolved_at,
            "resolution": item.resolution,
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            "creditor": view.entry.creditor_slug,
        },
        "conversation": {
            "id": conversation.id,
            "phone_number_id": conversation.phone_number_id,
            "contact": conversation.address,
            "flow": conversation.flow.value,
            "step": conversation.step.value,
            "language": conversation.language,
            "verified": view.verified,
            "last_inbound_at": conversation.last_inbound_at,
            "window_until": view.window_until,
            "window_open": view.window_open,
        },
        "debtor": (
            {
                "id": view.debtor.id,
                "name": view.debtor.name,
                "phone": view.debtor.phone,
                "language": view.debtor.language,
                "country": view.debtor.country,
                "creditor_name": view.debtor.creditor_name,
            }
            if view.debtor
            else None
        ),
        "account": (
            {
                "id": view.account.id,
                "reference": view.account.reference,
                "currency": view.account.currency,
                "outstanding_minor": view.account.outstanding_minor,
            }
            if view.account
            else None
        ),
        "transcript": [
            {
                "wamid": m.wamid,
                "direction": m.direction,
                "at": m.occurred_at,
                "type": m.type,
                "status": m.status,
                "text": summary(m),
            }
            for m in view.transcript
        ],
        "replies": [
            {
                "outbox_id": r.outbox_id,
                "state": r.state,
                "template": r.template,
                "created_at": r.created_at,
                "sent_at": r.sent_at,
                "reason": r.reason,
            }
            for r in view.replies
        ],
    }


def view_lines(view: ItemView) -> list[str]:
    """The item view as text: the item, who and what it is about, the conversation, then its messages."""
    from cobro.app.inbox import FOLLOWUP_TEMPLATE

    item, conversation = view.item, view.conversation
    opened = (
        f"opened {_when(item.created_at)} ({_age(int((view.now - item.created_at).total_seconds()))} ago)"
    )
    status = item.status.value
    if item.claimed_by:
        status += f" by {item.claimed_by} at {_when(item.claimed_at)}"
    lines = [f"inbox item {item.id}: {status}; {opened}", f"reason        {item.reason}"]
    if item.detail:
        lines.append(f"detail        {item.detail}")
    if item.resolved_at is not None:
        lines.append(f"resolved      {_when(item.resolved_at)}: {item.resolution or ''}")
    if view.debtor is not None:
        d = view.debtor
        lines.append(f"creditor      {view.entry.creditor_slug or d.creditor_id} ({d.creditor_name})")
        lines.append(f"debtor        {d.name}, {d.phone} ({d.language}, {d.country})")
    else:
        lines.append(f"creditor      {view.entry.creditor_slug or '-'}")
        lines.append("debtor        none known at this contact")
    if view.account is not None:
        lines.append(f"account       {view.account.reference}, outstanding {_money(view.account)}")
    verified = "verified" if view.verified else "not verified"
    lines.append(
        f"conversation  {conversation.id}: flow {conversation.flow.value}, step {conversation.step.value}, "
        f"language {conversation.language or '-'}, {verified}; contact {conversation.address} on business "
        f"number {conversation.phone_number_id}"
    )
    if view.window_until is None:
        window = f"never opened (no message in): a reply goes as the {FOLLOWUP_TEMPLATE} template"
    elif view.window_open:
        window = f"open until {_when(view.window_until)}: a reply goes as text"
    else:
        window = f"closed at {_when(view.window_until)}: a reply goes as the {FOLLOWUP_TEMPLATE} template"
    lines.append(f"window        {window}")
    lines.append(f"messages      {len(view.transcript)}, oldest first")
    lines.extend("  " + _message_line(m) for m in view.transcript)
    if view.replies:
        lines.append(f"agent replies {len(view.replies)}")
        for r in view.replies:
            what = f"template {r.template}" if r.template else "text"
            line = f"  outbox row {r.outbox_id}: {what}, {r.state}, queued {_when(r.created_at)}"
            if r.reason:
                line += f" ({r.reason})"
            lines.append(line)
    return lines


def _message_line(message: TranscriptMessage) -> str:
    from cobro.app.inbox import summary

    arrow = "in " if message.direction == "in" else "out"
    status = f" ({message.status})" if message.direction == "out" and message.status else ""
    text = summary(message).replace("\n", " / ")
    return f"{_when(message.occurred_at)}  {arrow}  {message.type:<11} {text}{status}"


def _masked_contact(contact: str) -> str:
    if contact.startswith("user:"):
        return "user " + mask_value(contact.removeprefix("user:"))
    return mask_phone("+" + contact) if contact.isdigit() else mask_value(contact)


def _money(account: Any) -> str:
    from cobro.domain.money import Money
    from cobro.i18n.currencies import find_currency

    currency = find_currency(account.currency)
    if currency is None:
        return f"{account.outstanding_minor} (minor units) {account.currency}"
    return f"{Money.from_minor(account.outstanding_minor, currency).amount:f} {account.currency}"


def _age(seconds: int) -> str:
    minutes = max(seconds, 0) // 60
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "(unknown)"


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
