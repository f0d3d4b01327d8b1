"""Use cases for WhatsApp webhooks: store each delivery raw, apply stored deliveries once, record sends.

Storing is one short transaction so the endpoint answers Meta fast; applying happens afterwards, several
deliveries per transaction (their statuses in one set-based pass: thousands arrive each second), and is
idempotent by the wamid and (wamid, status) keys: a delivery applied twice, or Meta posting the same events
twice, changes nothing the second time. Applying deliveries together gives the result of applying them one
after the other, events included and in the same order; when a transaction fails, its deliveries are
applied again one per transaction, so only the one that cannot be applied keeps an error.

An inbound message is first read for what the person asks of Cobro (an opt-out, "wrong number", "yes, it is
me": app/inbound_requests.py), and that is stored on the debtors in the same transaction, before the message
is recorded as a reply: nothing that handles replies can see the message without the opt-out. Only messages
this delivery inserted are acted on, so a redelivery records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cobro.app.inbound_requests import inbound_request, record_inbound_requests
from cobro.app.ports import WebhookParser
from cobro.app.sync_templates import apply_template_reviews
from cobro.app.uow import UnitOfWork, UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.errors import InvalidInput
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.messaging import (
    STATUS_ONLY_TYPE,
    DebtorLink,
    Direction,
    InboundMessage,
    MessageStatus,
    StatusUpdate,
    TemplateStatusUpdate,
    WebhookContents,
    WebhookDelivery,
    WhatsAppMessage,
    next_status,
)
from cobro.domain.outbox import OutboxRecord

ACTOR = "whatsapp"
# Answers new inbound messages inside the transaction that records them (the bot: app/conversation); gets the
# wamids whose opt-out was just stored, returns the turns' audit events.
InboundAnswerer = Callable[[UnitOfWork, Sequence[InboundMessage], set[str], datetime], list[AuditEvent]]
_STATUS_EVENTS = {
    MessageStatus.SENT: EventKind.MESSAGE_SENT,
    MessageStatus.DELIVERED: EventKind.MESSAGE_DELIVERED,
    MessageStatus.READ: EventKind.MESSAGE_READ,
    MessageStatus.FAILED: EventKind.MESSAGE_FAILED,
}
_MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """A delivery that could not be applied this time; it stays for a retry."""

    delivery_id: int
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class WebhookProcessing:
    """What one processing run did."""

    claimed: int = 0
    processed: int = 0
    messages: int = 0
    statuses: int = 0
    template_reviews: int = 0
    failures: tuple[DeliveryFailure, ...] = field(default=())
    debtor_flags: int = 0  # opt-outs, wrong numbers and right-party answers recorded, per debtor
    split: int = 0  # transactions of several deliveries that failed and were applied again one by one


@dataclass(frozen=True, slots=True)
class _Applied:
    deliveries: int = 0
    messages: int = 0
    statuses: int = 0
    template_reviews: int = 0
    debtor_flags: int = 0

    def __add__(self, other: _Applied) -> _Applied:
        return _Applied(
            self.deliveries + other.deliveries,
            self.messages + other.messages,
            self.statuses + other.statuses,
            self.template_reviews + other.template_reviews,
            self.debtor_flags + other.debtor_flags,
        )


def store_webhook_delivery(uow_factory: UnitOfWorkFactory, raw_body: bytes, received_at: datetime) -> int:
    """Stores a delivery's body exactly as received, in one short transaction; returns its id."""
    with uow_factory() as uow:
        delivery_id = uow.deliveries.add(raw_body, received_at)
        uow.commit()
    return delivery_id


def process_webhook_deliveries(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    parse: WebhookParser,
    *,
    limit: int = 100,
    delivery_ids: Sequence[int] | None = None,
    lease: timedelta = timedelta(minutes=5),
    per_transaction: int = 25,
    answer: InboundAnswerer | None = None,
) -> WebhookProcessing:
    """Claims up to `limit` stored deliveries (only `delivery_ids` when given) and applies them, up to
    `per_transaction` in one transaction; a delivery that fails keeps its error and is retried later with
    backoff, without holding back the others."""
    now = clock.now()
    with uow_factory() as uow:
        claimed = uow.deliveries.claim(now, now + lease, limit, delivery_ids)
        uow.commit()
    failures: list[DeliveryFailure] = []
    readable: list[tuple[WebhookDelivery, WebhookContents]] = []
    for delivery in claimed:
        try:
            readable.append((delivery, parse(delivery.body)))
        except Exception as exc:  # kept on the delivery and reported, like any failure to apply it
            failures.append(_record_failure(uow_factory, clock, delivery, exc))
    total = _Applied()
    split = 0
    size = max(per_transaction, 1)
    for group in (readable[start : start + size] for start in range(0, len(readable), size)):
        try:
            total += _apply_deliveries(uow_factory, clock, group, answer)
            continue
        except Exception as exc:  # nothing of the group was kept (one transaction); see which one failed
            if len(group) == 1:
                failures.append(_record_failure(uow_factory, clock, group[0][0], exc))
                continue
        split += 1
        for item in group:  # one per transaction, so the others are applied and only the culprit waits
            try:
                total += _apply_deliveries(uow_factory, clock, [item], answer)
            except Exception as exc:  # any failure is kept on the delivery and reported; the loop goes on
                failures.append(_record_failure(uow_factory, clock, item[0], exc))
    return WebhookProcessing(
        len(claimed),
        total.deliveries,
        total.messages,
        total.statuses,
        total.template_reviews,
        tuple(failures),
        debtor_flags=total.debtor_flags,
        split=split,
    )


