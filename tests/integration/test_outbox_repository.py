"""The outbox in the database (SQLite and PostgreSQL): the planner writes it with its decisions, every move of a
row is conditional (a second claim, another worker's settle, a late settle after a status webhook change
nothing), and on PostgreSQL concurrent dispatchers and claimers never take the same row."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from cobro.adapters.db.outbox import SqlOutbox
from cobro.adapters.db.tables import contact_decisions, creditors, debtors, outbox, whatsapp_messages
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from cobro.app.plan_contacts import plan_contacts
from cobro.app.ports import QueuedBatch
from cobro.domain.contact import Action, MessageKind
from cobro.domain.errors import InvalidInput
from cobro.domain.messaging import STATUS_ONLY_TYPE, Direction, MessageStatus, StatusUpdate, WhatsAppMessage
from cobro.domain.outbox import OutboxChange, OutboxState, callback_data_for
from cobro.entrypoints.planning import catalogue_pairs, planning_policy_with
from tests.factories import account_row

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the clock fixture's now
NUMBER = "1090000000000001"


@pytest.fixture
def acme(uow_factory, clock, engine):
    """Acme (sending from its own number) with five Spanish accounts one day past due: three confirmed
    debtors, one unconfirmed (a right-party check), one without consent (a skip); and Beta, no number."""
    add_creditor(uow_factory, clock, slug="acme", name="Acme", country="ES", currency="EUR")
    add_creditor(uow_factory, clock, slug="beta", name="Beta", country="ES", currency="EUR")
    rows = [account_row(n, due_date="2026-11-22") for n in range(1, 5)]
    rows.append(account_row(5, due_date="2026-11-22", consent="no", consent_at=""))
    for slug, batch in (("acme", rows), ("beta", [account_row(9, due_date="2026-11-22")])):
        raw = list(enumerate(batch, start=2))
        outcome = import_accounts(uow_factory, clock, raw, creditor_slug=slug, source_name="t.csv", actor="t")
        assert outcome.ok, outcome.problems
    with engine.begin() as connection:
        connection.execute(
            update(creditors).where(creditors.c.slug == "acme").values(whatsapp_phone_number_id=NUMBER)
        )
        connection.execute(
            update(debtors).where(debtors.c.phone != "+34612345004").values(right_party_confirmed_at=NOON)
        )


def plan(uow_factory, clock, at=NOON):
    policy = planning_policy_with(uow_factory, approved=catalogue_pairs())
    return plan_contacts(uow_factory, clock, policy, at=at)


def rows(engine, *where):
    with engine.connect() as connection:
        query = select(outbox).where(*where).order_by(outbox.c.id)
        return [dict(r) for r in connection.execute(query).mappings()]


def add_rows(engine, count, **values):
    """`count` outbox rows for Acme's first debtor, planned and due a minute ago unless `values` say otherwise."""
    with engine.begin() as connection:
        debtor_id, creditor_id = connection.execute(
            select(debtors.c.id, debtors.c.creditor_id).order_by(debtors.c.id).limit(1)
        ).one()
        start = connection.execute(select(func.count()).select_from(outbox)).scalar_one()
        ids = []
        for n in range(start, start + count):
            row = {
                "idempotency_key": f"test:{n}", "creditor_id": creditor_id, "debtor_id": debtor_id,
                "kind": "collection", "stage": "first_notice", "template": "cobro_overdue_notice",
                "language": "es", "state": "planned", "due_at": NOON - timedelta(minutes=1), "attempts": 0,
                "created_at": NOON, "updated_at": NOON, **values,
            }  # fmt: skip
            ids.append(connection.execute(insert(outbox).values(row).returning(outbox.c.id)).scalar_one())
    return ids


