"""Webhook use cases on SQLite and PostgreSQL: stored raw, applied once, statuses in causal order."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from cobro.adapters.db.tables import (
    audit_events,
    creditors,
    debtors,
    webhook_deliveries,
    whatsapp_messages,
    whatsapp_statuses,
    whatsapp_template_events,
)
from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.record_webhooks import (
    process_webhook_deliveries,
    record_outbound_message,
    store_webhook_delivery,
)
from cobro.domain.events import EventKind
from cobro.domain.messaging import MessageStatus
from tests.webhook_payloads import (
    body,
    contact,
    delivery,
    messages_change,
    status,
    statuses_change,
    template_delivery,
    text_message,
)

PHONE = "+5215512345678"


def _debtor(engine, clock, phone=PHONE, slug="acme"):
    with engine.begin() as connection:
        creditor_id = connection.execute(
            insert(creditors)
            .values(
                slug=slug, name="Acme", country="MX", currency="MXN", language="es", created_at=clock.now()
            )
            .returning(creditors.c.id)
        ).scalar_one()
        debtor_id = connection.execute(
            insert(debtors)
            .values(
                creditor_id=creditor_id,
                name="María López",
                phone=phone,
                country="MX",
                language="es",
                time_zone="America/Mexico_City",
                time_zone_source="phone",
                time_zone_candidates="",
                created_at=clock.now(),
                updated_at=clock.now(),
            )
            .returning(debtors.c.id)
        ).scalar_one()
    return creditor_id, debtor_id


def _receive(uow_factory, clock, *payloads):
    for payload in payloads:
        store_webhook_delivery(uow_factory, body(payload), clock.now())
    return process_webhook_deliveries(uow_factory, clock, parse_webhook)


def _count(engine, table, *where):
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _events(engine, kind=None):
    query = select(audit_events).order_by(audit_events.c.id)
    if kind is not None:
        query = query.where(audit_events.c.kind == kind.value)
    with engine.connect() as connection:
        return connection.execute(query).mappings().all()


def _send(uow_factory, clock, wamid="wamid.OUT1", **kwargs):
    return record_outbound_message(
        uow_factory, clock, wamid=wamid, phone_number_id="106540352242922", to=PHONE, type="template",
        content={"name": "recordatorio_pago"}, biz_opaque_callback_data="outbox:1", **kwargs,
    )  # fmt: skip


def test_the_body_is_stored_exactly_as_received(engine, uow_factory, clock):
    raw = b'{ "object" : "whatsapp_business_account", "entry": [] }\n'
    delivery_id = store_webhook_delivery(uow_factory, raw, clock.now())
    with engine.connect() as connection:
        row = connection.execute(select(webhook_deliveries)).mappings().one()
    assert (row["id"], bytes(row["body"]), row["processed_at"], row["attempts"]) == (
        delivery_id,
        raw,
        None,
        0,
    )


def test_a_reply_is_stored_linked_to_its_debtor_and_audited_once_even_when_delivered_twice(
    engine, uow_factory, clock
):
    creditor_id, debtor_id = _debtor(engine, clock)
    payload = delivery(messages_change(text_message()))
    report = _receive(uow_factory, clock, payload, payload)
    assert (report.processed, report.messages) == (2, 1)
    assert _receive(uow_factory, clock, payload).messages == 0
    assert _count(engine, whatsapp_messages) == 1
    assert _count(engine, webhook_deliveries, webhook_deliveries.c.processed_at.is_(None)) == 0
    [event] = _events(engine, EventKind.REPLY_RECEIVED)
    assert (event["debtor_id"], event["creditor_id"], event["data"]["wamid"]) == (
        debtor_id,
        creditor_id,
        "wamid.IN1",
    )
    with engine.connect() as connection:
        row = connection.execute(select(whatsapp_messages)).mappings().one()
    assert (row["direction"], row["debtor_id"], row["content"]["text"]) == ("in", debtor_id, "¿Cuánto debo?")


def test_a_phone_shared_by_two_debtors_links_to_neither(engine, uow_factory, clock):
    _debtor(engine, clock, slug="acme")
    _debtor(engine, clock, slug="globex")
    _receive(uow_factory, clock, delivery(messages_change(text_message())))
    [event] = _events(engine, EventKind.REPLY_RECEIVED)
    assert (event["debtor_id"], event["creditor_id"]) == (None, None)


def test_a_contact_with_only_a_user_id_is_stored_without_a_wa_id(engine, uow_factory, clock):
    change = messages_change(
        text_message(sender=None, from_user_id="MX.999"), contacts=[contact(wa_id=None, user_id="MX.999")]
    )
    assert _receive(uow_factory, clock, delivery(change)).messages == 1
    with engine.connect() as connection:
        row = connection.execute(select(whatsapp_messages)).mappings().one()
    assert (row["wa_id"], row["user_id"], row["debtor_id"]) == (None, "MX.999", None)
    assert _events(engine, EventKind.REPLY_RECEIVED)[0]["data"]["user_id"] == "MX.999"


def test_statuses_out_of_order_end_read_and_each_is_audited_once(engine, uow_factory, clock):
    creditor_id, debtor_id = _debtor(engine, clock)
    _send(uow_factory, clock, creditor_id=creditor_id, debtor_id=debtor_id)
    read, delivered, sent = (
        delivery(statuses_change(status("wamid.OUT1", name, ts=1795435200 + i)))
        for i, name in ((3, "read"), (2, "delivered"), (1, "sent"))
    )
    report = _receive(uow_factory, clock, read, delivered, sent, read, delivered)
    assert (report.processed, report.statuses) == (5, 3)
    message = uow_factory().__enter__().messages.get("wamid.OUT1")
    assert message.status is MessageStatus.READ
    assert message.status_at == datetime.fromtimestamp(1795435203, UTC)
    kinds = [e["kind"] for e in _events(engine)]
    assert kinds == ["message.accepted", "message.read", "message.delivered", "message.sent"]
    assert {e["debtor_id"] for e in _events(engine)} == {debtor_id}
    assert _count(engine, whatsapp_statuses) == 3


def test_a_status_batch_in_one_delivery_is_applied_per_message(engine, uow_factory, clock):
    for n in range(3):
        _send(uow_factory, clock, wamid=f"wamid.B{n}")
    batch = [status(f"wamid.B{n}", name) for n in range(3) for name in ("sent", "delivered")]
    batch.append(status("wamid.B0", "read"))
    assert _receive(uow_factory, clock, delivery(statuses_change(*batch))).statuses == 7
    with uow_factory() as uow:
        assert [uow.messages.get(f"wamid.B{n}").status for n in range(3)] == [
            MessageStatus.READ, MessageStatus.DELIVERED, MessageStatus.DELIVERED,
        ]  # fmt: skip


def test_a_status_before_its_message_row_is_applied_when_the_send_is_recorded(engine, uow_factory, clock):
    _receive(uow_factory, clock, delivery(statuses_change(status("wamid.OUT1", "delivered"))))
    _receive(uow_factory, clock, delivery(statuses_change(status("wamid.OUT1", "sent"))))
    message = _send(uow_factory, clock)
    assert (message.status, message.type, message.content) == (
        MessageStatus.DELIVERED, "template", {"name": "recordatorio_pago"},
    )  # fmt: skip
    again = _send(uow_factory, clock)  # the sender retried its bookkeeping
    assert again.status is MessageStatus.DELIVERED
    assert _count(engine, whatsapp_messages) == 1
    [accepted] = _events(engine, EventKind.MESSAGE_ACCEPTED)
    assert accepted["data"]["wamid"] == "wamid.OUT1"


def test_a_recorded_send_is_audited_once_with_its_debtor(engine, uow_factory, clock):
    _debtor(engine, clock)
    _send(uow_factory, clock)
    _send(uow_factory, clock)
    [accepted] = _events(engine, EventKind.MESSAGE_ACCEPTED)
    assert accepted["debtor_id"] is not None
    assert accepted["data"] == {
        "wamid": "wamid.OUT1", "type": "template", "phone_number_id": "106540352242922",
        "biz_opaque_callback_data": "outbox:1",
    }  # fmt: skip


def test_a_failure_keeps_its_code_and_is_audited_with_it(engine, uow_factory, clock):
    _send(uow_factory, clock)
    _receive(
        uow_factory,
        clock,
        delivery(statuses_change(status("wamid.OUT1", "sent"), status("wamid.OUT1", "failed"))),
    )
    with uow_factory() as uow:
        message = uow.messages.get("wamid.OUT1")
        [stored] = [s for s in uow.statuses.for_wamid("wamid.OUT1") if s.status is MessageStatus.FAILED]
    assert (message.status, message.error_code, message.error_title) == (
        MessageStatus.FAILED, 131026, "Message undeliverable",
    )  # fmt: skip
    assert stored.error_details == "Message Undeliverable."
    [event] = _events(engine, EventKind.MESSAGE_FAILED)
    assert event["data"]["error_code"] == 131026


def test_a_template_review_is_audited_once(engine, uow_factory, clock):
    payload = template_delivery(event="APPROVED")
    assert _receive(uow_factory, clock, payload, payload).template_reviews == 1
    [event] = _events(engine, EventKind.TEMPLATE_REVIEWED)
    assert event["data"]["event"] == "APPROVED"
    assert _count(engine, whatsapp_template_events) == 1


def test_a_delivery_that_fails_keeps_its_error_and_is_retried_after_a_backoff(engine, uow_factory, clock):
    bad = store_webhook_delivery(uow_factory, b"{not json", clock.now())
    good = store_webhook_delivery(uow_factory, body(delivery(messages_change(text_message()))), clock.now())
    report = process_webhook_deliveries(uow_factory, clock, parse_webhook)
    assert report.processed == 1
    assert [f.delivery_id for f in report.failures] == [bad]
    with engine.connect() as connection:
        rows = {r["id"]: r for r in connection.execute(select(webhook_deliveries)).mappings()}
    assert rows[good]["processed_at"] is not None
    assert rows[bad]["processed_at"] is None
    assert rows[bad]["last_error"].startswith("MalformedWebhook")
    assert process_webhook_deliveries(uow_factory, clock, parse_webhook).claimed == 0
    clock.set(clock.now() + timedelta(minutes=2))
    assert process_webhook_deliveries(uow_factory, clock, parse_webhook).failures[0].attempts == 2


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(uow_factory, clock):
    store_webhook_delivery(uow_factory, body(delivery(messages_change(text_message()))), clock.now())
    with uow_factory() as uow:
        [first] = uow.deliveries.claim(clock.now(), clock.now() + timedelta(minutes=5), 10)
        assert uow.deliveries.claim(clock.now(), clock.now() + timedelta(minutes=5), 10) == []
        later = clock.now() + timedelta(minutes=6)
        assert [d.id for d in uow.deliveries.claim(later, later + timedelta(minutes=5), 10)] == [first.id]
        assert uow.deliveries.mark_processed(first.id, later)
        assert not uow.deliveries.mark_processed(first.id, later)


@pytest.mark.parametrize("size", [100])
def test_a_batch_of_statuses_takes_a_handful_of_statements(engine, uow_factory, clock, size):
    from sqlalchemy import event

    for n in range(size):
        _send(uow_factory, clock, wamid=f"wamid.N{n}")
    store_webhook_delivery(
        uow_factory,
        body(delivery(statuses_change(*(status(f"wamid.N{n}", "delivered") for n in range(size))))),
        clock.now(),
    )
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert process_webhook_deliveries(uow_factory, clock, parse_webhook).statuses == size
    assert len(statements) <= 15, statements


def test_a_status_is_filed_under_the_creditor_that_sent_it_not_another_creditors_debtor(
    engine, uow_factory, clock
):
    sender, _ = _debtor(engine, clock, phone="+5215599999999", slug="sender")
    _debtor(engine, clock, slug="other")  # the recipient's phone is a debtor of another creditor
    _send(uow_factory, clock, creditor_id=sender)
    _receive(uow_factory, clock, delivery(statuses_change(status("wamid.OUT1", "read"))))
    [read] = _events(engine, EventKind.MESSAGE_READ)
    assert (read["creditor_id"], read["debtor_id"]) == (sender, None)


def test_a_status_before_its_send_never_ties_the_message_to_another_creditors_debtor(
    engine, uow_factory, clock
):
    _debtor(engine, clock, slug="other")  # owns the recipient's phone
    sender, _ = _debtor(engine, clock, phone="+5215599999999", slug="sender")
    _receive(uow_factory, clock, delivery(statuses_change(status("wamid.OUT1", "sent"))))
    message = _send(uow_factory, clock, creditor_id=sender)
    assert (message.creditor_id, message.debtor_id, message.status) == (sender, None, MessageStatus.SENT)


def test_recording_sends_while_statuses_are_applied_never_fails_on_a_busy_database(
    engine, uow_factory, clock
):
    """SQLite fails at once the first write of a transaction that read before another one committed; the
    send is recorded write-first so it waits for the lock instead (PostgreSQL runs it too)."""
    import threading

    stop = threading.Event()

    def apply_statuses() -> None:
        i = 0
        while not stop.is_set():
            _receive(uow_factory, clock, delivery(statuses_change(status(f"wamid.X{i}", "sent"))))
            i += 1

    applier = threading.Thread(target=apply_statuses)
    applier.start()
    failures = []
    try:
        for i in range(40):
            try:
                _send(uow_factory, clock, wamid=f"wamid.O{i}")
            except Exception as exc:  # counted: the assertion below names the first
                failures.append(exc)
    finally:
        stop.set()
        applier.join(timeout=30)
    assert failures == []
    assert len(_events(engine, EventKind.MESSAGE_ACCEPTED)) == 40


def _button(wamid, payload, context=None):
    """A template quick-reply button with this payload, optionally answering the message `context`."""
    extra = {"context": {"from": "15550783881", "id": context}} if context else {}
    message = text_message(wamid, type="button", **extra)
    del message["text"]
    message["button"] = {"payload": payload, "text": payload.title()}
    return message


def _flags(engine, debtor_id):
    columns = (
        debtors.c.opted_out_at,
        debtors.c.opt_out_scope,
        debtors.c.opt_out_source,
        debtors.c.wrong_number_at,
        debtors.c.right_party_confirmed_at,
    )
    with engine.connect() as connection:
        return connection.execute(select(*columns).where(debtors.c.id == debtor_id)).one()


def test_a_stop_is_stored_on_every_debtor_at_the_phone_before_the_reply_and_only_once(
    engine, uow_factory, clock
):
    acme, maria_at_acme = _debtor(engine, clock)
    beta, maria_at_beta = _debtor(engine, clock, slug="beta")
    payload = delivery(messages_change(text_message(text="Dejen de escribirme por favor")))
    report = _receive(uow_factory, clock, payload, payload)
    assert report.debtor_flags == 2
    for debtor_id in (maria_at_acme, maria_at_beta):
        assert _flags(engine, debtor_id)[:3] == (clock.now(), "channel", "whatsapp:wamid.IN1")
    events = _events(engine)
    assert [(e["kind"], e["debtor_id"], e["creditor_id"]) for e in events] == [
        ("opt_out.recorded", maria_at_acme, acme),
        ("opt_out.recorded", maria_at_beta, beta),
        ("reply.received", None, None),
    ]
    assert events[0]["data"]["phrase"] == "dejen de escribirme"
    assert "por favor" not in str(events[0]["data"])


def test_a_wider_opt_out_widens_the_stored_one_and_keeps_its_time(engine, uow_factory, clock):
    _, debtor_id = _debtor(engine, clock)
    _receive(uow_factory, clock, delivery(messages_change(_button("wamid.IN1", "OPT_OUT"))))
    later = text_message("wamid.IN2", text="Borren mis datos", timestamp=str(1795435200 + 3600))
    _receive(uow_factory, clock, delivery(messages_change(later)))
    _receive(uow_factory, clock, delivery(messages_change(text_message("wamid.IN3", text="STOP"))))
    assert _flags(engine, debtor_id)[:3] == (clock.now(), "processing", "whatsapp:wamid.IN2")
    effects = [e["data"]["effect"] for e in _events(engine, EventKind.OPT_OUT_RECORDED)]
    assert effects == ["recorded", "widened", "unchanged"]


def test_a_stop_from_an_unknown_sender_stores_nothing_and_breaks_nothing(engine, uow_factory, clock):
    _, debtor_id = _debtor(engine, clock, phone="+5215500000000")
    report = _receive(uow_factory, clock, delivery(messages_change(text_message(text="STOP"))))
    assert (report.processed, report.failures, report.messages, report.debtor_flags) == (1, (), 1, 0)
    assert _flags(engine, debtor_id) == (None, None, None, None, None)
    assert [e["kind"] for e in _events(engine)] == ["reply.received"]


def test_wrong_number_and_right_party_buttons_set_the_debtor_flags_once(engine, uow_factory, clock):
    _, maria = _debtor(engine, clock)
    beta, other = _debtor(engine, clock, slug="beta")
    _send(uow_factory, clock, creditor_id=beta, debtor_id=other)
    wrong = delivery(messages_change(_button("wamid.IN1", "WRONG_NUMBER", context="wamid.OUT1")))
    _receive(uow_factory, clock, wrong, wrong)
    assert _flags(engine, other)[3] == clock.now()
    assert _flags(engine, maria)[3] is None  # the answer concerned the other creditor's debtor only
    [event] = _events(engine, EventKind.WRONG_NUMBER_RECORDED)
    assert (event["debtor_id"], event["data"]["context_wamid"]) == (other, "wamid.OUT1")
    _send(uow_factory, clock, wamid="wamid.OUT2", creditor_id=beta, debtor_id=other)
    yes = delivery(messages_change(_button("wamid.IN2", "RIGHT_PARTY_YES", context="wamid.OUT2")))
    _receive(uow_factory, clock, yes, yes)
    assert _flags(engine, other)[4] == clock.now()
    assert len(_events(engine, EventKind.RIGHT_PARTY_CONFIRMED)) == 1


def _story(engine, uow_factory, clock, prefix, per_transaction):
    """Three sends; their statuses over five deliveries, out of order, with repeats; applied `per_transaction`
    at a time. What the database holds afterwards, with the prefix taken out of the wamids."""
    for n in range(3):
        _send(uow_factory, clock, wamid=f"{prefix}{n}")
    batches = [
        [("2", "read", 5), ("0", "sent", 1), ("1", "delivered", 3)],
        [("0", "read", 4), ("0", "sent", 1), ("1", "sent", 2)],
        [("3", "sent", 2), ("2", "delivered", 4)],  # wamid 3 was never sent: a placeholder row
        [("0", "delivered", 3), ("1", "failed", 4), ("3", "delivered", 3)],
        [("2", "sent", 1), ("1", "delivered", 5), ("0", "read", 6)],
    ]
    for batch in batches:
        statuses = (status(f"{prefix}{n}", name, ts=1795435200 + ts) for n, name, ts in batch)
        store_webhook_delivery(uow_factory, body(delivery(statuses_change(*statuses))), clock.now())
    report = process_webhook_deliveries(uow_factory, clock, parse_webhook, per_transaction=per_transaction)
    with uow_factory() as uow:
        messages = {
            n: (m.status, m.status_at, m.type, m.occurred_at, m.error_code)
            for n in "0123"
            if (m := uow.messages.get(f"{prefix}{n}")) is not None
        }
        statuses = {
            n: [(s.status, s.timestamp) for s in uow.statuses.for_wamid(f"{prefix}{n}")] for n in "0123"
        }
    events = [
        (e["kind"], e["data"]["wamid"].removeprefix(prefix), e["occurred_at"], e["data"].get("error_code"))
        for e in _events(engine)
        if e["data"]["wamid"].startswith(prefix)
    ]
    return (report.processed, report.statuses, report.split), messages, statuses, events


def test_deliveries_applied_in_one_transaction_end_as_when_applied_one_by_one(engine, uow_factory, clock):
    one_by_one = _story(engine, uow_factory, clock, "wamid.A", per_transaction=1)
    together = _story(engine, uow_factory, clock, "wamid.B", per_transaction=10)
    assert together == one_by_one
    assert one_by_one[0] == (5, 11, 0)
    assert one_by_one[1]["1"][0] is MessageStatus.DELIVERED  # proof of delivery outranks the failure
    placeholder = one_by_one[1]["3"]
    assert placeholder[:3] == (MessageStatus.DELIVERED, datetime.fromtimestamp(1795435203, UTC), "unknown")
    assert placeholder[3] == datetime.fromtimestamp(1795435202, UTC)  # from the first delivery naming it


class _FailingStatuses:
    """The real statuses repository, except that storing a status of the wamid `poison` fails."""

    def __init__(self, inner, poison):
        self._inner, self._poison = inner, poison

    def add_absent(self, statuses, received_at):
        if any(s.wamid == self._poison for s in statuses):
            raise RuntimeError("the database refused a row")
        return self._inner.add_absent(statuses, received_at)

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _PoisonedUnitOfWork:
    """A real unit of work whose statuses repository fails on one wamid."""

    def __init__(self, uow, poison):
        self._uow, self._poison = uow, poison

    def __enter__(self):
        entered = self._uow.__enter__()
        entered.statuses = _FailingStatuses(entered.statuses, self._poison)
        return entered

    def __exit__(self, *exc):
        return self._uow.__exit__(*exc)


def test_a_delivery_that_fails_in_a_shared_transaction_keeps_its_error_and_holds_back_no_other(
    engine, uow_factory, clock
):
    for n in range(3):
        _send(uow_factory, clock, wamid=f"wamid.G{n}")

    def store(*statuses):
        return store_webhook_delivery(uow_factory, body(delivery(statuses_change(*statuses))), clock.now())

    first = store(status("wamid.G0", "delivered"))
    second = store(status("wamid.G1", "delivered"))
    bad = store(status("wamid.G2", "read"), status("wamid.POISON", "sent"))
    last = store(status("wamid.G2", "sent"))
    poisoned = lambda: _PoisonedUnitOfWork(uow_factory(), "wamid.POISON")  # noqa: E731
    report = process_webhook_deliveries(poisoned, clock, parse_webhook, per_transaction=10)
    error = "RuntimeError: the database refused a row"
    assert (report.processed, report.statuses, report.split) == (3, 3, 1)
    assert [(f.delivery_id, f.error) for f in report.failures] == [(bad, error)]
    with engine.connect() as connection:
        rows = {r["id"]: r for r in connection.execute(select(webhook_deliveries)).mappings()}
    assert all(rows[i]["processed_at"] is not None for i in (first, second, last))
    assert (rows[bad]["processed_at"], rows[bad]["last_error"]) == (None, error)
    assert rows[bad]["claimed_until"] > clock.now()  # backing off
    with uow_factory() as uow:
        assert [uow.messages.get(f"wamid.G{n}").status for n in range(3)] == [
            MessageStatus.DELIVERED, MessageStatus.DELIVERED, MessageStatus.SENT,
        ]  # fmt: skip
        assert uow.messages.get("wamid.POISON") is None  # nothing of the failed delivery was kept
        assert [s.status for s in uow.statuses.for_wamid("wamid.G2")] == [MessageStatus.SENT]
    assert _events(engine, EventKind.MESSAGE_READ) == []


def test_every_field_of_a_status_is_stored_as_reported(uow_factory, clock):
    raw = body(
        delivery(
            statuses_change(
                status("wamid.F1", "sent", biz_opaque_callback_data="outbox:7", recipient_user_id="MX.5"),
                status("wamid.F1", "failed", ts=1795435201, errors=[
                    {"code": 131049, "title": "x" * 300, "error_data": {"details": "Held back"}},
                ]),
                status("wamid.F2", "read", recipient=None, recipient_user_id="MX.6"),
            )
        )
    )  # fmt: skip
    store_webhook_delivery(uow_factory, raw, clock.now())
    assert process_webhook_deliveries(uow_factory, clock, parse_webhook).statuses == 3
    with uow_factory() as uow:
        stored = [*uow.statuses.for_wamid("wamid.F1"), *uow.statuses.for_wamid("wamid.F2")]
        placeholder = uow.messages.get("wamid.F1")
    reported = parse_webhook(raw).statuses
    assert stored == [
        replace(s, phone_number_id=None, error_title=(s.error_title or "")[:200] or None) for s in reported
    ]
    assert stored[0].pricing()["category"] == "utility"
    assert stored[1].pricing() is None
    assert (placeholder.status, placeholder.error_code, placeholder.error_title) == (
        MessageStatus.FAILED, 131049, "x" * 200,
    )  # fmt: skip
