"""Reads an account for `cobro explain`: the account and its state, its decisions, messages and events.

Read-only, a handful of indexed queries per account (contact_decisions by account with their outbox rows,
whatsapp_messages by debtor, audit_events by account and by debtor); an operator tool, not a hot path.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from cobro.adapters.db.messaging import message_from_row
from cobro.adapters.db.repositories import event_from_row
from cobro.adapters.db.tables import (
    accounts,
    audit_events,
    contact_decisions,
    creditors,
    debtors,
    invoices,
    outbox,
    whatsapp_messages,
    whatsapp_statuses,
)
from cobro.app.ports import AccountOverview, ContactDecisionRecord
from cobro.domain.accounts import Consent, ConsentMethod, Invoice, InvoiceStatus, OptOut
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.messaging import MessageStatus, StatusUpdate, WhatsAppMessage
from cobro.domain.money import Money
from cobro.i18n.currencies import find_currency


class SqlAccountHistory:
    """The account history read from the database, inside the unit of work's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def accounts_by_reference(self, reference: str) -> list[AccountOverview]:
        """Every account with this reference, one per creditor that has it, by creditor slug."""
        a, d, c = accounts.c, debtors.c, creditors.c
        query = (
            select(
                a.id.label("account_id"),
                a.reference,
                a.currency,
                a.disputed_at,
                a.hardship_at,
                a.promise_until,
                a.promise_broken_at,
                a.plan_status,
                c.id.label("creditor_id"),
                c.slug,
                c.name.label("creditor_name"),
                d.id.label("debtor_id"),
                d.name.label("debtor_name"),
                d.phone,
                d.language,
                d.time_zone,
                d.consent_method,
                d.consent_at,
                d.consent_source,
                d.consent_scope,
                d.opted_out_at,
                d.opt_out_scope,
                d.opt_out_source,
                d.wrong_number_at,
                d.right_party_confirmed_at,
            )
            .join(creditors, c.id == a.creditor_id)
            .join(debtors, d.id == a.debtor_id)
            .where(a.reference == reference)
            .order_by(c.slug)
        )
        return [_overview(row) for row in self._connection.execute(query).mappings()]

    def open_invoices(self, account_id: int) -> list[Invoice]:
        """The account's open invoices, oldest due first."""
        i = invoices.c
        query = (
            select(invoices)
            .where(i.account_id == account_id, i.status == InvoiceStatus.OPEN.value)
            .order_by(i.due_date, i.reference)
        )
        found = []
        for row in self._connection.execute(query).mappings():
            found.append(
                Invoice(
                    id=row["id"],
                    account_id=row["account_id"],
                    reference=row["reference"],
                    amount=_money(row["amount_minor"], row["currency"]),
                    outstanding=_money(row["outstanding_minor"], row["currency"]),
                    due_date=row["due_date"],
                    issued_on=row["issued_on"],
                    payment_link=row["payment_link"],
                    status=InvoiceStatus(row["status"]),
                )
            )
        return found

    def decisions(self, account_id: int) -> list[ContactDecisionRecord]:
        """The planner's decisions about the account, oldest first; a send with where its outbox row stands."""
        cd, o = contact_decisions.c, outbox.c
        query = (
            select(
                contact_decisions,
                o.state.label("send_state"),
                o.wamid.label("send_wamid"),
                o.reason.label("send_reason"),
            )
            .select_from(contact_decisions.outerjoin(outbox, o.decision_id == cd.id))
            .where(cd.account_id == account_id)
            .order_by(cd.decided_at, cd.id)
        )
        return [
            ContactDecisionRecord(
                id=row["id"],
                decided_at=row["decided_at"],
                action=row["action"],
                kind=row["kind"],
                stage=row["stage"],
                segments=tuple(str(s) for s in row["segments"] or ()),
                template=row["template"],
                language=row["language"],
                not_before=row["not_before"],
                rules=tuple(str(r) for r in row["rules"] or ()),
                reason=row["reason"],
                jurisdiction=row["jurisdiction"],
                rules_version=row["rules_version"],
                state=row["send_state"],
                wamid=row["send_wamid"],
                send_reason=row["send_reason"],
            )
            for row in self._connection.execute(query).mappings()
        ]

    def messages(self, debtor_id: int) -> list[WhatsAppMessage]:
        """Every WhatsApp message to or from the debtor, oldest first."""
        m = whatsapp_messages.c
        query = select(whatsapp_messages).where(m.debtor_id == debtor_id).order_by(m.occurred_at, m.id)
        return [message_from_row(row) for row in self._connection.execute(query).mappings()]

    def statuses(self, wamids: Collection[str]) -> dict[str, list[StatusUpdate]]:
        """Every status reported for these messages, by wamid, oldest first."""
        s = whatsapp_statuses.c
        found: dict[str, list[StatusUpdate]] = {}
        wanted = sorted(set(wamids))
        if not wanted:
            return found
        query = select(whatsapp_statuses).where(s.wamid.in_(wanted)).order_by(s.wamid, s.occurred_at, s.id)
        for row in self._connection.execute(query).mappings():
            found.setdefault(row["wamid"], []).append(
                StatusUpdate(
                    wamid=row["wamid"],
                    status=MessageStatus(row["status"]),
                    timestamp=row["occurred_at"],
                    error_code=row["error_code"],
                    error_title=row["error_title"],
                )
            )
        return found

    def events(self, account_id: int, debtor_id: int) -> list[AuditEvent]:
        """Audit events about the account, or about the debtor and no other account, oldest first."""
        e = audit_events.c
        about = or_(e.account_id == account_id, and_(e.debtor_id == debtor_id, e.account_id.is_(None)))
        query = select(audit_events).where(about).order_by(e.occurred_at, e.id)
        rows = self._connection.execute(query).mappings()
        return [event_from_row(row) for row in rows if row["kind"] in _KINDS]


_KINDS = frozenset(kind.value for kind in EventKind)


def _money(minor: int, code: str) -> Money:
    currency = find_currency(code)
    if currency is None:
        raise ValueError(f"stored invoice has an unknown currency {code!r}")
    return Money.from_minor(minor, currency)


def _overview(row: Any) -> AccountOverview:
    consent = None
    if row["consent_method"]:
        consent = Consent(
            given_at=row["consent_at"],
            method=ConsentMethod(row["consent_method"]),
            source=row["consent_source"] or "",
            scope=row["consent_scope"] or "collections",
        )
    opt_out = None
    if row["opted_out_at"] is not None:
        opt_out = OptOut(
            at=row["opted_out_at"],
            scope=row["opt_out_scope"] or "channel",
            source=row["opt_out_source"] or "",
        )
    return AccountOverview(
        creditor_id=row["creditor_id"],
        creditor_slug=row["slug"],
        creditor_name=row["creditor_name"],
        account_id=row["account_id"],
        reference=row["reference"],
        currency=row["currency"],
        debtor_id=row["debtor_id"],
        debtor_name=row["debtor_name"],
        debtor_phone=row["phone"],
        debtor_language=row["language"],
        debtor_time_zone=row["time_zone"],
        consent=consent,
        opt_out=opt_out,
        wrong_number_at=row["wrong_number_at"],
        right_party_confirmed_at=row["right_party_confirmed_at"],
        disputed_at=row["disputed_at"],
        hardship_at=row["hardship_at"],
        promise_until=row["promise_until"],
        promise_broken_at=row["promise_broken_at"],
        plan_status=row["plan_status"],
    )
