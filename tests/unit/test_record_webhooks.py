from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.record_webhooks import (
    process_webhook_deliveries,
    record_outbound_message,
    store_webhook_delivery,
)
from cobro.domain.accounts import OptOut
from cobro.domain.events import EventKind
from cobro.domain.messaging import DebtorLink, MessageStatus
from tests.unit.fakes import FakeUnitOfWorkFactory
from tests.webhook_payloads import body, delivery, messages_change, status, statuses_change, text_message


def test_a_reply_from_a_known_debtor_is_stored_linked_and_audited_once(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone["+5215512345678"] = [DebtorLink(7, 3)]
    raw = body(delivery(messages_change(text_message())))
    store_webhook_delivery(uow_factory, raw, clock.now())
    store_webhook_delivery(uow_factory, raw, clock.now())  # Meta retried
    report = process_webhook_deliveries(uow_factory, clock, parse_webhook)
    assert (report.claimed, report.processed, report.messages) == (2, 2, 1)
    [event] = uow_factory.store.events.items
    assert (event.kind, event.debtor_id, event.creditor_id) == (EventKind.REPLY_RECEIVED, 7, 3)
    assert uow_factory.store.messages.get("wamid.IN1").debtor_id == 7


def test_statuses_in_any_order_leave_the_message_read(clock):
    uow_factory = FakeUnitOfWorkFactory()
    record_outbound_message(
        uow_factory, clock, wamid="wamid.O", phone_number_id="1", to="+5215512345678", type="text", content={}
    )
    for name in ("read", "sent", "delivered"):
        store_webhook_delivery(
            uow_factory, body(delivery(statuses_change(status("wamid.O", name)))), clock.now()
        )
    process_webhook_deliveries(uow_factory, clock, parse_webhook)
    assert uow_factory.store.messages.get("wamid.O").status is MessageStatus.READ
    kinds = [e.kind for e in uow_factory.store.events.items]
    assert sorted(kinds) == sorted(
        [
            EventKind.MESSAGE_ACCEPTED,
            EventKind.MESSAGE_READ,
            EventKind.MESSAGE_SENT,
            EventKind.MESSAGE_DELIVERED,
        ]
    )


def test_a_delivery_that_cannot_be_applied_keeps_its_error_and_does_not_block_the_next(clock):
    uow_factory = FakeUnitOfWorkFactory()
    bad = store_webhook_delivery(uow_factory, b"garbage", clock.now())
    store_webhook_delivery(uow_factory, body(delivery(messages_change(text_message()))), clock.now())
    report = process_webhook_deliveries(uow_factory, clock, parse_webhook)
    assert report.processed == 1
    [failure] = report.failures
    assert failure.delivery_id == bad
    assert failure.error.startswith("MalformedWebhook")
    assert process_webhook_deliveries(uow_factory, clock, parse_webhook).claimed == 0  # backing off


PHONE = "+5215512345678"


def _button(wamid, payload, context=None, interactive=False):
    """A template quick-reply button (or an interactive button reply) with this payload."""
    extra = {"context": {"from": "15550783881", "id": context}} if context else {}
    if interactive:
        message = text_message(wamid, type="interactive", **extra)
        message["interactive"] = {"type": "button_reply", "button_reply": {"id": payload, "title": payload}}
    else:
        message = text_message(wamid, type="button", **extra)
        message["button"] = {"payload": payload, "text": payload.title()}
    del message["text"]
    return message


def _receive(uow_factory, clock, *messages):
    store_webhook_delivery(uow_factory, body(delivery(messages_change(*messages))), clock.now())
    return process_webhook_deliveries(uow_factory, clock, parse_webhook)


def test_a_stop_is_stored_on_every_debtor_at_the_phone_before_the_reply_is_recorded(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3), DebtorLink(9, 4)]
    report = _receive(uow_factory, clock, text_message(text="No me escriban más, por favor"))
    flags = uow_factory.store.debtor_flags
    assert set(flags.opt_outs) == {7, 9}
    assert flags.opt_outs[7] == OptOut(clock.now(), "channel", "whatsapp:wamid.IN1")
    kinds = [(e.kind, e.debtor_id) for e in uow_factory.store.events.items]
    assert kinds == [
        (EventKind.OPT_OUT_RECORDED, 7),
        (EventKind.OPT_OUT_RECORDED, 9),
        (EventKind.REPLY_RECEIVED, None),  # two debtors share the phone: the reply is linked to neither
    ]
    opt_out = uow_factory.store.events.items[0]
    assert opt_out.data["phrase"] == "no me escriban mas"
    assert (opt_out.data["scope"], opt_out.data["effect"], opt_out.data["language"]) == (
        "channel",
        "recorded",
        "es",
    )
    assert "por favor" not in str(opt_out.data)  # the phrase that matched, never the whole message
    assert (report.messages, report.debtor_flags) == (1, 2)


def test_a_redelivered_stop_records_nothing_twice(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3)]
    _receive(uow_factory, clock, text_message(text="STOP"))
    _receive(uow_factory, clock, text_message(text="STOP"))
    kinds = [e.kind for e in uow_factory.store.events.items]
    assert kinds == [EventKind.OPT_OUT_RECORDED, EventKind.REPLY_RECEIVED]


def test_a_later_wider_opt_out_widens_the_stored_one(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3)]
    _receive(uow_factory, clock, _button("wamid.IN1", "OPT_OUT"))
    _receive(uow_factory, clock, text_message("wamid.IN2", text="borren mis datos"))
    _receive(uow_factory, clock, text_message("wamid.IN3", text="stop"))
    stored = uow_factory.store.debtor_flags.opt_outs[7]
    assert (stored.scope, stored.source) == ("processing", "whatsapp:wamid.IN2")
    effects = [
        e.data["effect"] for e in uow_factory.store.events.items if e.kind is EventKind.OPT_OUT_RECORDED
    ]
    assert effects == ["recorded", "widened", "unchanged"]