def record_outbound_message(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    wamid: str,
    phone_number_id: str,
    to: str,
    type: str,
    content: dict[str, Any],
    biz_opaque_callback_data: str | None = None,
    creditor_id: int | None = None,
    debtor_id: int | None = None,
) -> WhatsAppMessage:
    """Records a message the Cloud API accepted; statuses that arrived before it stay applied."""
    if debtor_id is not None and creditor_id is None:
        raise InvalidInput("a debtor_id needs its creditor_id (debtors belong to one creditor)")
    now = clock.now()
    digits = to.removeprefix("+")
    wa_id, user_id = (digits, None) if digits.isdigit() else (None, to)  # `to` may be a business-scoped id
    with uow_factory() as uow:
        message = WhatsAppMessage(
            wamid=wamid,
            direction=Direction.OUTBOUND,
            phone_number_id=phone_number_id,
            type=type,
            occurred_at=now,
            content=content,
            wa_id=wa_id,
            user_id=user_id,
            biz_opaque_callback_data=biz_opaque_callback_data,
            status=MessageStatus.ACCEPTED,
            status_at=now,
            debtor_id=debtor_id,
            creditor_id=creditor_id,
        )
        # Write before any read: on SQLite a transaction that read first fails its first write at once
        # (SQLITE_BUSY_SNAPSHOT) when a webhook batch committed in between; writing first takes the lock.
        recorded = uow.messages.record_outbound(message, now)
        if debtor_id is None and wa_id is not None:
            # The sender did not say whose debt this is: the phone's only debtor, if of the same creditor.
            link = uow.messages.debtor_links([wa_id]).get(wa_id)
            if link is not None and creditor_id in (None, link.creditor_id):
                uow.messages.link_debtor(wamid, link)
        stored = uow.messages.get(wamid)
        assert stored is not None
        if recorded:
            data = {"wamid": wamid, "type": type, "phone_number_id": phone_number_id}
            if biz_opaque_callback_data is not None:
                data["biz_opaque_callback_data"] = biz_opaque_callback_data
            uow.events.append(
                _event(EventKind.MESSAGE_ACCEPTED, now, stored.debtor_id, stored.creditor_id, data)
            )
        uow.commit()
    assert stored is not None
    return stored


def _record_failure(
    uow_factory: UnitOfWorkFactory, clock: Clock, delivery: WebhookDelivery, exc: Exception
) -> DeliveryFailure:
    """Keeps the error on the delivery, claimable again after a backoff."""
    error = _describe(exc)
    with uow_factory() as uow:
        uow.deliveries.record_failure(delivery.id, error, clock.now() + _backoff(delivery.attempts))
        uow.commit()
    return DeliveryFailure(delivery.id, delivery.attempts, error)


def _apply_deliveries(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    group: Sequence[tuple[WebhookDelivery, WebhookContents]],
    answer: InboundAnswerer | None = None,
) -> _Applied:
    """Marks the deliveries processed and applies them, all in one transaction; a delivery another worker
    had already finished is skipped (nothing of it is applied twice)."""
    with uow_factory() as uow:
        # Marking first takes the write lock before any read: on SQLite a transaction that read first and
        # then writes fails at once (SQLITE_BUSY_SNAPSHOT) if another one wrote in between; on PostgreSQL it
        # makes a second worker on the same delivery wait here and then find it done. In id order (claims
        # are), so two workers holding overlapping deliveries lock them in the same order.
        at = clock.now()
        fresh = [contents for delivery, contents in group if uow.deliveries.mark_processed(delivery.id, at)]
        applied = _apply(uow, fresh, clock.now(), answer) if fresh else _Applied()
        uow.commit()
    return applied


