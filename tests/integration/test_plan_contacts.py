"""The planner against a real database (SQLite and PostgreSQL): what it decides, what it stores, and that
planning the same instant twice stores nothing new."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from cobro.adapters.db.tables import accounts, contact_decisions, debtors, outbox, whatsapp_messages
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from cobro.app.plan_contacts import plan_contacts
from cobro.domain.contact import Action
from cobro.domain.planning import PlannedContact
from cobro.entrypoints.planning import catalogue_pairs, planning_policy_with
from tests.factories import account_row

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Madrid


@pytest.fixture
def acme(uow_factory, clock):
    creditor = add_creditor(uow_factory, clock, slug="acme", name="Acme", country="ES", currency="EUR")
    rows = [
        account_row(1, due_date="2026-11-22"),  # first overdue notice (1 day past due)
        account_row(2, due_date="2026-11-22", consent="no", consent_at=""),  # no consent on record
        account_row(3, due_date="2026-11-22"),  # right person not confirmed yet
        # One debtor, two accounts due on the same day: one message a day in all.
        account_row(4, due_date="2026-11-22", phone="+34 612 345 004", debtor_name="Ana Ruiz"),
        account_row(5, due_date="2026-11-22", phone="+34 612 345 004", debtor_name="Ana Ruiz"),
        account_row(6, due_date="2026-12-20"),  # nothing due for weeks
    ]
    raw = [(line, row) for line, row in enumerate(rows, start=2)]
    outcome = import_accounts(
        uow_factory, clock, raw, creditor_slug="acme", source_name="t.csv", actor="test"
    )
    assert outcome.ok, outcome.problems
    return creditor


@pytest.fixture
def confirmed(engine, acme):
    """Every debtor but ACC-3's has confirmed being the person addressed."""
    with engine.begin() as connection:
        connection.execute(
            update(debtors).where(debtors.c.phone != "+34612345003").values(right_party_confirmed_at=NOON)
        )


def run(uow_factory, clock, at=NOON, store=True):
    policy = planning_policy_with(uow_factory, approved=catalogue_pairs())
    seen: dict[str, PlannedContact] = {}
    summary = plan_contacts(
        uow_factory,
        clock,
        policy,
        at=at,
        store=store,
        on_decision=lambda d: seen.__setitem__(d.account.reference, d),
    )
    return summary, seen


def stored(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(contact_decisions)).scalar_one()


def test_plans_each_account_with_its_reason(uow_factory, clock, engine, confirmed):
    summary, seen = run(uow_factory, clock)

    assert summary.accounts == 6
    assert seen["ACC-1"].action is Action.SEND
    assert seen["ACC-1"].stage == "first_notice"
    assert (seen["ACC-1"].template, seen["ACC-1"].language) == ("cobro_overdue_notice", "es")
    assert seen["ACC-2"].action is Action.SKIP
    assert "consent.missing" in seen["ACC-2"].rules
    assert seen["ACC-3"].action is Action.SEND
    assert seen["ACC-3"].template == "cobro_right_party_check"  # nothing about the debt before confirmation
    assert {seen["ACC-4"].action, seen["ACC-5"].action} == {Action.SEND, Action.DEFER}
    deferred = seen["ACC-5"] if seen["ACC-5"].action is Action.DEFER else seen["ACC-4"]
    assert any(rule.endswith("daily") for rule in deferred.rules), deferred.rules
    assert deferred.not_before is not None
    assert deferred.not_before > NOON
    assert seen["ACC-6"].action is Action.NONE
    assert stored(engine) == summary.stored == 5  # every decision but the "none"


def test_planning_the_same_instant_twice_stores_nothing_new(uow_factory, clock, engine, confirmed):
    first, _ = run(uow_factory, clock)
    second, seen = run(uow_factory, clock)

    assert first.stored > 0
    assert second.stored == 0
    assert stored(engine) == first.stored
    assert seen["ACC-1"].action is Action.NONE  # its stage is planned already


def test_dry_run_stores_nothing(uow_factory, clock, engine, confirmed):
    summary, seen = run(uow_factory, clock, store=False)

    assert seen["ACC-1"].action is Action.SEND
    assert summary.stored == 0
    assert stored(engine) == 0


def test_outside_hours_defers_to_the_next_allowed_local_time(uow_factory, clock, engine, confirmed):
    evening = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # 21:30 in Madrid

    _, seen = run(uow_factory, clock, at=evening)

    decision = seen["ACC-1"]
    assert decision.action is Action.DEFER
    assert decision.not_before is not None
    local = decision.not_before.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Madrid"))
    # A +34 number may be in Madrid or the Canaries: 08:00 in the Canaries is 09:00 in Madrid.
    assert (local.date().isoformat(), local.hour) == ("2026-11-24", 9)