def test_the_planner_writes_one_outbox_row_per_send_and_none_for_a_defer_or_skip(
    engine, uow_factory, clock, acme
):
    summary = plan(uow_factory, clock)

    with engine.connect() as connection:
        decisions = {r.idempotency_key: r for r in connection.execute(select(contact_decisions)).all()}
    sends = {k: d for k, d in decisions.items() if d.action == Action.SEND.value}
    assert {d.action for d in decisions.values()} >= {"send", "skip"}
    written = rows(engine)
    assert (
        len(written) == len(sends) == summary.actions["send"] == 5
    )  # four at Acme (one a check), one at Beta
    for row in written:
        decision = sends[row["idempotency_key"]]
        assert row["decision_id"] == decision.id
        assert (row["creditor_id"], row["debtor_id"], row["account_id"]) == (
            decision.creditor_id, decision.debtor_id, decision.account_id,
        )  # fmt: skip
        assert (row["kind"], row["stage"], row["template"], row["language"]) == (
            decision.kind, decision.stage, decision.template, decision.language,
        )  # fmt: skip
        assert (row["state"], row["attempts"]) == ("planned", 0)
        assert row["due_at"] == (decision.not_before or decision.decided_at) == NOON
        assert row["created_at"] == row["updated_at"] == NOON
        assert row["phone_number_id"] == (NUMBER if decision.creditor_id == 1 else None)
    assert {r["kind"] for r in written} == {"collection", "right_party_check"}

    again = plan(uow_factory, clock)
    later = plan(uow_factory, clock, at=NOON + timedelta(hours=2))

    assert again.stored == 0
    assert later.actions["send"] == 0
    assert len(rows(engine)) == 5


def test_planner_history_follows_the_outbox_row(engine, uow_factory, clock, acme):
    plan(uow_factory, clock)
    written = {r["account_id"]: r for r in rows(engine)}
    first, second, third = sorted(written)[:3]
    with engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.account_id == first).values(state="failed"))
        connection.execute(update(outbox).where(outbox.c.account_id == second).values(state="cancelled"))
        connection.execute(
            update(outbox).where(outbox.c.account_id == third).values(state="sent", wamid="wamid.SENT")
        )
        # The message of the third send, and a template sent outside the planner with the same wamid would
        # be the same message: it must count once.
        row = written[third]
        connection.execute(
            insert(whatsapp_messages).values(
                wamid="wamid.SENT", direction="out", phone_number_id=NUMBER, type="template", content={},
                occurred_at=NOON, status="read", status_at=NOON + timedelta(minutes=5),
                creditor_id=row["creditor_id"], debtor_id=row["debtor_id"], created_at=NOON,
            )
        )  # fmt: skip

    with uow_factory() as uow:
        cases, _ = uow.planning.cases(0, 100, None, NOON - timedelta(days=35))
        recipients = uow.send_context.recipients([written[first]["debtor_id"], 999_999], NOON)
    history = {c.debtor.id: c.history.outbound for c in cases}

    failed = history[written[first]["debtor_id"]]
    assert [(r.status, r.outbox_id) for r in failed] == [("failed", written[first]["id"])]
    assert history.get(written[second]["debtor_id"], ()) == ()  # withdrawn: never reached the debtor
    sent = history[written[third]["debtor_id"]]
    assert [(r.status, r.read_at, r.outbox_id) for r in sent] == [
        ("read", NOON + timedelta(minutes=5), written[third]["id"])
    ]
    assert list(recipients) == [written[first]["debtor_id"]]
    recipient = recipients[written[first]["debtor_id"]]
    assert (recipient.debtor_name, recipient.creditor_name, recipient.creditor_language) == (
        "María López 1", "Acme", "es",
    )  # fmt: skip
    assert [a.id for a in recipient.accounts] == [first]
    assert recipient.history.outbound[0].outbox_id == written[first]["id"]