def test_a_stop_from_an_unknown_sender_stores_nothing_and_the_reply_is_still_recorded(clock):
    uow_factory = FakeUnitOfWorkFactory()
    report = _receive(uow_factory, clock, text_message(text="STOP"))
    assert uow_factory.store.debtor_flags.opt_outs == {}
    assert [e.kind for e in uow_factory.store.events.items] == [EventKind.REPLY_RECEIVED]
    assert (report.processed, report.failures, report.debtor_flags) == (1, (), 0)


def test_a_normal_reply_records_no_flag(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3)]
    _receive(uow_factory, clock, text_message(text="No puedo pagar hasta el viernes"))
    assert uow_factory.store.debtor_flags.opt_outs == {}
    assert [e.kind for e in uow_factory.store.events.items] == [EventKind.REPLY_RECEIVED]


def test_wrong_number_marks_the_debtor_the_answered_message_was_for(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3), DebtorLink(9, 4)]
    record_outbound_message(
        uow_factory, clock, wamid="wamid.OUT1", phone_number_id="1", to=PHONE, type="template", content={},
        creditor_id=4, debtor_id=9,
    )  # fmt: skip
    _receive(uow_factory, clock, _button("wamid.IN1", "WRONG_NUMBER", context="wamid.OUT1", interactive=True))
    assert uow_factory.store.debtor_flags.wrong_numbers == {9: clock.now()}
    [event] = [e for e in uow_factory.store.events.items if e.kind is EventKind.WRONG_NUMBER_RECORDED]
    assert (event.debtor_id, event.creditor_id, event.data["context_wamid"]) == (9, 4, "wamid.OUT1")


def test_wrong_number_without_a_context_marks_every_debtor_at_the_phone(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3), DebtorLink(9, 4)]
    _receive(uow_factory, clock, _button("wamid.IN1", "WRONG_NUMBER"))
    assert set(uow_factory.store.debtor_flags.wrong_numbers) == {7, 9}


def test_right_party_is_confirmed_only_for_an_unambiguous_debtor(clock):
    uow_factory = FakeUnitOfWorkFactory()
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3), DebtorLink(9, 4)]
    _receive(uow_factory, clock, _button("wamid.IN1", "RIGHT_PARTY_YES"))
    assert uow_factory.store.debtor_flags.right_parties == {}  # two debtors, no context: nobody confirmed
    uow_factory.store.messages.debtors_by_phone[PHONE] = [DebtorLink(7, 3)]
    _receive(uow_factory, clock, _button("wamid.IN2", "RIGHT_PARTY_YES"))
    assert uow_factory.store.debtor_flags.right_parties == {7: clock.now()}
    kinds = [e.kind for e in uow_factory.store.events.items]
    assert kinds.count(EventKind.RIGHT_PARTY_CONFIRMED) == 1


def _statuses(uow_factory, clock, *statuses):
    return store_webhook_delivery(uow_factory, body(delivery(statuses_change(*statuses))), clock.now())


def test_deliveries_are_applied_several_to_a_transaction(clock):
    uow_factory = FakeUnitOfWorkFactory()
    for n in range(5):
        _statuses(uow_factory, clock, status(f"wamid.T{n}", "sent"))
    stored = uow_factory.store.commits
    report = process_webhook_deliveries(uow_factory, clock, parse_webhook, per_transaction=2)
    assert (report.claimed, report.processed, report.statuses, report.split) == (5, 5, 5, 0)
    assert uow_factory.store.commits - stored == 1 + 3  # the claim, then 2 + 2 + 1 deliveries


def test_a_status_repeated_in_a_later_delivery_of_the_same_transaction_is_audited_once_in_delivery_order(
    clock,
):
    uow_factory = FakeUnitOfWorkFactory()
    _statuses(uow_factory, clock, status("wamid.O", "read"))
    _statuses(uow_factory, clock, status("wamid.O", "sent"), status("wamid.O", "read"))
    _statuses(uow_factory, clock, status("wamid.O", "delivered"), status("wamid.O", "sent"))
    report = process_webhook_deliveries(uow_factory, clock, parse_webhook, per_transaction=10)
    assert report.statuses == 3
    assert [e.kind for e in uow_factory.store.events.items] == [
        EventKind.MESSAGE_READ, EventKind.MESSAGE_SENT, EventKind.MESSAGE_DELIVERED,
    ]  # fmt: skip
    assert uow_factory.store.messages.get("wamid.O").status is MessageStatus.READ


def test_a_delivery_another_worker_finished_meanwhile_is_skipped_and_the_rest_applied(clock):
    uow_factory = FakeUnitOfWorkFactory()
    done_elsewhere = _statuses(uow_factory, clock, status("wamid.X", "sent"))
    _statuses(uow_factory, clock, status("wamid.Y", "sent"))

    def parse_while_another_worker_finishes(raw):
        uow_factory.store.deliveries.mark_processed(done_elsewhere, clock.now())
        return parse_webhook(raw)

    report = process_webhook_deliveries(uow_factory, clock, parse_while_another_worker_finishes)
    assert (report.claimed, report.processed, report.statuses) == (2, 1, 1)
    assert uow_factory.store.messages.get("wamid.X") is None
    assert [e.data["wamid"] for e in uow_factory.store.events.items] == ["wamid.Y"]
