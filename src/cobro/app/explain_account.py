"""Explains one account to an operator: where it stands and, oldest first, every contact decision, message
and recorded fact, each with why the contact happened or did not."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from cobro.app.ports import AccountOverview, ContactDecisionRecord
from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.accounts import Invoice
from cobro.domain.errors import InvalidInput, NotFound
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.masking import mask_phone
from cobro.domain.messaging import Direction, StatusUpdate, WhatsAppMessage
from cobro.domain.money import Money

# Shown through their message instead: the message line carries the same facts once.
_SHOWN_AS_MESSAGES = frozenset(
    {
        EventKind.REPLY_RECEIVED,
        EventKind.MESSAGE_ACCEPTED,
        EventKind.MESSAGE_SENT,
        EventKind.MESSAGE_DELIVERED,
        EventKind.MESSAGE_READ,
        EventKind.MESSAGE_FAILED,
    }
)
_SOURCE_ORDER = {"decision": 0, "message": 1, "event": 2}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened to the account: a decision, a message or an audit event, and why."""

    at: datetime
    source: str  # "decision", "message" or "event"
    what: (
        str  # e.g. "skip collection (stage reminder_1)", "out template recordatorio_pago", "opt_out.recorded"
    )
    why: str  # the reason, the rules, the statuses or the facts recorded
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AccountExplanation:
    """An account, its state and its timeline; the debtor's phone is masked."""

    account: AccountOverview
    outstanding: Money
    invoices: tuple[Invoice, ...]
    timeline: tuple[TimelineEntry, ...]


def explain_account(
    uow_factory: UnitOfWorkFactory, reference: str, creditor_slug: str | None = None
) -> AccountExplanation:
    """The account with this reference (of this creditor, needed when several creditors use it), explained."""
    with uow_factory() as uow:
        history = uow.account_history
        account = _choose(history.accounts_by_reference(reference), reference, creditor_slug)
        invoices = tuple(history.open_invoices(account.account_id))
        decisions = history.decisions(account.account_id)
        messages = history.messages(account.debtor_id)
        outbound = [m.wamid for m in messages if m.direction is Direction.OUTBOUND]
        statuses = history.statuses(outbound) if outbound else {}
        events = history.events(account.account_id, account.debtor_id)
    outstanding = Money(Decimal(0), account.currency)
    for invoice in invoices:
        outstanding = outstanding + invoice.outstanding
    timeline = [
        *(_decision_entry(d) for d in decisions),
        *(_message_entry(m, statuses.get(m.wamid, [])) for m in messages),
        *(_event_entry(e) for e in events if e.kind not in _SHOWN_AS_MESSAGES),
    ]
    timeline.sort(key=lambda e: (e.at, _SOURCE_ORDER[e.source]))
    return AccountExplanation(
        account=replace(account, debtor_phone=mask_phone(account.debtor_phone)),
        outstanding=outstanding,
        invoices=invoices,
        timeline=tuple(timeline),
    )


def _choose(found: list[AccountOverview], reference: str, creditor_slug: str | None) -> AccountOverview:
    slugs = ", ".join(a.creditor_slug for a in found)
    if creditor_slug is not None:
        for account in found:
            if account.creditor_slug == creditor_slug:
                return account
        elsewhere = f" (it exists for: {slugs})" if found else ""
        raise NotFound(f"no account {reference!r} for creditor {creditor_slug!r}{elsewhere}")
    if not found:
        raise NotFound(f"no account {reference!r} for any creditor")
    if len(found) > 1:
        raise InvalidInput(
            f"account {reference!r} exists for several creditors: {slugs}; choose one with --creditor SLUG"
        )
    return found[0]


def _decision_entry(decision: ContactDecisionRecord) -> TimelineEntry:
    what = f"{decision.action} {decision.kind}"
    if decision.stage:
        what += f" (stage {decision.stage})"
    why = decision.reason
    if decision.rules:
        why += f" [rules: {', '.join(decision.rules)}]"
    if decision.not_before is not None:
        why += f"; not before {decision.not_before.isoformat()}"
    if decision.template:
        why += f"; template {decision.template} ({decision.language or '?'})"
    if decision.state:
        why += f"; {decision.state}" + (f" as {decision.wamid}" if decision.wamid else "")
        if decision.send_reason:
            why += f" ({decision.send_reason})"
    why += f" ({decision.jurisdiction}, rules {decision.rules_version})"
    detail = {
        "decision_id": decision.id,
        "action": decision.action,
        "kind": decision.kind,
        "stage": decision.stage,
        "segments": list(decision.segments),
        "template": decision.template,
        "language": decision.language,
        "not_before": decision.not_before,
        "rules": list(decision.rules),
        "reason": decision.reason,
        "jurisdiction": decision.jurisdiction,
        "rules_version": decision.rules_version,
        "state": decision.state,
        "wamid": decision.wamid,
        "send_reason": decision.send_reason,
    }
    return TimelineEntry(decision.decided_at, "decision", what, why, detail)


def _message_entry(message: WhatsAppMessage, statuses: list[StatusUpdate]) -> TimelineEntry:
    detail: dict[str, Any] = {
        "wamid": message.wamid,
        "direction": message.direction.value,
        "type": message.type,
    }
    if message.direction is Direction.OUTBOUND:
        name = message.content.get("name") if isinstance(message.content, dict) else None
        what = f"out {message.type}" + (f" {name}" if name else "")
        steps = [f"{s.status.value} {s.timestamp.isoformat()}" for s in statuses]
        if not steps and message.status is not None:
            at = message.status_at.isoformat() if message.status_at else "?"
            steps = [f"{message.status.value} {at}"]
        why = ", ".join(steps) or "no status yet"
        if message.error_code is not None:
            why += f"; error {message.error_code} {message.error_title or ''}".rstrip()
        detail.update(
            status=message.status.value if message.status else None,
            status_at=message.status_at,
            statuses=[{"status": s.status.value, "at": s.timestamp} for s in statuses],
            error_code=message.error_code,
            error_title=message.error_title,
            template=name,
            biz_opaque_callback_data=message.biz_opaque_callback_data,
        )
    else:
        what = f"in {message.type}"
        why = _inbound_summary(message.content)
        detail.update(
            {
                k: message.content.get(k)
                for k in ("reply_id", "reply_title", "payload")
                if k in message.content
            }
        )
        if message.context_wamid:
            detail["context_wamid"] = message.context_wamid
    return TimelineEntry(message.occurred_at, "message", what, why, detail)


def _inbound_summary(content: dict[str, Any]) -> str:
    # Buttons are Cobro's own words, shown as they are; free text is the debtor's and not printed (an
    # opt-out it contained shows as its own event, with the phrase that matched).
    if content.get("payload") or content.get("reply_id"):
        title = content.get("reply_title")
        code = content.get("payload") or content.get("reply_id")
        return f"button {code}" + (f" ({title})" if title else "")
    if "text" in content:
        return f"text, {len(str(content['text']))} characters"
    if "reaction_emoji" in content:
        return "reaction"
    if "media_id" in content:
        return "media" + (", with a caption" if content.get("caption") else "")
    return "no content"


def _event_entry(event: AuditEvent) -> TimelineEntry:
    shown = {k: v for k, v in sorted(event.data.items()) if k not in ("wamid",) and v is not None}
    why = ", ".join(f"{k}={v}" for k, v in shown.items()) or "-"
    detail: dict[str, Any] = {
        "event_id": event.id,
        "kind": event.kind.value,
        "actor": event.actor,
        **event.data,
    }
    return TimelineEntry(event.occurred_at, "event", event.kind.value, why, detail)
