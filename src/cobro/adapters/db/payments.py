"""SqlPayments: payment references and payments (app/payment_ports.PaymentRepository).

The same SQL on SQLite and PostgreSQL. Inserts that may collide (a reference text, a provider's payment id)
use INSERT … ON CONFLICT DO NOTHING RETURNING id: no exception, no savepoint, and on PostgreSQL a concurrent
insert of the same key waits for the other transaction and then inserts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from cobro.adapters.db.inserts import dialect_insert
from cobro.adapters.db.tables import (
    accounts,
    audit_events,
    creditors,
    debtors,
    invoices,
    payment_plans,
    payment_references,
    payments,
    plan_instalments,
)
from cobro.app.payment_ports import (
    Instalment,
    InvoiceChange,
    NewPayment,
    NewReference,
    OpenInvoice,
    PayableAccount,
    StoredReference,
)
from cobro.domain.events import EventKind
from cobro.domain.payments import Checkout

_r = payment_references.c
_REFERENCE_QUERY = (
    select(
        payment_references,
        accounts.c.debtor_id,
        accounts.c.reference.label("account_reference"),
        creditors.c.name.label("creditor_name"),
        debtors.c.language,
        debtors.c.country,
    )
    .join(accounts, and_(accounts.c.id == _r.account_id, accounts.c.creditor_id == _r.creditor_id))
    .join(creditors, creditors.c.id == _r.creditor_id)
    .join(debtors, debtors.c.id == accounts.c.debtor_id)
)


class SqlPayments:
    """Bound to the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _insert(self, table: Any) -> Any:
        return dialect_insert(self._connection, table)

    def payable_account(self, creditor_id: int, account_id: int) -> PayableAccount | None:
        """The account with this id of this creditor, or None."""
        row = self._connection.execute(
            select(accounts.c.debtor_id, accounts.c.currency).where(
                accounts.c.id == account_id, accounts.c.creditor_id == creditor_id
            )
        ).first()
        return None if row is None else PayableAccount(creditor_id, account_id, row.debtor_id, row.currency)

    def plan_of_account(self, plan_id: int, creditor_id: int, account_id: int) -> bool:
        """Whether the plan belongs to this account of this creditor."""
        found = self._connection.execute(
            select(payment_plans.c.id).where(
                payment_plans.c.id == plan_id,
                payment_plans.c.creditor_id == creditor_id,
                payment_plans.c.account_id == account_id,
            )
        ).first()
        return found is not None

    def add_reference(self, reference: NewReference) -> int | None:
        """Inserts an open reference; None when its text is taken."""
        statement = (
            self._insert(payment_references)
            .values(
                reference=reference.reference,
                creditor_id=reference.creditor_id,
                account_id=reference.account_id,
                amount_minor=reference.amount_minor,
                currency=reference.currency,
                allow_partial=1 if reference.allow_partial else 0,
                purpose=reference.purpose,
                plan_id=reference.plan_id,
                status="open",
                valid_until=reference.valid_until,
                paid_minor=0,
                created_at=reference.created_at,
                updated_at=reference.created_at,
            )
            .on_conflict_do_nothing(index_elements=["reference"])
            .returning(_r.id)
        )
        new_id = self._connection.execute(statement).scalar_one_or_none()
        return None if new_id is None else int(new_id)

    def find_reference(self, reference: str) -> StoredReference | None:
        """The reference with this text, with its creditor's name, account reference and debtor's language."""
        row = self._connection.execute(_REFERENCE_QUERY.where(_r.reference == reference)).mappings().first()
        return None if row is None else _stored(row)

    def lock_reference(self, reference: str) -> StoredReference | None:
        """Locks the row (a no-op UPDATE: a row lock on PostgreSQL, the write lock on SQLite), then reads it."""
        self._connection.execute(
            update(payment_references).where(_r.reference == reference).values(updated_at=_r.updated_at)
        )
        return self.find_reference(reference)

    def attach_checkout(self, reference_id: int, checkout: Checkout, now: datetime) -> str:
        """Stores the checkout unless one is there; the URL stored now."""
        self._connection.execute(
            update(payment_references)
            .where(_r.id == reference_id, _r.checkout_id.is_(None))
            .values(
                provider=checkout.provider,
                checkout_id=checkout.checkout_id,
                checkout_url=checkout.url,
                updated_at=now,
            )
        )
        url = self._connection.execute(select(_r.checkout_url).where(_r.id == reference_id)).scalar_one()
        return str(url)

    def open_invoices(self, creditor_id: int, account_id: int, currency: str) -> list[OpenInvoice]:
        """Open invoices with something owed, oldest due date first, locked (FOR UPDATE on PostgreSQL)."""
        rows = self._connection.execute(
            select(invoices.c.id, invoices.c.outstanding_minor, invoices.c.reference)
            .where(
                invoices.c.creditor_id == creditor_id,
                invoices.c.account_id == account_id,
                invoices.c.currency == currency,
                invoices.c.status == "open",
                invoices.c.outstanding_minor > 0,
            )
            .order_by(invoices.c.due_date, invoices.c.id)
            .with_for_update()
        )
        return [OpenInvoice(row.id, int(row.outstanding_minor), row.reference) for row in rows]

    def add_payment(self, payment: NewPayment) -> int | None:
        """Inserts the payment; None when (creditor, source, external id) is there already."""
        statement = (
            self._insert(payments)
            .values(
                creditor_id=payment.creditor_id,
                account_id=payment.account_id,
                invoice_id=payment.invoice_id,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                paid_at=payment.paid_at,
                source=payment.source,
                external_id=payment.external_id,
                created_at=payment.created_at,
            )
            .on_conflict_do_nothing(index_elements=["creditor_id", "source", "external_id"])
            .returning(payments.c.id)
        )
        new_id = self._connection.execute(statement).scalar_one_or_none()
        return None if new_id is None else int(new_id)

    def update_invoices(self, changes: Sequence[InvoiceChange], settled_at: datetime, now: datetime) -> None:
        """New outstanding amounts; a paid invoice gets status 'paid' and settled_at."""
        i = invoices.c
        for change in changes:
            values: dict[str, Any] = {"outstanding_minor": change.outstanding_minor, "updated_at": now}
            if change.paid:
                values.update(status="paid", settled_at=settled_at)
            self._connection.execute(update(invoices).where(i.id == change.id).values(**values))

    def update_reference_payment(
        self, reference_id: int, paid_minor: int, status: str, paid_at: datetime | None, now: datetime
    ) -> None:
        """What is paid against the reference and its status; paid_at only when given."""
        values: dict[str, Any] = {"paid_minor": paid_minor, "status": status, "updated_at": now}
        if paid_at is not None:
            values["paid_at"] = paid_at
        self._connection.execute(update(payment_references).where(_r.id == reference_id).values(**values))

    def instalments(self, plan_id: int) -> list[Instalment]:
        """The plan's instalments by number, locked."""
        p = plan_instalments.c
        rows = self._connection.execute(
            select(p.id, p.number, p.amount_minor, p.paid_minor, p.status)
            .where(p.plan_id == plan_id)
            .order_by(p.number)
            .with_for_update()
        )
        return [
            Instalment(row.id, row.number, int(row.amount_minor), int(row.paid_minor), row.status)
            for row in rows
        ]

    def update_instalments(self, instalments: Sequence[Instalment]) -> None:
        """Each instalment's paid amount and status."""
        if not instalments:
            return
        p = plan_instalments.c
        self._connection.execute(
            update(plan_instalments)
            .where(p.id == bindparam("instalment_id"))
            .values(paid_minor=bindparam("new_paid"), status=bindparam("new_status")),
            [{"instalment_id": i.id, "new_paid": i.paid_minor, "new_status": i.status} for i in instalments],
        )

    def complete_plan(self, plan_id: int, now: datetime) -> bool:
        """A current or broken plan becomes completed."""
        result = self._connection.execute(
            update(payment_plans)
            .where(payment_plans.c.id == plan_id, payment_plans.c.status.in_(("current", "broken")))
            .values(status="completed", updated_at=now)
        )
        return bool(result.rowcount)

    def unmatched_notice_seen(self, provider: str, payment_id: str) -> bool:
        """Whether a payment.unmatched event names this provider payment (JSON lookup on both databases)."""
        data = audit_events.c.data
        found = self._connection.execute(
            select(audit_events.c.id)
            .where(
                audit_events.c.kind == EventKind.PAYMENT_UNMATCHED.value,
                data["provider"].as_string() == provider,
                data["payment_id"].as_string() == payment_id,
            )
            .limit(1)
        ).first()
        return found is not None


def _stored(row: Any) -> StoredReference:
    return StoredReference(
        id=row["id"],
        reference=row["reference"],
        creditor_id=row["creditor_id"],
        account_id=row["account_id"],
        debtor_id=row["debtor_id"],
        amount_minor=int(row["amount_minor"]),
        currency=row["currency"],
        allow_partial=bool(row["allow_partial"]),
        purpose=row["purpose"],
        plan_id=row["plan_id"],
        status=row["status"],
        valid_until=row["valid_until"],
        paid_minor=int(row["paid_minor"]),
        provider=row["provider"],
        checkout_id=row["checkout_id"],
        checkout_url=row["checkout_url"],
        creditor_name=row["creditor_name"],
        account_reference=row["account_reference"],
        language=row["language"],
        country=row["country"],
    )
