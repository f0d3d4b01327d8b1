"""SqlConversations: conversations, and the ledger reads and writes of the bot (app/conversation_ports)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from cobro.adapters.db.inserts import insert_absent
from cobro.adapters.db.tables import (
    accounts,
    conversations,
    creditors,
    debtors,
    invoices,
    payment_plans,
    payments,
    plan_instalments,
)
from cobro.domain.conversation.ledger import AccountCard, DebtorCard, InstalmentDue, PaymentSeen
from cobro.domain.conversation.plans import PlanOption
from cobro.domain.conversation.state import Conversation, Flow, Step

_c = conversations.c
_d = debtors.c
_a = accounts.c
_i = invoices.c
_STATE_FIELDS = (
    "language", "creditor_id", "debtor_id", "verified_debtor_id", "verified_account_id", "verified_until",
    "failures", "last_failure_at", "locked_until", "tries", "expires_at", "last_inbound_at",
)  # fmt: skip


class SqlConversations:
    """Bound to the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgresql = connection.dialect.name == "postgresql"

    # --- conversations ------------------------------------------------------------------------------------

    def open(
        self, phone_number_id: str, contact: str, wa_id: str | None, user_id: str | None, now: datetime
    ) -> Conversation:
        """Creates the row when new (a concurrent creator wins quietly), then reads it locked."""
        values = {
            "phone_number_id": phone_number_id,
            "contact": contact,
            "wa_id": wa_id,
            "user_id": user_id,
            "slots": {},
            "flow": Flow.NONE.value,
            "step": Step.NONE.value,
            "failures": 0,
            "tries": 0,
            "created_at": now,
            "updated_at": now,
        }
        insert_absent(self._connection, conversations, [values], ["phone_number_id", "contact"])
        query = select(conversations).where(_c.phone_number_id == phone_number_id, _c.contact == contact)
        if self._postgresql:
            query = query.with_for_update()
        row = self._connection.execute(query).one()
        if user_id and row.user_id != user_id:  # WhatsApp sent the user id later: keep it
            self._connection.execute(update(conversations).where(_c.id == row.id).values(user_id=user_id))
            return _conversation(row, user_id=user_id)
        return _conversation(row)

    def save(self, conversation: Conversation, now: datetime) -> None:
        values: dict[str, Any] = {name: getattr(conversation, name) for name in _STATE_FIELDS}
        values.update(
            flow=conversation.flow.value,
            step=conversation.step.value,
            slots=conversation.slots,
            updated_at=now,
        )
        self._connection.execute(update(conversations).where(_c.id == conversation.id).values(values))

    def get(self, conversation_id: int) -> Conversation | None:
        row = self._connection.execute(select(conversations).where(_c.id == conversation_id)).first()
        return _conversation(row) if row is not None else None

    def latest_for_debtor(self, debtor_id: int) -> Conversation | None:
        query = (
            select(conversations)
            .where(or_(_c.verified_debtor_id == debtor_id, _c.debtor_id == debtor_id))
            .order_by(_c.last_inbound_at.desc().nulls_last(), _c.id.desc())
            .limit(1)
        )
        row = self._connection.execute(query).first()
        return _conversation(row) if row is not None else None

    # --- the ledger -----------------------------------------------------------------------------------

    def debtors_at(self, wa_id: str | None, user_id: str | None) -> list[DebtorCard]:
        conditions = []
        if wa_id and wa_id.isdigit():
            conditions.append(_d.phone == "+" + wa_id)
        if user_id:
            conditions.append(_d.wa_user_id == user_id)
        if not conditions:
            return []
        query = _debtor_query().where(or_(*conditions)).order_by(_d.id)
        return [_debtor(row) for row in self._connection.execute(query)]

    def debtor(self, debtor_id: int) -> DebtorCard | None:
        row = self._connection.execute(_debtor_query().where(_d.id == debtor_id)).first()
        return _debtor(row) if row is not None else None

    def creditors_of_number(self, phone_number_id: str) -> list[int]:
        query = select(creditors.c.id).where(creditors.c.whatsapp_phone_number_id == phone_number_id)
        return list(self._connection.execute(query).scalars())

    def accounts_by_reference(
        self, normalised: str, creditor_ids: Collection[int] | None
    ) -> list[AccountCard]:
        plain = func.upper(_a.reference)
        for mark in ("-", " ", ".", "/", "_", "#"):
            plain = func.replace(plain, mark, "")
        query = _account_query().where(plain == normalised)
        if creditor_ids:
            query = query.where(_a.creditor_id.in_(sorted(creditor_ids)))
        return [_account(row) for row in self._connection.execute(query.order_by(_a.id))]

    def account(self, account_id: int) -> AccountCard | None:
        row = self._connection.execute(_account_query().where(_a.id == account_id)).first()
        return _account(row) if row is not None else None

    def open_accounts(self, debtor_id: int) -> list[int]:
        owing = (
            select(_i.id)
            .where(_i.account_id == _a.id, _i.status == "open", _i.outstanding_minor > 0)
            .exists()
        )
        query = select(_a.id).where(_a.debtor_id == debtor_id, owing).order_by(_a.id)
        return list(self._connection.execute(query).scalars())

    def link_user_id(self, debtor_id: int, user_id: str, now: datetime) -> bool:
        statement = (
            update(debtors)
            .where(_d.id == debtor_id, or_(_d.wa_user_id.is_(None), _d.wa_user_id != user_id))
            .values(wa_user_id=user_id, updated_at=now)
        )
        return bool(self._connection.execute(statement).rowcount)

    def set_account_state(
        self,
        account_id: int,
        now: datetime,
        *,
        disputed_at: datetime | None = None,
        hardship_at: datetime | None = None,
        promise_until: date | None = None,
        plan_status: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"updated_at": now}
        if disputed_at is not None:
            values["disputed_at"] = disputed_at
        if hardship_at is not None:
            values["hardship_at"] = hardship_at
        if promise_until is not None:
            values.update(promise_until=promise_until, promise_broken_at=None)
        if plan_status is not None:
            values["plan_status"] = plan_status
        self._connection.execute(update(accounts).where(_a.id == account_id).values(values))

    def add_plan(
        self, account: AccountCard, option: PlanOption, conversation_id: int | None, now: datetime
    ) -> int:
        plan_id = self._connection.execute(
            insert(payment_plans)
            .values(
                creditor_id=account.creditor_id,
                account_id=account.id,
                status="current",
                currency=account.currency,
                total_minor=option.total_minor,
                down_payment_minor=option.down_payment_minor,
                instalments=option.count,
                conversation_id=conversation_id,
                created_at=now,
                updated_at=now,
            )
            .returning(payment_plans.c.id)
        ).scalar_one()
        first = 0 if option.down_payment_minor else 1
        self._connection.execute(
            insert(plan_instalments),
            [
                {
                    "plan_id": plan_id,
                    "number": first + index,
                    "due_date": due,
                    "amount_minor": amount,
                    "paid_minor": 0,
                    "status": "due",
                }
                for index, (due, amount) in enumerate(option.schedule)
            ],
        )
        return int(plan_id)

    def payments_since(self, account_id: int, since: datetime) -> list[PaymentSeen]:
        p = payments.c
        query = (
            select(p.amount_minor, p.currency, p.paid_at)
            .where(p.account_id == account_id, p.paid_at >= since)
            .order_by(p.paid_at)
        )
        return [
            PaymentSeen(row.amount_minor, row.currency, row.paid_at)
            for row in self._connection.execute(query)
        ]

    # --- the scheduled follow-ups -----------------------------------------------------------------------

    def promises_past(self, today: date, limit: int) -> list[tuple[AccountCard, DebtorCard]]:
        owing = select(_i.id).where(_i.account_id == _a.id, _i.status == "open", _i.outstanding_minor > 0)
        query = (
            _account_query()
            .where(
                _a.promise_until.isnot(None),
                _a.promise_until < today,
                _a.promise_broken_at.is_(None),
                owing.exists(),
            )
            .order_by(_a.id)
            .limit(limit)
        )
        found = []
        for row in self._connection.execute(query):
            account = _account(row)
            debtor = self.debtor(account.debtor_id)
            if debtor is not None and account.outstanding_minor > 0:
                found.append((account, debtor))
        return found

    def mark_promise_broken(self, account_id: int, now: datetime) -> None:
        statement = (
            update(accounts)
            .where(_a.id == account_id, _a.promise_broken_at.is_(None))
            .values(promise_broken_at=now, updated_at=now)
        )
        self._connection.execute(statement)

    def instalments_due(self, until: date, limit: int) -> list[InstalmentDue]:
        n, p = plan_instalments.c, payment_plans.c
        query = (
            select(n.id, n.plan_id, n.number, n.due_date, n.amount_minor, n.paid_minor, p.account_id)
            .join(payment_plans, p.id == n.plan_id)
            .where(n.status == "due", n.reminded_on.is_(None), n.due_date <= until, p.status == "current")
            .order_by(n.due_date, n.id)
            .limit(limit)
        )
        found = []
        for row in self._connection.execute(query).all():
            account = self.account(row.account_id)
            debtor = self.debtor(account.debtor_id) if account is not None else None
            if account is None or debtor is None:
                continue
            found.append(
                InstalmentDue(
                    row.id,
                    row.plan_id,
                    row.number,
                    row.due_date,
                    row.amount_minor,
                    row.paid_minor,
                    account,
                    debtor,
                )
            )
        return found

    def replace_current_plans(self, account_id: int, now: datetime) -> int:
        p = payment_plans.c
        statement = (
            update(payment_plans)
            .where(p.account_id == account_id, p.status == "current")
            .values(status="replaced", updated_at=now)
        )
        return int(self._connection.execute(statement).rowcount or 0)

    def mark_instalment_reminded(self, instalment_id: int, day: date) -> None:
        n = plan_instalments.c
        self._connection.execute(
            update(plan_instalments).where(n.id == instalment_id).values(reminded_on=day)
        )

    def break_missed_plans(self, due_before: date, now: datetime) -> list[tuple[int, int, int]]:
        n, p = plan_instalments.c, payment_plans.c
        owing = select(_i.id).where(
            _i.account_id == p.account_id, _i.status == "open", _i.outstanding_minor > 0
        )
        # A plan whose account owes nothing any more (paid through another link) is complete, not broken.
        self._connection.execute(
            update(payment_plans)
            .where(p.status == "current", ~owing.exists())
            .values(status="completed", updated_at=now)
        )
        missed = (
            select(n.id, n.plan_id)
            .join(payment_plans, p.id == n.plan_id)
            .where(n.status == "due", n.due_date < due_before, p.status == "current")
        )
        rows = self._connection.execute(missed).all()
        if not rows:
            return []
        self._connection.execute(
            update(plan_instalments).where(n.id.in_([r.id for r in rows])).values(status="missed")
        )
        plan_ids = sorted({r.plan_id for r in rows})
        plans = self._connection.execute(
            select(p.id, p.account_id, p.creditor_id).where(p.id.in_(plan_ids), p.status == "current")
        ).all()
        self._connection.execute(
            update(payment_plans).where(p.id.in_(plan_ids)).values(status="broken", updated_at=now)
        )
        self._connection.execute(
            update(accounts)
            .where(_a.id.in_([plan.account_id for plan in plans]))
            .values(plan_status="broken", updated_at=now)
        )
        return [(plan.id, plan.account_id, plan.creditor_id) for plan in plans]