def test_a_dispute_pauses_the_account(uow_factory, clock, engine, confirmed):
    with engine.begin() as connection:
        connection.execute(update(accounts).where(accounts.c.reference == "ACC-1").values(disputed_at=NOON))

    _, seen = run(uow_factory, clock)

    assert seen["ACC-1"].action is Action.SKIP
    assert any("dispute" in rule for rule in seen["ACC-1"].rules)


def test_an_unknown_time_zone_blocks_the_debtor_instead_of_stopping_the_run(
    uow_factory, clock, engine, confirmed
):
    with engine.begin() as connection:
        connection.execute(
            update(debtors).where(debtors.c.phone == "+34612345001").values(time_zone="Mars/Olympus")
        )

    summary, seen = run(uow_factory, clock)

    assert summary.accounts == 6
    assert seen["ACC-1"].action is Action.SKIP
    assert "time_zone.unknown" in seen["ACC-1"].rules
    assert seen["ACC-4"].action is Action.SEND or seen["ACC-5"].action is Action.SEND  # others still planned


def test_an_opt_out_is_confirmed_once_and_then_nothing_goes_out(uow_factory, clock, engine, confirmed):
    hour_ago = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            update(debtors)
            .where(debtors.c.phone == "+34612345004")  # Ana Ruiz, two accounts
            .values(opted_out_at=hour_ago, opt_out_scope="channel", opt_out_source="whatsapp:wamid.X")
        )

    _, seen = run(uow_factory, clock)
    _, again = run(uow_factory, clock, at=datetime(2026, 11, 23, 16, 0, tzinfo=UTC))

    confirmations = [d for d in (seen["ACC-4"], seen["ACC-5"]) if d.action is Action.SEND]
    assert len(confirmations) == 1  # one per debtor, not per account
    assert confirmations[0].template == "cobro_opt_out_confirmation"
    assert confirmations[0].kind.value == "opt_out_confirmation"
    other = seen["ACC-5"] if confirmations[0] is seen["ACC-4"] else seen["ACC-4"]
    assert other.action is Action.SKIP
    assert "strategy.leave.opted_out" in other.rules
    assert {again["ACC-4"].action, again["ACC-5"].action} == {Action.SKIP}  # never a second confirmation


def test_an_old_opt_out_gets_no_confirmation(uow_factory, clock, engine, confirmed):
    with engine.begin() as connection:
        connection.execute(
            update(debtors)
            .where(debtors.c.phone == "+34612345001")
            .values(
                opted_out_at=datetime(2026, 11, 20, tzinfo=UTC), opt_out_scope="channel", opt_out_source="x"
            )
        )

    _, seen = run(uow_factory, clock)

    assert seen["ACC-1"].action is Action.SKIP
    assert seen["ACC-1"].template is None


def test_free_form_replies_do_not_use_up_the_daily_cap_but_templates_do(
    uow_factory, clock, engine, confirmed
):
    with engine.connect() as connection:
        debtor_id, creditor_id = connection.execute(
            select(debtors.c.id, debtors.c.creditor_id).where(debtors.c.phone == "+34612345001")
        ).one()

    def sent(wamid: str, kind: str) -> None:
        with engine.begin() as connection:
            connection.execute(
                whatsapp_messages.insert().values(
                    wamid=wamid, direction="out", phone_number_id="1090000000000001", wa_id="34612345001",
                    type=kind, content={}, occurred_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                    status="delivered", creditor_id=creditor_id, debtor_id=debtor_id, created_at=NOON,
                )
            )  # fmt: skip

    sent("wamid.reply", "text")
    _, seen = run(uow_factory, clock, store=False)
    assert seen["ACC-1"].action is Action.SEND

    sent("wamid.template", "template")
    _, seen = run(uow_factory, clock, store=False)
    assert seen["ACC-1"].action is Action.DEFER
    assert "default.frequency.daily" in seen["ACC-1"].rules


def test_a_withdrawn_planned_send_no_longer_counts(uow_factory, clock, engine, confirmed):
    run(uow_factory, clock)
    with engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.account_id.in_(
                select(accounts.c.id).where(accounts.c.reference.in_(("ACC-4", "ACC-5")))
            ))
            .values(state="cancelled")
        )  # fmt: skip

    _, seen = run(uow_factory, clock, at=datetime(2026, 11, 23, 13, 0, tzinfo=UTC), store=False)

    # The cancelled send of Ana's first account no longer fills her daily cap: one of her accounts is due.
    assert Action.SEND in {seen["ACC-4"].action, seen["ACC-5"].action}