def test_rows_are_queued_once_in_batches_per_number_and_claimed_by_one_worker(engine, uow_factory, acme):
    default = add_rows(engine, 3)
    own = add_rows(engine, 2, phone_number_id=NUMBER)
    later = add_rows(engine, 1, due_at=NOON + timedelta(hours=1))
    with uow_factory() as uow:
        batches = uow.outbox.queue_due(NOON, 100, 2)
        again = uow.outbox.queue_due(NOON, 100, 2)
        uow.commit()

    assert batches == [
        QueuedBatch(None, tuple(default[:2])), QueuedBatch(None, tuple(default[2:])), QueuedBatch(NUMBER, tuple(own))
    ]  # fmt: skip
    assert again == []
    assert [r["state"] for r in rows(engine, outbox.c.id.in_(later))] == ["planned"]
    assert {r["queued_at"] for r in rows(engine, outbox.c.state == "queued")} == {NOON}

    lease = NOON + timedelta(minutes=2)
    with uow_factory() as uow:
        claimed = uow.outbox.claim([*own, *default], "w1", NOON, lease)
        second = uow.outbox.claim(default, "w2", NOON, lease)
        uow.commit()

    assert [i.id for i in claimed] == sorted([*own, *default])
    assert second == []
    item = claimed[-1]
    assert (item.phone_number_id, item.attempts, item.kind) == (NUMBER, 1, MessageKind.COLLECTION)
    assert item.callback_data == f"cobro:{item.idempotency_key}"
    stored = rows(engine, outbox.c.state == "sending")
    assert {(r["claimed_by"], r["claimed_at"], r["lease_until"]) for r in stored} == {("w1", NOON, lease)}


def test_settle_applies_each_outcome_only_for_the_worker_holding_the_claim(engine, uow_factory, acme):
    ids = add_rows(engine, 6)
    later = NOON + timedelta(minutes=1)
    with uow_factory() as uow:
        uow.outbox.queue_due(NOON, 100, 10)
        uow.outbox.claim(ids, "w1", NOON, NOON + timedelta(minutes=2))
        uow.commit()
    sent, retry, failed, cancelled, unknown, released = ids
    changes = [
        OutboxChange(sent, OutboxState.SENT, wamid="wamid.A", payload={"template": "t", "parameters": ["1"]}),
        OutboxChange(retry, OutboxState.PLANNED, due_at=later, error_code=130429, reason="slow down"),
        OutboxChange(failed, OutboxState.FAILED, error_code=131026, reason="undeliverable"),
        OutboxChange(cancelled, OutboxState.CANCELLED, reason="the gate blocks it now"),
        OutboxChange(unknown, OutboxState.UNKNOWN, reason="timed out after the request left"),
    ]
    with uow_factory() as uow:
        by_other = uow.outbox.settle(changes, "w2", later)
        settled = uow.outbox.settle(changes, "w1", later)
        twice = uow.outbox.settle(changes, "w1", later)
        back = uow.outbox.release([released, sent], "w1", later)
        uow.commit()

    assert by_other == []
    assert settled == sorted(ids[:5])
    assert twice == []
    assert back == 1
    found = {r["id"]: r for r in rows(engine)}
    assert found[sent]["state"] == "sent"
    assert (found[sent]["wamid"], found[sent]["sent_at"], found[sent]["reason"]) == ("wamid.A", later, None)
    assert found[sent]["payload"] == {"template": "t", "parameters": ["1"]}
    assert (found[retry]["state"], found[retry]["due_at"], found[retry]["error_code"]) == (
        "planned",
        later,
        130429,
    )
    assert (found[retry]["claimed_by"], found[retry]["lease_until"], found[retry]["reason"]) == (
        None, None, "slow down",
    )  # fmt: skip
    assert (found[failed]["state"], found[failed]["error_code"]) == ("failed", 131026)
    assert (found[cancelled]["state"], found[cancelled]["reason"]) == ("cancelled", "the gate blocks it now")
    assert found[unknown]["state"] == "unknown"
    assert (found[released]["state"], found[released]["attempts"], found[released]["claimed_by"]) == (
        "queued", 0, None,
    )  # fmt: skip
    assert {found[i]["updated_at"] for i in ids} == {later}
    with uow_factory() as uow:  # the retried row is due again a minute later
        assert uow.outbox.queue_due(later, 100, 10) == [QueuedBatch(None, (retry,))]
        uow.commit()


