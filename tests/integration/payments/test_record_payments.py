"""Issuing references and recording payments against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from cobro.adapters.db.payments import SqlPayments
from cobro.adapters.db.tables import payment_plans, payment_references, payments, plan_instalments
from cobro.app.payment_references import is_valid_reference, issue_reference
from cobro.app.record_payments import apply_payment_notice, record_payment
from cobro.domain.errors import InvalidInput, NotFound
from cobro.domain.money import Money
from tests.integration.payments.conftest import (
    NOW,
    ScriptedRandom,
    add_plan,
    events,
    invoice_state,
    issue,
    notice,
    payment_count,
    reference_row,
)


def record(uow_factory, the_notice):
    with uow_factory() as uow:
        recorded = record_payment(uow, the_notice, NOW + timedelta(minutes=6))
        uow.commit()
    return recorded


def test_issuing_stores_an_open_reference_and_an_audit_event(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    assert is_valid_reference(issued.reference)
    assert len(issued.reference) == 14
    assert issued.amount == Money(Decimal("150.00"), "EUR")
    assert issued.link("https://pay.example/") == f"https://pay.example/pay/{issued.reference}"
    assert issued.formatted.replace(" ", "") == issued.reference
    row = reference_row(engine, issued.reference)
    assert (row["status"], row["amount_minor"], row["currency"], row["paid_minor"]) == (
        "open",
        15000,
        "EUR",
        0,
    )
    assert (row["account_id"], row["purpose"], bool(row["allow_partial"])) == (
        ledger.account_id,
        "balance",
        True,
    )
    assert row["valid_until"] == NOW + timedelta(days=7)
    assert row["checkout_id"] is None  # issuing never calls the provider
    [event] = events(engine, "payment_reference.issued")
    assert event["account_id"] == ledger.account_id
    assert event["debtor_id"] == ledger.debtor_id
    assert event["data"]["reference"] == issued.reference
    assert event["data"]["amount_minor"] == 15000
    assert event["data"]["currency"] == "EUR"
    assert event["data"]["valid_until"] == (NOW + timedelta(days=7)).isoformat()
    assert event["data"]["purpose"] == "balance"


def test_a_reference_already_taken_is_drawn_again(uow_factory, engine, ledger):
    first = issue(uow_factory, ledger, rng=ScriptedRandom([482109375512]))
    second = issue(uow_factory, ledger, rng=ScriptedRandom([482109375512, 482109375513]))
    assert first.reference.startswith("482109375512")
    assert second.reference.startswith("482109375513")
    assert len(events(engine, "payment_reference.issued")) == 2


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"amount": Money(Decimal("10.00"), "USD")}, InvalidInput),  # the account is in EUR
        ({"amount": Money(Decimal("0.00"), "EUR")}, InvalidInput),
        ({"amount": Money(Decimal("1.001"), "EUR")}, InvalidInput),
        ({"purpose": "gift"}, InvalidInput),
        ({"valid_until": NOW}, InvalidInput),
        ({"account_id": 999}, NotFound),
        ({"plan_id": 999}, NotFound),
    ],
)
def test_issuing_refuses_what_cannot_be_paid(uow_factory, engine, ledger, overrides, error):
    with pytest.raises(error):
        issue(uow_factory, ledger, **overrides)
    assert events(engine, "payment_reference.issued") == []


def test_a_full_payment_pays_every_invoice_and_the_reference(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    recorded = record(uow_factory, notice(issued.reference, "150.00"))
    assert recorded is not None
    assert recorded.remaining == Money(Decimal("0.00"), "EUR")
    assert (recorded.account_id, recorded.debtor_id, recorded.reference) == (
        ledger.account_id,
        ledger.debtor_id,
        issued.reference,
    )
    assert recorded.reference_paid
    assert recorded.unapplied == Money(Decimal("0.00"), "EUR")
    assert invoice_state(engine) == {"INV-1": (0, "paid", True), "INV-2": (0, "paid", True)}
    row = reference_row(engine, issued.reference)
    assert (row["status"], row["paid_minor"], row["paid_at"]) == ("paid", 15000, NOW + timedelta(minutes=5))
    with engine.connect() as connection:
        payment = connection.execute(select(payments)).mappings().one()
    assert (payment["amount_minor"], payment["currency"], payment["source"], payment["external_id"]) == (
        15000,
        "EUR",
        "sandbox",
        "pay_1",
    )
    [event] = events(engine, "payment.received")
    assert event["data"]["reference"] == issued.reference
    assert event["data"]["amount_minor"] == 15000
    assert event["data"]["remaining_minor"] == 0
    assert event["data"]["provider"] == "sandbox"
    assert event["data"]["method"] == "card"
    assert event["data"]["provider_payment_id"] == "pay_1"
    assert event["data"]["payment_id"] == recorded.payment_id


def test_a_partial_payment_reduces_the_oldest_invoice_first(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    recorded = record(uow_factory, notice(issued.reference, "30.00"))
    assert recorded is not None
    assert recorded.remaining == Money(Decimal("120.00"), "EUR")
    assert invoice_state(engine) == {"INV-1": (7000, "open", False), "INV-2": (5000, "open", False)}
    row = reference_row(engine, issued.reference)
    assert (row["status"], row["paid_minor"], row["paid_at"]) == ("open", 3000, None)

    second = record(uow_factory, notice(issued.reference, "90.00", payment_id="pay_2"))
    assert second is not None
    assert second.remaining == Money(Decimal("30.00"), "EUR")
    assert invoice_state(engine) == {"INV-1": (0, "paid", True), "INV-2": (3000, "open", False)}
    assert reference_row(engine, issued.reference)["paid_minor"] == 12000
    assert [e["data"]["remaining_minor"] for e in events(engine, "payment.received")] == [12000, 3000]


def test_the_same_notice_twice_records_one_payment(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    assert record(uow_factory, notice(issued.reference, "40.00")) is not None
    before = (invoice_state(engine), dict(reference_row(engine, issued.reference)))
    assert record(uow_factory, notice(issued.reference, "40.00")) is None
    assert payment_count(engine) == 1
    assert (invoice_state(engine), dict(reference_row(engine, issued.reference))) == before
    assert len(events(engine, "payment.received")) == 1


def test_an_overpayment_pays_everything_and_keeps_the_rest_visible(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    recorded = record(uow_factory, notice(issued.reference, "200.00"))
    assert recorded is not None
    assert recorded.remaining == Money(Decimal("0.00"), "EUR")
    assert recorded.unapplied == Money(Decimal("50.00"), "EUR")
    assert invoice_state(engine) == {"INV-1": (0, "paid", True), "INV-2": (0, "paid", True)}
    assert reference_row(engine, issued.reference)["paid_minor"] == 20000
    [event] = events(engine, "payment.received")
    assert event["data"]["unapplied_minor"] == 5000
    assert event["data"]["amount_minor"] == 20000


@pytest.mark.parametrize("reference", ["48210937551236", "not a reference", "4821 0937 5512 37"])
def test_a_notice_for_no_reference_records_only_an_unmatched_event_once(
    uow_factory, engine, ledger, reference
):
    issue(uow_factory, ledger)
    assert record(uow_factory, notice(reference, "150.00")) is None
    assert record(uow_factory, notice(reference, "150.00")) is None  # redelivered: still one event
    assert payment_count(engine) == 0
    assert invoice_state(engine) == {"INV-1": (10000, "open", False), "INV-2": (5000, "open", False)}
    [event] = events(engine, "payment.unmatched")
    assert event["creditor_id"] is None
    assert event["account_id"] is None
    assert event["data"]["reason"] == "unknown_reference"
    assert (event["data"]["reference"], event["data"]["payment_id"]) == (reference, "pay_1")
    assert (event["data"]["amount"], event["data"]["currency"]) == ("150.00", "EUR")
    assert events(engine, "payment.received") == []


def test_a_payment_in_another_currency_is_not_recorded(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    assert record(uow_factory, notice(issued.reference, "150.00", currency="USD")) is None
    assert payment_count(engine) == 0
    assert reference_row(engine, issued.reference)["paid_minor"] == 0
    assert invoice_state(engine) == {"INV-1": (10000, "open", False), "INV-2": (5000, "open", False)}
    [event] = events(engine, "payment.unmatched")
    assert event["data"]["reason"] == "currency"
    assert event["account_id"] == ledger.account_id
    assert (event["data"]["currency"], event["data"]["reference_currency"]) == ("USD", "EUR")


def test_a_reference_with_spaces_in_the_notice_is_matched(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    assert record(uow_factory, notice(issued.formatted.replace(" ", "-"), "10.00")) is not None
    assert reference_row(engine, issued.reference)["paid_minor"] == 1000


def _plan_state(engine, plan_id):
    with engine.connect() as connection:
        status = connection.execute(
            select(payment_plans.c.status).where(payment_plans.c.id == plan_id)
        ).scalar_one()
        rows = connection.execute(
            select(plan_instalments.c.paid_minor, plan_instalments.c.status)
            .where(plan_instalments.c.plan_id == plan_id)
            .order_by(plan_instalments.c.number)
        ).all()
    return status, [tuple(r) for r in rows]


def test_a_plan_reference_pays_instalments_in_order_and_completes_the_plan(uow_factory, engine, ledger):
    plan_id = add_plan(engine, ledger, [3000, 6000, 6000])
    issued = issue(uow_factory, ledger, "150.00", purpose="instalment", plan_id=plan_id)
    first = record(uow_factory, notice(issued.reference, "70.00"))
    assert first is not None
    assert first.plan_id == plan_id
    assert not first.plan_completed
    assert _plan_state(engine, plan_id) == ("current", [(3000, "paid"), (4000, "due"), (0, "due")])
    second = record(uow_factory, notice(issued.reference, "50.00", payment_id="pay_2"))
    assert second is not None
    assert not second.plan_completed
    assert _plan_state(engine, plan_id) == ("current", [(3000, "paid"), (6000, "paid"), (3000, "due")])
    third = record(uow_factory, notice(issued.reference, "30.00", payment_id="pay_3"))
    assert third is not None
    assert third.plan_completed
    assert third.reference_paid
    assert _plan_state(engine, plan_id) == ("completed", [(3000, "paid"), (6000, "paid"), (6000, "paid")])
    assert events(engine, "payment.received")[-1]["data"]["plan_completed"] is True


def test_apply_runs_the_hook_in_the_transaction_only_for_a_new_payment(uow_factory, clock, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    seen = []

    def after_record(uow, recorded, now):
        seen.append((recorded.payment_id, now))
        assert uow.payments.find_reference(issued.reference).paid_minor == 2500  # sees the uncommitted write

    the_notice = notice(issued.reference, "25.00")
    recorded = apply_payment_notice(uow_factory, clock, the_notice, after_record)
    assert recorded is not None
    assert seen == [(recorded.payment_id, clock.now())]
    assert apply_payment_notice(uow_factory, clock, the_notice, after_record) is None
    assert len(seen) == 1


def test_a_failing_hook_rolls_the_payment_back(uow_factory, clock, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")

    def after_record(uow, recorded, now):
        raise RuntimeError("the receipt could not be queued")

    with pytest.raises(RuntimeError):
        apply_payment_notice(uow_factory, clock, notice(issued.reference, "25.00"), after_record)
    assert payment_count(engine) == 0
    assert reference_row(engine, issued.reference)["paid_minor"] == 0
    assert events(engine, "payment.received") == []
    assert apply_payment_notice(uow_factory, clock, notice(issued.reference, "25.00")) is not None


def test_two_deliveries_of_one_notice_at_once_record_one_payment(
    uow_factory, clock, engine, ledger, monkeypatch
):
    issued = issue(uow_factory, ledger, "150.00")
    read_invoices = SqlPayments.open_invoices

    def slow_open_invoices(self, *args):
        found = read_invoices(self, *args)
        time.sleep(0.2)  # widen the window between reading the balance and writing it back
        return found

    monkeypatch.setattr(SqlPayments, "open_invoices", slow_open_invoices)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def deliver(payment_id):
        try:
            barrier.wait()
            results.append(
                apply_payment_notice(uow_factory, clock, notice(issued.reference, "20.00", payment_id))
            )
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(pid,)) for pid in ("pay_1", "pay_1", "pay_2", "pay_2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r is not None for r in results) == 2
    assert payment_count(engine) == 2
    assert reference_row(engine, issued.reference)["paid_minor"] == 4000
    assert invoice_state(engine)["INV-1"] == (6000, "open", False)  # no lost update between the two payments
    assert len(events(engine, "payment.received")) == 2


def test_issue_reference_checks_the_plan_belongs_to_the_account(uow_factory, engine, ledger):
    plan_id = add_plan(engine, ledger, [5000])
    with uow_factory() as uow, pytest.raises(NotFound):
        issue_reference(
            uow,
            creditor_id=ledger.creditor_id + 1,
            account_id=ledger.account_id,
            amount=Money(Decimal("50.00"), "EUR"),
            purpose="instalment",
            valid_until=NOW + timedelta(days=1),
            now=NOW,
            plan_id=plan_id,
        )


def test_money_on_an_expired_reference_is_still_recorded(uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    with engine.begin() as connection:
        connection.execute(
            update(payment_references)
            .where(payment_references.c.id == issued.id)
            .values(status="expired", valid_until=NOW - timedelta(days=1))
        )
    recorded = record(uow_factory, notice(issued.reference, "150.00"))
    assert recorded is not None
    assert recorded.reference_paid
    assert reference_row(engine, issued.reference)["status"] == "paid"
    assert invoice_state(engine) == {"INV-1": (0, "paid", True), "INV-2": (0, "paid", True)}
