"""A creditor with one account owing two invoices, issued references, and notices as the provider sends them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from cobro.adapters.db.tables import (
    accounts,
    audit_events,
    invoices,
    payment_plans,
    payment_references,
    payments,
    plan_instalments,
)
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from cobro.app.payment_references import IssuedReference, issue_reference
from cobro.domain.money import Money
from cobro.domain.payments import PaymentNotice
from tests.factories import account_row

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the `clock` fixture's instant


@dataclass(frozen=True)
class Ledger:
    """Acme (EUR) and account ACC-1: INV-1 100.00 due 1 October, INV-2 50.00 due 1 November."""

    creditor_id: int
    account_id: int
    debtor_id: int


@pytest.fixture
def ledger(uow_factory, clock, engine) -> Ledger:
    creditor = add_creditor(
        uow_factory, clock, slug="acme", name="Acme Telecom", country="ES", currency="EUR"
    )
    rows = [
        account_row(1, invoice_ref="INV-2", amount="50.00", due_date="2026-11-01"),
        account_row(1, invoice_ref="INV-1", amount="100.00", due_date="2026-10-01"),
    ]
    outcome = import_accounts(
        uow_factory, clock, list(enumerate(rows, start=2)), creditor_slug="acme", source_name="t.csv"
    )
    assert outcome.ok, outcome.problems
    with engine.connect() as connection:
        account = connection.execute(select(accounts.c.id, accounts.c.debtor_id)).one()
    assert creditor.id is not None
    return Ledger(creditor.id, account.id, account.debtor_id)


def issue(uow_factory, ledger: Ledger, amount: str | Money = "150.00", **kwargs) -> IssuedReference:
    """Issues a reference on ACC-1 (an amount in EUR, or Money) and commits it."""
    values = {
        "creditor_id": ledger.creditor_id,
        "account_id": ledger.account_id,
        "amount": amount if isinstance(amount, Money) else Money(Decimal(amount), "EUR"),
        "purpose": "balance",
        "valid_until": NOW + timedelta(days=7),
        "now": NOW,
    }
    values.update(kwargs)
    with uow_factory() as uow:
        issued = issue_reference(uow, **values)
        uow.commit()
    return issued


def notice(
    reference: str, amount: str, payment_id: str = "pay_1", currency: str = "EUR", **kwargs
) -> PaymentNotice:
    """A notice as the webhook adapter would make it."""
    values = {
        "provider": "sandbox",
        "payment_id": payment_id,
        "reference": reference,
        "amount": Money(Decimal(amount), currency),
        "paid_at": NOW + timedelta(minutes=5),
        "method": "card",
        "checkout_id": "chk_1",
    }
    values.update(kwargs)
    return PaymentNotice(**values)


def add_plan(engine, ledger: Ledger, amounts: list[int]) -> int:
    """A current payment plan on ACC-1 with instalments 0..n-1 of these minor amounts."""
    with engine.begin() as connection:
        plan_id = connection.execute(
            insert(payment_plans)
            .values(
                creditor_id=ledger.creditor_id,
                account_id=ledger.account_id,
                status="current",
                currency="EUR",
                total_minor=sum(amounts),
                down_payment_minor=amounts[0],
                instalments=len(amounts) - 1,
                created_at=NOW,
                updated_at=NOW,
            )
            .returning(payment_plans.c.id)
        ).scalar_one()
        connection.execute(
            insert(plan_instalments),
            [
                {
                    "plan_id": plan_id,
                    "number": n,
                    "due_date": (NOW + timedelta(days=30 * n)).date(),
                    "amount_minor": amount,
                    "paid_minor": 0,
                    "status": "due",
                }
                for n, amount in enumerate(amounts)
            ],
        )
    return int(plan_id)


def invoice_state(engine) -> dict[str, tuple[int, str, bool]]:
    """Each invoice's (outstanding, status, settled_at is set)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                invoices.c.reference, invoices.c.outstanding_minor, invoices.c.status, invoices.c.settled_at
            )
        )
        return {r.reference: (r.outstanding_minor, r.status, r.settled_at is not None) for r in rows}


def reference_row(engine, reference: str):
    with engine.connect() as connection:
        return (
            connection.execute(select(payment_references).where(payment_references.c.reference == reference))
            .mappings()
            .one()
        )


def events(engine, kind: str) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_events).where(audit_events.c.kind == kind).order_by(audit_events.c.id)
        ).mappings()
        return [dict(row) for row in rows]


def payment_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(payments)).scalar_one()


class ScriptedRandom(random.Random):
    """A random source that answers randrange with the given numbers, in order."""

    def __init__(self, numbers: list[int]) -> None:
        super().__init__(0)
        self._numbers = list(numbers)

    def randrange(self, start, stop=None, step=1):
        return self._numbers.pop(0)
