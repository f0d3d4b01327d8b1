from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.record_webhooks import (
    process_webhook_deliveries,
    record_outbound_message,
    store_webhook_delivery,
)
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