def test_lost_tasks_are_requeued_and_expired_claims_go_to_a_person_never_resent(engine, uow_factory, acme):
    queued_long_ago, claimed, fresh = add_rows(engine, 3, due_at=NOON - timedelta(minutes=20))
    with uow_factory() as uow:
        uow.outbox.queue_due(NOON - timedelta(minutes=10), 100, 10)
        uow.outbox.claim([claimed], "w1", NOON - timedelta(minutes=9), NOON - timedelta(minutes=7))
        uow.commit()
    with engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.id == fresh).values(queued_at=NOON))

    with uow_factory() as uow:
        stale = uow.outbox.requeue_stale(NOON - timedelta(minutes=2), NOON, 100, 10)
        expired = uow.outbox.expire_leases(NOON, 100)
        not_yet = uow.outbox.hand_over_unknown(NOON - timedelta(minutes=15), NOON, 100)
        uow.commit()

    assert stale == [QueuedBatch(None, (queued_long_ago,))]
    assert rows(engine, outbox.c.id == queued_long_ago)[0]["queued_at"] == NOON
    assert [(r.id, r.state) for r in expired] == [(claimed, OutboxState.UNKNOWN)]
    reason = expired[0].reason
    assert reason == (
        "the worker holding the claim (w1) stopped before recording an outcome (lease expired at "
        "2026-11-23 11:53:00 UTC); the request may have reached WhatsApp"
    )
    assert not_yet == []

    deadline = NOON + timedelta(minutes=16)
    with uow_factory() as uow:
        handed = uow.outbox.hand_over_unknown(deadline - timedelta(minutes=15), deadline, 100)
        uow.commit()
    assert [(r.id, r.state) for r in handed] == [(claimed, OutboxState.REVIEW)]
    assert handed[0].reason.startswith(
        reason + "; no status webhook arrived for it by 2026-11-23 12:16:00 UTC"
    )
    assert rows(engine, outbox.c.id == claimed)[0]["state"] == "review"
    with uow_factory() as uow:
        assert uow.outbox.counts() == {
            **dict.fromkeys(OutboxState, 0), OutboxState.QUEUED: 2, OutboxState.REVIEW: 1,
        }  # fmt: skip
        assert uow.outbox.counts([OutboxState.SENDING]) == {OutboxState.SENDING: 0}
        assert [r.id for r in uow.outbox.records([OutboxState.QUEUED, OutboxState.REVIEW], 2)] == [
            queued_long_ago, claimed,
        ]  # fmt: skip
        assert [r.id for r in uow.outbox.records([OutboxState.QUEUED], 10, after_id=claimed)] == [fresh]


def status(wamid, state, key=None, code=None, minute=0):
    return StatusUpdate(
        wamid=wamid,
        status=MessageStatus(state),
        timestamp=NOON + timedelta(minutes=minute),
        biz_opaque_callback_data=callback_data_for(key) if key else None,
        error_code=code,
        error_title="Message undeliverable" if code else None,
    )