def _debtor_query() -> Any:
    return select(
        _d.id, _d.creditor_id, creditors.c.name.label("creditor_name"), _d.name, _d.phone, _d.language,
        _d.country, _d.time_zone, _d.birth_date, _d.national_id, _d.wa_user_id, _d.opted_out_at,
        _d.wrong_number_at,
    ).join(creditors, creditors.c.id == _d.creditor_id)  # fmt: skip


def _debtor(row: Any) -> DebtorCard:
    return DebtorCard(**row._mapping)


def _account_query() -> Any:
    open_invoices = (_i.account_id == _a.id, _i.status == "open", _i.outstanding_minor > 0)
    outstanding = select(func.coalesce(func.sum(_i.outstanding_minor), 0)).where(*open_invoices)

    def oldest(column: Any) -> Any:
        return select(column).where(*open_invoices).order_by(_i.due_date, _i.id).limit(1).scalar_subquery()

    return select(
        _a.id, _a.creditor_id, _a.debtor_id, _a.reference, _a.currency,
        outstanding.scalar_subquery().label("outstanding_minor"), oldest(_i.reference).label("invoice_reference"),
        oldest(_i.due_date).label("oldest_due_date"), oldest(_i.payment_link).label("payment_link"),
        _a.disputed_at, _a.hardship_at, _a.promise_until, _a.plan_status,
    )  # fmt: skip


def _account(row: Any) -> AccountCard:
    return AccountCard(**{**row._mapping, "outstanding_minor": int(row.outstanding_minor or 0)})


def _conversation(row: Any, **changes: Any) -> Conversation:
    fields = dict(row._mapping)
    fields.update(changes)
    for name in ("created_at", "updated_at"):
        fields.pop(name, None)
    fields["flow"] = Flow(fields["flow"] or Flow.NONE.value)
    fields["step"] = Step(fields["step"] or Step.NONE.value)
    fields["slots"] = dict(fields["slots"] or {})
    return Conversation(**fields)