def _apply(
    uow: UnitOfWork,
    deliveries: Sequence[WebhookContents],
    now: datetime,
    answer: InboundAnswerer | None = None,
) -> _Applied:
    """Applies deliveries as if one after the other: messages and template reviews delivery by delivery,
    the statuses of all of them in one set-based pass, and the events in delivery order."""
    events: list[list[AuditEvent]] = [[] for _ in deliveries]
    replies = flags = 0
    for found, contents in zip(events, deliveries, strict=True):
        if not contents.messages:
            continue
        # Only inbound messages are linked by phone. A status belongs to whoever sent its message: it is
        # linked through the stored message row alone, never by its recipient's phone, which other creditors
        # may share.
        wa_ids = {m.wa_id for m in contents.messages if m.wa_id}
        debtors = uow.messages.debtor_links(wa_ids) if wa_ids else {}
        reply_events, flagged = _apply_messages(uow, contents.messages, debtors, now, answer)
        found.extend(reply_events)
        replies += sum(1 for e in reply_events if e.kind is EventKind.REPLY_RECEIVED)
        flags += flagged
    new_statuses = _apply_statuses(uow, [c.statuses for c in deliveries], now, events)
    reviews = 0
    for found, contents in zip(events, deliveries, strict=True):
        if not contents.template_updates:
            continue
        added = uow.template_reviews.add_absent(contents.template_updates, now)
        apply_template_reviews(uow, added, now)
        found.extend(_template_event(r, now) for r in added)
        reviews += len(added)
    uow.events.append_many([event for found in events for event in found])
    return _Applied(len(deliveries), replies, new_statuses, reviews, flags)


def _apply_messages(
    uow: UnitOfWork,
    messages: Sequence[InboundMessage],
    debtors: dict[str, DebtorLink],
    now: datetime,
    answer: InboundAnswerer | None = None,
) -> tuple[list[AuditEvent], int]:
    """Records new inbound messages; what a message asks for (opt-out, wrong number, right party) is
    stored first and its events come before the reply's."""
    if not messages:
        return [], 0
    # Read before anything is done with the message; acted on only when this delivery inserted it.
    requests = {m.wamid: inbound_request(m) for m in messages}
    records = [_inbound_record(m, debtors.get(m.wa_id) if m.wa_id else None) for m in messages]
    new = uow.messages.add_absent(records, now)
    asking: dict[str, InboundMessage] = {}
    for m in messages:  # in order, each wamid once
        if m.wamid in new and requests[m.wamid] is not None:
            asking.setdefault(m.wamid, m)
    flag_events = record_inbound_requests(uow, list(asking.values()), requests, now) if asking else {}
    flags = sum(len(found) for found in flag_events.values())
    events: list[AuditEvent] = []
    answering: list[InboundMessage] = []
    for record, message in zip(records, messages, strict=True):
        if record.wamid not in new:
            continue
        answering.append(message)
        new.discard(record.wamid)  # a wamid twice in one delivery is one reply
        events.extend(flag_events.get(record.wamid, ()))
        data: dict[str, Any] = {"wamid": message.wamid, "type": message.type}
        for key in ("reply_id", "payload", "context_wamid"):
            if getattr(message, key) is not None:
                data[key] = getattr(message, key)
        if message.wa_id is None:
            data["user_id"] = message.user_id
        events.append(
            _event(EventKind.REPLY_RECEIVED, message.timestamp, record.debtor_id, record.creditor_id, data)
        )
    if answer is not None and answering:
        opted_out = {w for w, r in requests.items() if r is not None and not isinstance(r, str)}
        events.extend(answer(uow, answering, opted_out, now))
    return events, flags


def _apply_statuses(
    uow: UnitOfWork,
    batches: Sequence[Sequence[StatusUpdate]],
    now: datetime,
    events: Sequence[list[AuditEvent]],
) -> int:
    """Stores the statuses of several deliveries not stored yet and moves their messages forward; adds the
    events of the new ones to their delivery's `events`; returns how many were new."""
    reported = [s for batch in batches for s in batch]
    new = uow.statuses.add_absent(reported, now) if reported else []
    if not new:
        return 0
    # A new status belongs to the first delivery that carried it, as when they are applied one by one (the
    # statuses are stored in key order, and so are one delivery's events).
    if len(batches) == 1:
        by_delivery: list[list[StatusUpdate]] = [new]
    else:
        first: dict[tuple[str, MessageStatus], int] = {}
        for index, batch in enumerate(batches):
            for status in batch:
                first.setdefault((status.wamid, status.status), index)
        by_delivery = [[] for _ in batches]
        for status in new:
            by_delivery[first[(status.wamid, status.status)]].append(status)
    # Per message, the causally latest new status; the database moves a message forward only, so one move to
    # the latest of all ends where the moves delivery by delivery end. A wamid with no row yet gets its
    # placeholder from the first delivery naming it, as it would one by one.
    latest: dict[str, StatusUpdate] = {}
    placeholders: dict[str, StatusUpdate] = {}
    for statuses in by_delivery:
        for wamid, status in _latest_by_wamid(statuses).items():
            placeholders.setdefault(wamid, status)
            current = latest.get(wamid)
            if current is None or status.status.rank > current.status.rank:
                latest[wamid] = status
    uow.messages.add_absent([_status_only_record(s) for s in placeholders.values()], now)
    uow.messages.advance(list(latest.values()))
    # An outbox row whose outcome was unknown (or whose worker died before recording it) is settled by the
    # status that echoes its key: the same new statuses, the same transaction (decision 0032).
    settled = uow.outbox.reconcile(new, now)
    links = uow.messages.links(latest)
    for found, statuses in zip(events, by_delivery, strict=True):
        found.extend(_status_event(s, links.get(s.wamid)) for s in statuses if s.status in _STATUS_EVENTS)
    if settled:
        events[0].extend(_reconciled_event(record, now) for record in settled)
    return len(new)