def test_status_webhooks_reconcile_rows_whose_outcome_is_unknown(engine, uow_factory, acme):
    unknown, review, failing, sending, planned = add_rows(engine, 5)
    keys = {r["id"]: r["idempotency_key"] for r in rows(engine)}
    with engine.begin() as connection:
        for id_, state in (
            (unknown, "unknown"),
            (review, "review"),
            (failing, "unknown"),
            (sending, "sending"),
        ):
            connection.execute(update(outbox).where(outbox.c.id == id_).values(state=state, claimed_by="w1"))
    statuses = [
        status("wamid.U", "sent", keys[unknown], minute=1),
        status("wamid.U", "delivered", keys[unknown], minute=2),
        status("wamid.R", "read", keys[review], minute=3),
        status("wamid.F", "failed", keys[failing], code=131026, minute=1),
        status("wamid.P", "sent", keys[planned]),  # not reconcilable: the row has not been sent yet
        status("wamid.X", "sent"),  # not the outbox's
        status("wamid.Y", "sent", "no-such-key"),
    ]
    with uow_factory() as uow:
        settled = uow.outbox.reconcile(statuses, NOON + timedelta(minutes=5))
        # The worker that sent `sending` is still recording it when its status arrives.
        early = uow.outbox.reconcile([status("wamid.S", "sent", keys[sending])], NOON)
        late = uow.outbox.settle([OutboxChange(sending, OutboxState.SENT, wamid="wamid.S")], "w1", NOON)
        again = uow.outbox.reconcile(statuses, NOON + timedelta(minutes=6))
        uow.commit()

    assert [(r.id, r.state, r.wamid) for r in settled] == [
        (unknown, OutboxState.SENT, "wamid.U"), (review, OutboxState.SENT, "wamid.R"),
        (failing, OutboxState.FAILED, "wamid.F"),
    ]  # fmt: skip
    assert ([r.id for r in early], late, again) == ([sending], [], [])
    found = {r["id"]: r for r in rows(engine)}
    assert (found[unknown]["state"], found[unknown]["wamid"], found[unknown]["sent_at"]) == (
        "sent", "wamid.U", NOON + timedelta(minutes=1),
    )  # fmt: skip
    assert (found[review]["state"], found[review]["wamid"]) == ("sent", "wamid.R")
    assert (found[failing]["state"], found[failing]["wamid"], found[failing]["error_code"]) == (
        "failed", "wamid.F", 131026,
    )  # fmt: skip
    assert found[failing]["reason"] == "WhatsApp reported it failed: [131026] Message undeliverable"
    assert (found[sending]["state"], found[sending]["wamid"]) == ("sent", "wamid.S")
    assert (found[planned]["state"], found[planned]["wamid"]) == ("planned", None)


def test_reconcile_never_gives_a_row_a_wamid_another_row_has(engine, uow_factory, acme):
    holder, other = add_rows(engine, 2, state="unknown")
    keys = {r["id"]: r["idempotency_key"] for r in rows(engine)}
    with engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.id == holder).values(state="sent", wamid="wamid.D"))

    with uow_factory() as uow:
        settled = uow.outbox.reconcile([status("wamid.D", "sent", keys[other])], NOON)
        uow.commit()

    assert [(r.id, r.state.value, r.wamid) for r in settled] == [(other, "sent", None)]
    assert [(r["state"], r["wamid"]) for r in rows(engine)] == [("sent", "wamid.D"), ("sent", None)]


def test_a_person_resolves_rows_in_review(engine, uow_factory, acme):
    sent, again, failed, planned, taken, conflict = add_rows(engine, 6, state="review")
    with engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.id == planned).values(state="planned"))
        connection.execute(update(outbox).where(outbox.c.id == taken).values(state="sent", wamid="wamid.T"))
    later = NOON + timedelta(hours=1)

    with uow_factory() as uow:
        assert uow.outbox.resolve(sent, OutboxState.SENT, "seen on the phone", later, wamid="wamid.M")
        assert uow.outbox.resolve(again, OutboxState.PLANNED, "send it again", later)
        assert uow.outbox.resolve(failed, OutboxState.FAILED, "the debtor says nothing came", later)
        assert not uow.outbox.resolve(planned, OutboxState.FAILED, "not in review", later)
        with pytest.raises(InvalidInput):
            uow.outbox.resolve(failed, OutboxState.QUEUED, "no", later)
        uow.commit()
    with (
        uow_factory() as uow,
        pytest.raises(InvalidInput, match=r"wamid\.T is already the message of outbox row"),
    ):
        uow.outbox.resolve(conflict, OutboxState.SENT, "a typo", later, wamid="wamid.T")

    found = {r["id"]: r for r in rows(engine)}
    assert (found[sent]["state"], found[sent]["wamid"], found[sent]["reason"]) == (
        "sent", "wamid.M", "seen on the phone",
    )  # fmt: skip
    assert (found[again]["state"], found[again]["due_at"]) == ("planned", later)
    assert found[failed]["state"] == "failed"
    assert found[planned]["state"] == "planned"
    assert (found[conflict]["state"], found[conflict]["wamid"]) == ("review", None)  # rolled back


