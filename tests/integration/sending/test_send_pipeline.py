"""The send pipeline end to end on both databases: planner -> outbox -> dispatch -> claim -> the sandbox's
Graph API -> recorded, and the crash tests: a worker that dies between claim and send or between send and
record, a redelivered task, duplicate webhooks. Every test asserts zero duplicates (the sandbox counts wamids
per callback key) and zero losses (every row ends sent, failed, cancelled, or with a person, with a reason).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cobro.adapters.db.tables import audit_events, whatsapp_messages
from cobro.app.send_outbox import send_batch, sweep
from tests.integration.sandbox.conftest import wait_for
from tests.integration.sending.pipeline import (
    DEBTORS,
    NOON,
    Crash,
    RecordingQueue,
    accepted_keys,
    apply_webhooks,
    assert_nothing_lost,
    die,
    dispatch,
    duplicates,
    make_sender,
    plan,
    rows,
    run_batches,
    states,
)

# --- the happy path ----------------------------------------------------------------------------------------


def test_plans_dispatches_and_sends_each_message_once(uow_factory, clock, engine, acme, sandbox_for):
    running, _ = sandbox_for()
    assert plan(uow_factory, clock) == DEBTORS
    assert states(engine) == {"planned": DEBTORS}

    batches = dispatch(uow_factory, clock)
    assert sorted(i for b in batches for i in b.ids) == [r.id for r in rows(engine)]
    assert all(len(b.ids) <= 2 for b in batches)
    assert dispatch(uow_factory, clock) == []  # queued rows are not queued again

    results = run_batches(make_sender(uow_factory, clock, running.url), batches)

    assert sum(r.states["sent"] for r in results) == DEBTORS, (
        results,
        [(r.state, r.reason) for r in rows(engine)],
    )
    assert states(engine) == {"sent": DEBTORS}
    assert accepted_keys(running) == DEBTORS
    assert duplicates(running) == 0
    with engine.connect() as connection:
        messages = connection.execute(
            select(whatsapp_messages).where(whatsapp_messages.c.direction == "out")
        ).all()
        accepted_events = connection.execute(
            select(audit_events).where(audit_events.c.kind == "message.accepted")
        ).all()
    by_wamid = {m.wamid: m for m in messages}
    for row in rows(engine):
        message = by_wamid[row.wamid]
        assert message.debtor_id == row.debtor_id
        assert message.biz_opaque_callback_data == f"cobro:{row.idempotency_key}"
        assert row.payload["template"] == "cobro_overdue_notice"
        assert any("€" in p or "EUR" in p for p in row.payload["parameters"])
    assert len(accepted_events) == DEBTORS
    # Planning again the same day plans nothing new, and nothing is due.
    assert plan(uow_factory, clock) == 0
    assert dispatch(uow_factory, clock) == []


def test_a_redelivered_task_sends_nothing_twice(uow_factory, clock, engine, acme, sandbox_for):
    running, _ = sandbox_for()
    plan(uow_factory, clock)
    batches = dispatch(uow_factory, clock)

    # The broker delivers every task twice, once after the other and once at the same time.
    sender = make_sender(uow_factory, clock, running.url)

    async def go() -> None:
        try:
            for batch in batches:
                await asyncio.gather(
                    send_batch(sender, batch.phone_number_id, list(batch.ids)),
                    send_batch(sender, batch.phone_number_id, list(batch.ids)),
                )
            for batch in batches:
                await send_batch(sender, batch.phone_number_id, list(batch.ids))
        finally:
            await sender.sender.aclose()  # type: ignore[attr-defined]

    asyncio.run(go())

    assert accepted_keys(running) == DEBTORS
    assert duplicates(running) == 0
    assert states(engine) == {"sent": DEBTORS}


# --- crash tests -------------------------------------------------------------------------------------------


def test_worker_killed_between_claim_and_send_loses_nothing_and_sends_nothing_blindly(
    uow_factory, clock, engine, acme, sandbox_for
):
    running, receiver = sandbox_for()
    plan(uow_factory, clock)
    batches = dispatch(uow_factory, clock)

    with pytest.raises(Crash):
        run_batches(make_sender(uow_factory, clock, running.url, before_send=die), batches[:1])
    claimed = set(batches[0].ids)
    assert {r.id for r in rows(engine) if r.state == "sending"} == claimed
    assert accepted_keys(running) == 0

    # The other batches go normally; the broker redelivers the dead worker's task: its rows stay claimed.
    run_batches(make_sender(uow_factory, clock, running.url), batches)
    assert accepted_keys(running) == DEBTORS - len(claimed)

    # The lease runs out: the rows become unknown (the request might have left), never resent.
    clock.set(NOON + timedelta(minutes=3))
    queue = RecordingQueue()
    policy = make_sender(uow_factory, clock, running.url).policy
    result = sweep(uow_factory, clock, queue, policy)
    assert {r.id for r in result.expired} == claimed
    assert {r.id for r in rows(engine) if r.state == "unknown"} == claimed
    assert dispatch(uow_factory, clock) == []
    # No status webhook ever names them (nothing left): past the deadline a person decides.
    apply_webhooks(uow_factory, clock, receiver)
    clock.set(NOON + timedelta(minutes=20))
    result = sweep(uow_factory, clock, queue, policy)
    assert {r.id for r in result.handed_over} == claimed
    review = [r for r in rows(engine) if r.state == "review"]
    assert {r.id for r in review} == claimed
    assert all("deadline" in r.reason or "no status" in r.reason for r in review)
    assert queue.batches == []
    assert accepted_keys(running) == DEBTORS - len(claimed)
    assert duplicates(running) == 0
    assert_nothing_lost(engine)


def test_worker_killed_between_send_and_record_is_settled_by_the_status_webhooks(
    uow_factory, clock, engine, acme, sandbox_for
):
    running, receiver = sandbox_for()
    plan(uow_factory, clock)
    batches = dispatch(uow_factory, clock)

    with pytest.raises(Crash):
        run_batches(make_sender(uow_factory, clock, running.url, before_record=die), batches)
    assert accepted_keys(running) == len(batches[0].ids)  # the first batch left, then the worker died
    first = set(batches[0].ids)
    assert {r.id for r in rows(engine) if r.state == "sending"} == first

    # Its lease runs out first: unknown. Then the sandbox's `sent` statuses arrive and settle each row.
    clock.set(NOON + timedelta(minutes=3))
    policy = make_sender(uow_factory, clock, running.url).policy
    sweep(uow_factory, clock, RecordingQueue(), policy)
    assert {r.id for r in rows(engine) if r.state == "unknown"} == first
    wait_for(lambda: len(receiver.posts()) >= 1, message="status webhooks")
    apply_webhooks(uow_factory, clock, receiver)

    by_id = {r.id: r for r in rows(engine)}
    for outbox_id in first:
        assert by_id[outbox_id].state == "sent"
        assert by_id[outbox_id].wamid
    # The redelivered task and the other batches: each remaining row once, none of the first again.
    run_batches(make_sender(uow_factory, clock, running.url), batches)
    assert accepted_keys(running) == DEBTORS
    assert duplicates(running) == 0
    assert states(engine) == {"sent": DEBTORS}


def test_duplicate_webhooks_settle_once(uow_factory, clock, engine, acme, sandbox_for):
    running, receiver = sandbox_for(duplicate_status_rate=1.0)
    plan(uow_factory, clock)
    batches = dispatch(uow_factory, clock)

    with pytest.raises(Crash):
        run_batches(make_sender(uow_factory, clock, running.url, before_record=die), batches[:1])
    wait_for(lambda: len(receiver.posts()) >= 2, message="status webhooks")
    apply_webhooks(uow_factory, clock, receiver)
    apply_webhooks(uow_factory, clock, receiver)  # and Meta delivers every one of them again
    with engine.connect() as connection:
        reconciled = connection.execute(
            select(audit_events).where(audit_events.c.kind == "message.reconciled")
        ).all()
    assert len(reconciled) == len(batches[0].ids)
    assert {r.state for r in rows(engine) if r.id in set(batches[0].ids)} == {"sent"}
    assert duplicates(running) == 0


def test_a_5xx_after_meta_took_the_message_is_unknown_then_reconciled(
    uow_factory, clock, engine, acme, sandbox_for
):
    running, receiver = sandbox_for(http_5xx_rate=1.0, failure_accepts_probability=1.0)
    plan(uow_factory, clock)
    run_batches(make_sender(uow_factory, clock, running.url), dispatch(uow_factory, clock))
    assert states(engine) == {"unknown": DEBTORS}
    assert dispatch(uow_factory, clock) == []  # never resent
    wait_for(lambda: receiver.posts(), message="status webhooks")
    wait_for(
        lambda: apply_webhooks(uow_factory, clock, receiver) >= 0 and states(engine) == {"sent": DEBTORS}
    )
    assert duplicates(running) == 0


# --- refusals ----------------------------------------------------------------------------------------------


def test_a_template_meta_does_not_know_fails_with_its_code_and_is_never_retried(
    uow_factory, clock, engine, acme, sandbox_for
):
    running, _ = sandbox_for(approve=False)
    plan(uow_factory, clock)
    run_batches(make_sender(uow_factory, clock, running.url), dispatch(uow_factory, clock))
    failed = rows(engine)
    assert {r.state for r in failed} == {"failed"}
    assert {r.error_code for r in failed} == {132001}
    clock.set(NOON + timedelta(hours=2))
    assert dispatch(uow_factory, clock) == []
    assert_nothing_lost(engine)


def test_throughput_refusals_go_back_to_the_queue_without_using_an_attempt(
    uow_factory, clock, engine, acme, sandbox_for
):
    running, _ = sandbox_for(tier=1)
    plan(uow_factory, clock)
    sender = make_sender(uow_factory, clock, running.url)
    results = run_batches(sender, dispatch(uow_factory, clock))
    limited = sum(r.throughput_limited for r in results)
    assert limited >= 1
    retrying = [r for r in rows(engine) if r.state == "planned"]
    assert len(retrying) == limited
    assert {r.error_code for r in retrying} == {130429}
    assert all(r.due_at > NOON for r in retrying)
    assert {r.attempts for r in retrying} == {0}  # the number's limit is not the message's failure
    # A few seconds later they go (the sandbox's bucket refilled), each once.
    clock.set(NOON + timedelta(seconds=30))
    running.http.post(f"{running.url}/sandbox/admin", json={"tier": 1000})
    run_batches(make_sender(uow_factory, clock, running.url), dispatch(uow_factory, clock))
    assert states(engine) == {"sent": DEBTORS}
    assert duplicates(running) == 0


def test_a_refused_token_pauses_the_sender_and_fails_nothing(uow_factory, clock, engine, acme, sandbox_for):
    running, _ = sandbox_for()
    plan(uow_factory, clock)
    sender = make_sender(uow_factory, clock, running.url, token="expired-token")
    batches = dispatch(uow_factory, clock)
    results = run_batches(sender, batches)
    # The first batch is refused (190); the number then pauses, so the next batches wait without trying.
    assert sum(r.sender_stopped for r in results) == len(batches[0].ids)
    waiting = rows(engine)
    assert {r.state for r in waiting} == {"planned"}
    assert {r.error_code for r in waiting if r.id in batches[0].ids} == {190}
    assert all("paused" in r.reason for r in waiting if r.id not in batches[0].ids)
    assert {r.attempts for r in waiting} == {0}
    assert accepted_keys(running) == 0
    # A person fixes the token; the rows go once they are due again.
    clock.set(NOON + timedelta(minutes=20))
    run_batches(make_sender(uow_factory, clock, running.url), dispatch(uow_factory, clock))
    assert states(engine) == {"sent": DEBTORS}
    assert duplicates(running) == 0


def test_a_cancelled_task_puts_back_what_it_never_sent(uow_factory, clock, engine, acme, sandbox_for):
    running, _ = sandbox_for()
    plan(uow_factory, clock)
    batches = dispatch(uow_factory, clock)

    def stop(items: Sequence[Any]) -> None:
        raise asyncio.CancelledError  # a graceful shutdown past its deadline cancels the task here

    with pytest.raises(asyncio.CancelledError):
        run_batches(make_sender(uow_factory, clock, running.url, before_send=stop), batches[:1])
    assert {r.state for r in rows(engine) if r.id in set(batches[0].ids)} == {"queued"}
    run_batches(make_sender(uow_factory, clock, running.url), batches)  # the broker redelivers
    assert states(engine) == {"sent": DEBTORS}
    assert accepted_keys(running) == DEBTORS
    assert duplicates(running) == 0


def test_a_row_whose_check_raises_fails_alone(uow_factory, clock, engine, acme, sandbox_for, monkeypatch):
    import cobro.app.send_outbox as send_outbox

    running, _ = sandbox_for()
    plan(uow_factory, clock)
    batches = dispatch(uow_factory, clock)
    poisoned = batches[0].ids[0]
    real = send_outbox.recheck

    def recheck(item, *args, **kwargs):
        if item.id == poisoned:
            raise ValueError("corrupt ledger row")
        return real(item, *args, **kwargs)

    monkeypatch.setattr(send_outbox, "recheck", recheck)
    run_batches(make_sender(uow_factory, clock, running.url), batches)
    by_id = {r.id: r for r in rows(engine)}
    assert by_id[poisoned].state == "failed"
    assert "ValueError" in by_id[poisoned].reason
    assert states(engine) == {"sent": DEBTORS - 1, "failed": 1}


# --- the gate, again, at claim time ------------------------------------------------------------------------


def test_a_message_planned_before_closing_time_is_not_sent_after_it(
    uow_factory, clock, engine, acme, sandbox_for
):
    running, _ = sandbox_for()
    planned_at = datetime(2026, 11, 23, 17, 55, tzinfo=UTC)  # 18:55 in Madrid; the window closes at 19:00
    clock.set(planned_at)
    assert plan(uow_factory, clock, at=planned_at) == DEBTORS
    clock.set(planned_at + timedelta(minutes=6))  # 19:01 in Madrid
    batches = dispatch(uow_factory, clock)
    run_batches(make_sender(uow_factory, clock, running.url), batches)

    assert accepted_keys(running) == 0
    cancelled = rows(engine)
    assert {r.state for r in cancelled} == {"cancelled"}
    assert all("gate" in r.reason for r in cancelled)
    with engine.connect() as connection:
        events = connection.execute(
            select(audit_events).where(audit_events.c.kind == "message.cancelled")
        ).all()
    assert len(events) == DEBTORS


def test_a_reminder_for_an_account_paid_since_planning_is_cancelled(
    uow_factory, clock, engine, acme, sandbox_for
):
    from sqlalchemy import update

    from cobro.adapters.db.tables import invoices

    running, _ = sandbox_for()
    plan(uow_factory, clock)
    with engine.begin() as connection:
        connection.execute(update(invoices).values(outstanding_minor=0, status="paid"))
    run_batches(make_sender(uow_factory, clock, running.url), dispatch(uow_factory, clock))
    assert accepted_keys(running) == 0
    assert {r.state for r in rows(engine)} == {"cancelled"}


@pytest.fixture(autouse=True)
def _no_leftover_loops() -> Iterator[None]:
    yield
    asyncio.set_event_loop(None)