def _reconciled_event(record: OutboxRecord, now: datetime) -> AuditEvent:
    data: dict[str, Any] = {
        "outbox_id": record.id,
        "idempotency_key": record.idempotency_key,
        "state": record.state.value,
        "wamid": record.wamid,
    }
    if record.reason:
        data["reason"] = record.reason
    return AuditEvent(
        kind=EventKind.MESSAGE_RECONCILED,
        occurred_at=now,
        actor="whatsapp",
        creditor_id=record.creditor_id,
        account_id=record.account_id,
        debtor_id=record.debtor_id,
        data=data,
    )


def _latest_by_wamid(statuses: Sequence[StatusUpdate]) -> dict[str, StatusUpdate]:
    """Per wamid, the causally latest of these statuses (the first of equal rank)."""
    latest: dict[str, StatusUpdate] = {}
    for status in statuses:
        current = latest.get(status.wamid)
        if current is None or next_status(current.status, status.status) is not current.status:
            latest[status.wamid] = status
    return latest


def _status_event(status: StatusUpdate, link: DebtorLink | None) -> AuditEvent:
    data: dict[str, Any] = {"wamid": status.wamid, "status": status.status.value}
    optional = {
        "error_code": status.error_code,
        "error_title": status.error_title,
        "pricing_category": status.pricing_category,
        "biz_opaque_callback_data": status.biz_opaque_callback_data,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return _event(
        _STATUS_EVENTS[status.status],
        status.timestamp,
        link.debtor_id if link else None,
        link.creditor_id if link else None,
        data,
    )


def _inbound_record(message: InboundMessage, link: DebtorLink | None) -> WhatsAppMessage:
    return WhatsAppMessage(
        wamid=message.wamid,
        direction=Direction.INBOUND,
        phone_number_id=message.phone_number_id,
        type=message.type,
        occurred_at=message.timestamp,
        content=message.content(),
        wa_id=message.wa_id,
        user_id=message.user_id,
        parent_user_id=message.parent_user_id,
        context_wamid=message.context_wamid,
        debtor_id=link.debtor_id if link else None,
        creditor_id=link.creditor_id if link else None,
    )


def _status_only_record(status: StatusUpdate) -> WhatsAppMessage:
    """The row a status creates for a wamid not stored yet; recording the send fills it in (and says whose
    message it is: the placeholder names no debtor or creditor)."""
    return WhatsAppMessage(
        wamid=status.wamid,
        direction=Direction.OUTBOUND,
        phone_number_id=status.phone_number_id or "",
        type=STATUS_ONLY_TYPE,
        occurred_at=status.timestamp,
        wa_id=status.recipient_id,
        user_id=status.recipient_user_id,
        biz_opaque_callback_data=status.biz_opaque_callback_data,
        status=MessageStatus.ACCEPTED,
        status_at=status.timestamp,
    )


def _template_event(review: TemplateStatusUpdate, now: datetime) -> AuditEvent:
    data = {
        "template_id": review.template_id,
        "name": review.name,
        "language": review.language,
        "event": review.event,
        "waba_id": review.waba_id,
    }
    if review.reason:
        data["reason"] = review.reason
    return _event(EventKind.TEMPLATE_REVIEWED, review.timestamp or now, None, None, data)


def _event(
    kind: EventKind, at: datetime, debtor_id: int | None, creditor_id: int | None, data: dict[str, Any]
) -> AuditEvent:
    return AuditEvent(
        kind=kind, occurred_at=at, actor=ACTOR, creditor_id=creditor_id, debtor_id=debtor_id, data=data
    )


def _backoff(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most an hour."""
    return min(timedelta(seconds=30) * (1 << min(max(attempts - 1, 0), 7)), _MAX_BACKOFF)


def _describe(exc: Exception) -> str:
    # The first line only: drivers append the SQL and its parameters (personal data) on the lines after.
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:500]