def test_recording_many_sends_fills_in_placeholders_and_keeps_their_status(engine, uow_factory, clock, acme):
    def message(wamid, **values):
        base = {
            "wamid": wamid, "direction": Direction.OUTBOUND, "phone_number_id": NUMBER, "type": "template",
            "occurred_at": NOON, "content": {"template": "cobro_overdue_notice"}, "wa_id": "34612345001",
            "status": MessageStatus.ACCEPTED, "status_at": NOON, "creditor_id": 1, "debtor_id": 1,
        }  # fmt: skip
        return WhatsAppMessage(**{**base, **values})

    placeholder = message(
        "wamid.B", type=STATUS_ONLY_TYPE, content={}, status=MessageStatus.DELIVERED, creditor_id=None,
        debtor_id=None, biz_opaque_callback_data="cobro:k",
    )  # fmt: skip
    with uow_factory() as uow:
        uow.messages.add_absent([placeholder, message("wamid.C")], NOON)
        uow.commit()

    with uow_factory() as uow:
        recorded = uow.messages.record_outbound_many(
            [message("wamid.C"), message("wamid.B"), message("wamid.A"), message("wamid.A")], NOON
        )
        again = uow.messages.record_outbound_many([message("wamid.A"), message("wamid.B")], NOON)
        uow.commit()
        filled = uow.messages.get("wamid.B")

    assert recorded == {"wamid.A", "wamid.B"}  # wamid.C was recorded already
    assert again == set()
    assert (filled.type, filled.content, filled.status) == (
        "template", {"template": "cobro_overdue_notice"}, MessageStatus.DELIVERED,
    )  # fmt: skip
    assert (filled.debtor_id, filled.creditor_id, filled.biz_opaque_callback_data) == (1, 1, "cobro:k")


# --- PostgreSQL: concurrency ------------------------------------------------------------------------------


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only (SQLite runs one writer at a time)")


def test_concurrent_dispatchers_never_queue_the_same_row(engine, uow_factory, acme, postgresql_only):
    ids = add_rows(engine, 10)
    with engine.connect() as first, engine.connect() as second, first.begin():
        held = SqlOutbox(first).queue_due(NOON, 4, 100)  # its transaction stays open meanwhile
        with second.begin():
            other = SqlOutbox(second).queue_due(NOON, 100, 100)
    taken = [i for b in held for i in b.ids]
    rest = [i for b in other for i in b.ids]
    assert taken == ids[:4]
    assert rest == ids[4:]


def test_two_claims_of_the_same_ids_give_each_row_to_one_worker(engine, uow_factory, acme, postgresql_only):
    ids = add_rows(engine, 6)
    with uow_factory() as uow:
        uow.outbox.queue_due(NOON, 100, 100)
        uow.commit()
    lease = NOON + timedelta(minutes=2)
    results: dict[str, list[int]] = {}

    def claim(worker: str, order: list[int]) -> None:
        with uow_factory() as uow:
            results[worker] = [i.id for i in uow.outbox.claim(order, worker, NOON, lease)]
            uow.commit()

    with engine.connect() as first, first.begin():
        results["w1"] = [i.id for i in SqlOutbox(first).claim(ids[:4], "w1", NOON, lease)]
        waiting = threading.Thread(target=claim, args=("w2", list(reversed(ids))))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # it waits for the first claim's rows instead of taking them
    waiting.join(10)

    assert results == {"w1": ids[:4], "w2": ids[4:]}


def test_racing_claims_of_overlapping_batches_never_share_a_row(engine, uow_factory, acme, postgresql_only):
    ids = add_rows(engine, 60)
    with uow_factory() as uow:
        uow.outbox.queue_due(NOON, 100, 100)
        uow.commit()
    rng = random.Random(6)
    batches = [rng.sample(ids, 30) for _ in range(6)]
    start = threading.Barrier(len(batches))
    claimed: list[list[int]] = []

    def claim(n: int) -> None:
        with uow_factory() as uow:
            start.wait()
            items = uow.outbox.claim(batches[n], f"w{n}", NOON, NOON + timedelta(minutes=2))
            uow.commit()
        claimed.append([i.id for i in items])

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    every = [i for found in claimed for i in found]
    assert len(claimed) == len(batches)
    assert len(every) == len(set(every))
    assert set(every) == {i for batch in batches for i in batch}
