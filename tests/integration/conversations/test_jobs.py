"""The conversations' scheduled follow-ups: a broken promise's follow-up, instalment reminders, missed
instalments breaking a plan; each once, whatever runs twice, and one bad row never stops the others."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from cobro.adapters.db.tables import accounts, invoices, payment_plans, plan_instalments
from cobro.app.conversation.jobs import run_conversation_jobs
from tests.integration.conversations.dialogue import (
    PROFILES,
    TODAY,
    account,
    events,
    fetch,
    outbox_rows,
)


def _promise(harness, lang: str, until: date) -> int:
    account_id = harness.seeded[lang].account_id
    with harness.engine.begin() as connection:
        connection.execute(update(accounts).where(accounts.c.id == account_id).values(promise_until=until))
    return account_id


def _run(harness):
    c = harness.container
    return run_conversation_jobs(c.uow_factory, c.clock, c.bot)


def test_a_promise_past_its_date_is_marked_broken_and_followed_up_once(harness):
    broken = _promise(harness, "es", TODAY - timedelta(days=1))
    kept = _promise(harness, "en", TODAY + timedelta(days=3))
    with harness.engine.begin() as connection:  # a promise kept: nothing owed any more
        paid = _promise(harness, "pt", TODAY - timedelta(days=2))
        connection.execute(
            update(invoices).where(invoices.c.account_id == paid).values(outstanding_minor=0, status="paid")
        )

    first = _run(harness)

    assert (first.promises_broken, first.failed) == (1, 0)
    assert account(harness.engine, broken)["promise_broken_at"] == harness.clock.now()
    assert account(harness.engine, kept)["promise_broken_at"] is None
    assert account(harness.engine, paid)["promise_broken_at"] is None
    [row] = outbox_rows(harness.engine)
    assert row["idempotency_key"] == f"promise-followup:{broken}:{(TODAY - timedelta(days=1)).isoformat()}"
    assert (row["kind"], row["template"]) == ("collection", "cobro_promise_followup")
    texts = [p["text"] for p in row["payload"]["parameters"]]
    assert PROFILES["es"].name in texts
    assert "F-1001" in texts
    assert any("/pay/" in t for t in texts)
    assert len(events(harness.engine, "promise.broken")) == 1

    again = _run(harness)

    assert again.promises_broken == 0
    assert len(outbox_rows(harness.engine)) == 1


def _plan(harness, lang: str, dues: list[tuple[date, int]]) -> int:
    ids = harness.seeded[lang]
    now = harness.clock.now()
    with harness.engine.begin() as connection:
        plan_id = connection.execute(
            payment_plans.insert()
            .values(
                creditor_id=ids.creditor_id, account_id=ids.account_id, status="current", currency="MXN",
                total_minor=sum(a for _, a in dues), down_payment_minor=0, instalments=len(dues),
                created_at=now, updated_at=now,
            )
            .returning(payment_plans.c.id)
        ).scalar_one()  # fmt: skip
        connection.execute(
            plan_instalments.insert(),
            [
                {
                    "plan_id": plan_id,
                    "number": n,
                    "due_date": d,
                    "amount_minor": a,
                    "paid_minor": 0,
                    "status": "due",
                }
                for n, (d, a) in enumerate(dues, start=1)
            ],
        )
        connection.execute(
            update(accounts).where(accounts.c.id == ids.account_id).values(plan_status="current")
        )
    return plan_id


def test_an_instalment_is_reminded_two_days_before_with_a_link_for_it_once(harness):
    plan_id = _plan(
        harness, "es", [(TODAY + timedelta(days=2), 41_683), (TODAY + timedelta(days=32), 41_683)]
    )

    first = _run(harness)

    assert first.instalments_reminded == 1
    [row] = outbox_rows(harness.engine)
    assert row["template"] == "cobro_plan_instalment_reminder"
    assert "$416.83" in [p["text"] for p in row["payload"]["parameters"]]
    [first_due, later] = fetch(harness.engine, plan_instalments, plan_instalments.c.plan_id == plan_id)
    assert first_due["reminded_on"] == TODAY
    assert later["reminded_on"] is None
    assert _run(harness).instalments_reminded == 0
    assert len(outbox_rows(harness.engine)) == 1


def test_a_missed_instalment_breaks_the_plan_and_a_paid_account_completes_it(harness):
    missed = _plan(harness, "es", [(TODAY - timedelta(days=4), 60_000), (TODAY + timedelta(days=26), 65_050)])
    paid_off = _plan(harness, "en", [(TODAY - timedelta(days=4), 125_050)])
    with harness.engine.begin() as connection:
        account_id = harness.seeded["en"].account_id
        connection.execute(
            update(invoices)
            .where(invoices.c.account_id == account_id)
            .values(outstanding_minor=0, status="paid")
        )

    result = _run(harness)

    assert result.instalments_missed == 1
    [plan] = fetch(harness.engine, payment_plans, payment_plans.c.id == missed)
    assert plan["status"] == "broken"
    assert account(harness.engine, harness.seeded["es"].account_id)["plan_status"] == "broken"
    [done] = fetch(harness.engine, payment_plans, payment_plans.c.id == paid_off)
    assert done["status"] == "completed"
    assert len(events(harness.engine, "plan.broken")) == 1
