"""Sends the outbox: due rows go to the broker as batches of ids, a worker claims a batch, re-checks the gate,
sends each message at its rate-limit slot and records what WhatsApp answered, never sending a row twice.

The three steps, each safe to repeat (docs/idempotency.md, decision 0032):
1. `dispatch_due` moves due `planned` rows to `queued` and publishes one send task per batch of ids. A task
   the broker lost leaves its rows `queued`; `sweep` publishes them again after `requeue_after`.
2. `send_batch` (the task) waits for its slots on the number's shared limiter, claims the rows still
   `queued` (a redelivered task or a second worker finds none), re-checks the compliance gate and the
   ledger with fresh data, sends, and settles each row in one transaction: `sent` with the wamid, back to
   `planned` after a refusal that proves nothing left, `failed` for good, or `unknown`.
3. `sweep` turns expired claims into `unknown` and hands `unknown` rows with no status webhook by the
   deadline to a person (`review`). Status webhooks settle `unknown` rows as they arrive
   (record_webhooks -> OutboxRepository.reconcile).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cobro.app.plan_contacts import HISTORY_DAYS
from cobro.app.ports import (
    MessageSender,
    Outgoing,
    OutgoingReply,
    OutgoingTemplate,
    SendQueue,
    SendRateLimiter,
    SendRecipient,
)
from cobro.app.template_parameters import TemplateParameter, TemplateValues, render_parameters
from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.compliance import ComplianceGate
from cobro.domain.contact import (
    AccountContext,
    ContactHistory,
    MessageKind,
    OutboundIntent,
    Verdict,
)
from cobro.domain.errors import InvalidInput
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.messaging import Direction, MessageStatus, WhatsAppMessage
from cobro.domain.outbox import (
    Accepted,
    OutboxChange,
    OutboxItem,
    OutboxRecord,
    OutboxState,
    Refused,
    RetryPolicy,
    SendOutcome,
    Unknown,
    resolve_outcome,
)
from cobro.domain.planning import local_date_of
from cobro.domain.send_failures import FailureAdvice
from cobro.domain.template_catalogue import ParameterKind, TemplateEntry

ACTOR = "send-pipeline"


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """What the sender needs besides the ledger: the gate, the templates, the default number and timings."""

    gate: ComplianceGate
    catalogue: Mapping[tuple[str, str], TemplateEntry]  # (name, language) -> entry
    default_phone_number_id: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease: timedelta = timedelta(minutes=2)
    unknown_deadline: timedelta = timedelta(minutes=15)
    requeue_after: timedelta = timedelta(minutes=2)
    batch_size: int = 100
    # After a 130429 the whole number pauses this long, for every worker (the limiter is shared).
    throughput_pause: float = 1.0
    # Longest wait for send slots once rows are claimed; past it they go back to `planned` (well under the
    # lease, so a paused number never turns claimed rows into unknowns).
    max_slot_wait: float = 30.0


@dataclass(slots=True)
class BatchResult:
    """What one send task did, for metrics and logs."""

    phone_number_id: str
    claimed: int = 0
    states: Counter[str] = field(default_factory=Counter)  # outbox state -> rows moved there
    error_codes: Counter[str] = field(default_factory=Counter)  # Meta code (or "unknown") -> count
    limiter_wait: float = 0.0
    throughput_limited: int = 0  # 130429 (and other slow-down) answers
    sender_stopped: int = 0  # answers that stop the whole number: token, account, permission


@dataclass(slots=True)
class SweepResult:
    """What one sweep did."""

    republished: int = 0
    expired: list[OutboxRecord] = field(default_factory=list)
    handed_over: list[OutboxRecord] = field(default_factory=list)


@dataclass
class Sender:
    """One worker's view of the send pipeline: the ports it uses and its identity in claims."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    sender: MessageSender
    limiter: SendRateLimiter
    policy: SendPolicy
    worker: str
    rng: random.Random = field(default_factory=random.Random)
    # Called between the claim and the rate-limit wait before the first send, and between the sends and the
    # record: crash tests stop a worker exactly there.
    before_send: Callable[[Sequence[OutboxItem]], None] | None = None
    before_record: Callable[[Sequence[OutboxItem]], None] | None = None


def dispatch_due(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    queue: SendQueue,
    *,
    limit: int = 10_000,
    batch_size: int = 100,
) -> int:
    """Moves due `planned` rows to `queued` and publishes their send tasks; returns the rows queued.

    The rows are committed as `queued` before the tasks are published: if publishing fails they stay
    `queued` and the sweep publishes them again, so a row is never lost between the database and the broker.
    """
    with uow_factory() as uow:
        batches = uow.outbox.queue_due(clock.now(), limit, batch_size)
        uow.commit()
    if batches:
        queue.publish(batches)
    return sum(len(b.ids) for b in batches)


def sweep(uow_factory: UnitOfWorkFactory, clock: Clock, queue: SendQueue, policy: SendPolicy) -> SweepResult:
    """Republishes rows whose task was lost, turns expired claims into `unknown` and hands `unknown` rows past
    the deadline to a person, each with an audit event."""
    now = clock.now()
    result = SweepResult()
    with uow_factory() as uow:
        stale = uow.outbox.requeue_stale(now - policy.requeue_after, now, 10_000, policy.batch_size)
        result.expired = uow.outbox.expire_leases(now, 10_000)
        result.handed_over = uow.outbox.hand_over_unknown(now - policy.unknown_deadline, now, 10_000)
        events = [_row_event(EventKind.MESSAGE_UNKNOWN, r, r.reason, now) for r in result.expired]
        events += [_row_event(EventKind.MESSAGE_NEEDS_REVIEW, r, r.reason, now) for r in result.handed_over]
        if events:
            uow.events.append_many(events)
        uow.commit()
    if stale:
        queue.publish(stale)
        result.republished = sum(len(b.ids) for b in stale)
    return result


async def send_batch(sender: Sender, phone_number_id: str | None, ids: Sequence[int]) -> BatchResult:
    """The send task: claims the rows of `ids` still queued, re-checks each, sends it at its slot, records it."""
    number = phone_number_id or sender.policy.default_phone_number_id
    result = BatchResult(number)
    if not ids:
        return result
    claimed, ready, blocked = await asyncio.to_thread(_claim_and_check, sender, list(ids), number)
    result.claimed = len(claimed)
    result.states.update(c.state.value for c in blocked)
    if not ready:
        return result
    handed: set[int] = set()
    try:
        if sender.before_send is not None:
            sender.before_send(claimed)
        # Slots for exactly the messages that go, taken after the claim: each is sent at its own slot, so
        # batches whose claims took different times never overlap on the wire.
        loop = asyncio.get_running_loop()
        wait = await sender.limiter.reserve(number, len(ready))
        result.limiter_wait = wait
        if wait > sender.policy.max_slot_wait:
            # The number is paused (a stopped sender, a throughput penalty) or far behind: waiting here would
            # outlive the claim's lease. The rows go back to wait, due when their slots come, untouched.
            await asyncio.to_thread(_put_back, sender, [item for item, _ in ready], wait)
            result.states[OutboxState.PLANNED.value] += len(ready)
            return result
        first = loop.time() + wait
        interval = 1.0 / sender.limiter.rate(number)

        async def send_at(index: int, item: OutboxItem, message: Outgoing) -> SendOutcome:
            delay = first + index * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            handed.add(item.id)
            if isinstance(message, OutgoingReply):
                return await sender.sender.send_reply(message)
            return await sender.sender.send_template(message)

        answers = await asyncio.gather(
            *(send_at(i, item, m) for i, (item, m) in enumerate(ready)), return_exceptions=True
        )
    except (asyncio.CancelledError, Exception):
        # Stopped (graceful shutdown past its deadline, a cancelled task, the limiter unreachable) before some
        # messages were handed to the client: those never left, so they go back to the queue instead of
        # waiting as unknown. (A killed process runs nothing: its rows expire into `unknown`.)
        unsent = [item.id for item, _ in ready if item.id not in handed]
        if unsent:
            release_unsent(sender, unsent)
        raise
    outcomes: list[SendOutcome] = [
        Unknown(f"the send raised {type(a).__name__}: {str(a)[:200]}") if isinstance(a, BaseException) else a
        for a in answers
    ]
    now = sender.clock.now()
    changes: list[OutboxChange] = []
    for (item, message), outcome in zip(ready, outcomes, strict=True):
        change = resolve_outcome(item, outcome, now, sender.policy.retry, sender.rng.random())
        if change.state is OutboxState.SENT:
            change = OutboxChange(item.id, OutboxState.SENT, wamid=change.wamid, payload=payload_of(message))
        changes.append(change)
        if isinstance(outcome, Refused):
            result.error_codes[str(outcome.code) if outcome.code is not None else "none"] += 1
            if outcome.advice is FailureAdvice.BACK_OFF:
                result.throughput_limited += 1
            elif outcome.advice is FailureAdvice.STOP_SENDER:
                result.sender_stopped += 1
        elif isinstance(outcome, Unknown):
            result.error_codes["unknown"] += 1
    if result.sender_stopped:
        # Every worker stops sending on this number for a while; the rows wait, a person is alerted by the
        # logs and the metrics (cobro_send_errors_total by code).
        await sender.limiter.penalise(number, sender.policy.retry.sender_stopped_delay.total_seconds())
    elif result.throughput_limited:
        await sender.limiter.penalise(number, sender.policy.throughput_pause)
    if sender.before_record is not None:
        sender.before_record(claimed)
    await asyncio.to_thread(_record, sender, ready, outcomes, changes, number)
    result.states.update(c.state.value for c in changes)
    return result


def _put_back(sender: Sender, items: Sequence[OutboxItem], wait: float) -> None:
    now = sender.clock.now()
    due = now + timedelta(seconds=wait)
    reason = f"the sending number is paused or busy for {wait:.0f} s: waits for its turn"
    changes = [
        OutboxChange(i.id, OutboxState.PLANNED, due_at=due, reason=reason, refund_attempt=True) for i in items
    ]
    with sender.uow_factory() as uow:
        uow.outbox.settle(changes, sender.worker, now)
        uow.commit()


def release_unsent(sender: Sender, ids: Sequence[int]) -> int:
    """Puts rows this worker claimed but never sent back to `queued` (graceful shutdown)."""
    with sender.uow_factory() as uow:
        released = uow.outbox.release(ids, sender.worker, sender.clock.now())
        uow.commit()
    return released


def payload_of(message: Outgoing) -> dict[str, Any]:
    """What was sent, as the outbox row and the message row keep it: template, language, parameter texts;
    or a prepared message's content."""
    if isinstance(message, OutgoingReply):
        return {"to": message.to, **message.content, "biz_opaque_callback_data": message.callback_data}
    return {
        "to": message.to,
        "template": message.entry.name,
        "language": message.entry.language,
        "parameters": [p.text for p in message.parameters],
        "biz_opaque_callback_data": message.callback_data,
    }


# --- inside the claim transaction ------------------------------------------------------------------------


def _claim_and_check(
    sender: Sender, ids: list[int], number: str
) -> tuple[list[OutboxItem], list[tuple[OutboxItem, Outgoing]], list[OutboxChange]]:
    now = sender.clock.now()
    with sender.uow_factory() as uow:
        claimed = uow.outbox.claim(ids, sender.worker, now, now + sender.policy.lease)
        if not claimed:
            uow.commit()
            return [], [], []
        since = now - timedelta(days=HISTORY_DAYS)
        debtor_ids = {item.debtor_id for item in claimed if item.debtor_id is not None}
        recipients = uow.send_context.recipients(debtor_ids, since) if debtor_ids else {}
        ready: list[tuple[OutboxItem, Outgoing]] = []
        blocked: list[OutboxChange] = []
        for item in claimed:
            try:
                recipient = recipients.get(item.debtor_id) if item.debtor_id is not None else None
                checked = recheck(item, recipient, now, sender.policy, number)
            except Exception as exc:  # one bad row must not hold its whole batch back forever
                checked = OutboxChange(
                    item.id,
                    OutboxState.FAILED,
                    reason=f"the claim-time check raised {type(exc).__name__}: {str(exc)[:200]}",
                )
            if isinstance(checked, OutboxChange):
                blocked.append(checked)
            else:
                ready.append((item, checked))
        if blocked:
            uow.outbox.settle(blocked, sender.worker, now)
            by_id = {item.id: item for item in claimed}
            uow.events.append_many([_blocked_event(by_id[c.id], c, now) for c in blocked])
        uow.commit()
    return claimed, ready, blocked


def recheck(
    item: OutboxItem, recipient: SendRecipient | None, now: datetime, policy: SendPolicy, number: str
) -> Outgoing | OutboxChange:
    """The message to send now, or why it must not go: the gate and the ledger, read fresh at claim time.

    A message planned at 20:55 is not sent at 21:01: the gate's answer now decides. A deferral within the
    debtor's same local day keeps the row (due at the next allowed instant); one past that day cancels it, and
    the planner decides again on the next day (a reminder belongs to the day it was planned for).
    """
    if item.content is not None:
        return recheck_prepared(item, recipient, now, policy, number)
    if recipient is None:
        return _cancel(item, "the debtor no longer exists")
    account = _account(recipient.accounts, item.account_id)
    if account is None:
        return _cancel(item, "the account no longer exists")
    if item.kind is MessageKind.COLLECTION and account.outstanding.amount <= 0:
        return _cancel(item, "nothing is owed on the account any more")
    debtor = recipient.debtor
    intent = OutboundIntent(
        kind=item.kind,
        to_phone=debtor.phone,
        mentions_debt=item.kind is MessageKind.COLLECTION,
        stage=item.stage,
        template=item.template,
        language=item.language,
    )
    history = _without(recipient.history, item.id)
    decision = policy.gate.check(debtor, account, intent, now, history)
    if decision.verdict is Verdict.BLOCK:
        return _cancel(item, "the gate blocks it now: " + _reasons(decision.findings), decision.rule_ids)
    if decision.verdict is Verdict.DEFER:
        later = decision.not_before
        if later is None or local_date_of(debtor, later) != local_date_of(debtor, now):
            return _cancel(
                item, "the gate defers it past the day it was planned for: " + _reasons(decision.findings)
            )
        reason = "the gate defers it at claim time: " + _reasons(decision.findings)
        return OutboxChange(item.id, OutboxState.PLANNED, due_at=later, reason=reason, refund_attempt=True)
    entry = policy.catalogue.get((item.template or "", item.language or ""))
    if entry is None:
        return OutboxChange(
            item.id,
            OutboxState.FAILED,
            reason=f"template {item.template} ({item.language}) is not in the catalogue",
        )
    today = local_date_of(debtor, now)
    due = account.oldest_due_date
    values = TemplateValues(
        debtor_name=recipient.debtor_name,
        creditor_name=recipient.creditor_name,
        language=debtor.language,
        country=debtor.country,
        amount=account.outstanding,
        invoice_reference=account.invoice_reference,
        due_date=due,
        payment_link=account.payment_link,
        days_overdue=max((today - due).days, 0) if due is not None else None,
    )
    try:
        parameters = tuple(render_parameters(entry, values))
    except InvalidInput as exc:
        return OutboxChange(item.id, OutboxState.FAILED, reason=f"cannot fill the template: {exc}")
    return OutgoingTemplate(
        to=debtor.phone,
        phone_number_id=number,
        entry=entry,
        parameters=parameters,
        callback_data=item.callback_data,
    )


def recheck_prepared(
    item: OutboxItem, recipient: SendRecipient | None, now: datetime, policy: SendPolicy, number: str
) -> Outgoing | OutboxChange:
    """A prepared message (a bot reply, an agent's answer, a receipt) as stored, or why it must not go now.

    Free-form content goes only inside the 24-hour window it was written in. To a debtor, the gate decides
    with fresh data (an opt-out or a wrong number since, an unapproved template, contact hours for a template
    outside the window); to a number that is no debtor's, only content that mentions no debt was ever written
    (the bot's pre-verification texts), and the window alone decides.
    """
    content = dict(item.content or {})
    mentions_debt = bool(content.pop("mentions_debt", True))
    window_text = content.pop("window_until", None)
    window_until = datetime.fromisoformat(window_text) if isinstance(window_text, str) else None
    is_template = content.get("type") == "template"
    if not is_template and (window_until is None or now >= window_until):
        return _cancel(
            item, "the 24-hour window closed before the reply could be sent", ("whatsapp.service_window",)
        )
    to = item.to_address or (recipient.debtor.phone if recipient is not None else "")
    if item.debtor_id is not None:
        if recipient is None:
            return _cancel(item, "the debtor no longer exists")
        debtor = recipient.debtor
        account = _account(recipient.accounts, item.account_id) or (
            recipient.accounts[0] if recipient.accounts else None
        )
        if account is None:
            return _cancel(item, "the debtor has no account any more")
        intent = OutboundIntent(
            kind=item.kind,
            to_phone=to if to.startswith("+") or not to.isdigit() else "+" + to,
            is_template=is_template,
            template_approved=(item.template or "", item.language or "") in policy.catalogue
            or not is_template,
            mentions_debt=mentions_debt,
            template=item.template,
            language=item.language,
        )
        history = _without(recipient.history, item.id)
        if window_until is not None:
            # The message it answers opened the window, even when it is not linked to this debtor (a phone
            # several debtors share, a username, proof given from another number).
            opened = window_until - timedelta(hours=24)
            if history.last_inbound_at is None or history.last_inbound_at < opened:
                history = replace(history, last_inbound_at=opened)
        decision = policy.gate.check(debtor, account, intent, now, history)
        if decision.verdict is Verdict.BLOCK:
            return _cancel(item, "the gate blocks it now: " + _reasons(decision.findings), decision.rule_ids)
        if decision.verdict is Verdict.DEFER:
            reason = "the gate defers it at claim time: " + _reasons(decision.findings)
            later = decision.not_before or now
            return OutboxChange(
                item.id, OutboxState.PLANNED, due_at=later, reason=reason, refund_attempt=True
            )
    elif item.to_address is None:
        return _cancel(item, "a reply with no debtor needs the address it answers")
    elif mentions_debt:
        return _cancel(item, "a message about a debt is never sent to a number that is no debtor's")
    if not is_template:
        return OutgoingReply(to=to, phone_number_id=number, content=content, callback_data=item.callback_data)
    entry = policy.catalogue.get((item.template or "", item.language or ""))
    if entry is None:
        return OutboxChange(
            item.id,
            OutboxState.FAILED,
            reason=f"template {item.template} ({item.language}) is not in the catalogue",
        )
    parameters = tuple(
        TemplateParameter(
            ParameterKind(p["kind"]), str(p["text"]), p.get("currency_code"), p.get("amount_1000")
        )
        for p in content.get("parameters", [])
    )
    return OutgoingTemplate(
        to=to, phone_number_id=number, entry=entry, parameters=parameters, callback_data=item.callback_data
    )


def _record(
    sender: Sender,
    ready: list[tuple[OutboxItem, Outgoing]],
    outcomes: Sequence[SendOutcome],
    changes: list[OutboxChange],
    number: str,
) -> None:
    now = sender.clock.now()
    messages: list[WhatsAppMessage] = []
    events: list[AuditEvent] = []
    for (item, message), outcome, change in zip(ready, outcomes, changes, strict=True):
        if isinstance(outcome, Accepted):
            address = message.to.removeprefix("+")
            messages.append(
                WhatsAppMessage(
                    wamid=outcome.wamid,
                    direction=Direction.OUTBOUND,
                    phone_number_id=number,
                    type=_message_type(message),
                    occurred_at=now,
                    content=payload_of(message),
                    wa_id=address if address.isdigit() else None,
                    user_id=None if address.isdigit() else message.to,
                    biz_opaque_callback_data=message.callback_data,
                    status=MessageStatus.ACCEPTED,
                    status_at=now,
                    debtor_id=item.debtor_id,
                    creditor_id=item.creditor_id,
                )
            )
        elif change.state in (OutboxState.FAILED, OutboxState.UNKNOWN):
            events.append(_blocked_event(item, change, now))
    with sender.uow_factory() as uow:
        # Write first (SQLite: see record_outbound_message), the message rows before the outbox states.
        recorded = uow.messages.record_outbound_many(messages, now) if messages else set()
        uow.outbox.settle(changes, sender.worker, now)
        by_wamid = {m.wamid: m for m in messages}
        events += [
            AuditEvent(
                kind=EventKind.MESSAGE_ACCEPTED,
                occurred_at=now,
                actor=ACTOR,
                creditor_id=m.creditor_id,
                debtor_id=m.debtor_id,
                data={
                    "wamid": m.wamid,
                    "type": m.type,
                    "phone_number_id": number,
                    "biz_opaque_callback_data": m.biz_opaque_callback_data,
                },
            )
            for wamid, m in by_wamid.items()
            if wamid in recorded
        ]
        if events:
            uow.events.append_many(events)
        uow.commit()


def _message_type(message: Outgoing) -> str:
    if isinstance(message, OutgoingTemplate):
        return "template"
    return "text" if message.content.get("type") == "text" else "interactive"


def _account(accounts: Sequence[AccountContext], account_id: int | None) -> AccountContext | None:
    for account in accounts:
        if account.id == account_id:
            return account
    return None


def _without(history: ContactHistory, outbox_id: int) -> ContactHistory:
    """The history without the row being sent: it must not count against its own caps."""
    outbound = tuple(r for r in history.outbound if r.outbox_id != outbox_id)
    if len(outbound) == len(history.outbound):
        return history
    return ContactHistory(
        outbound=outbound, last_inbound_at=history.last_inbound_at, replied_since=history.replied_since
    )


def _cancel(item: OutboxItem, reason: str, rules: Sequence[str] = ()) -> OutboxChange:
    text = f"{reason} [{', '.join(rules)}]" if rules else reason
    return OutboxChange(item.id, OutboxState.CANCELLED, reason=text)


def _reasons(findings: Sequence[Any]) -> str:
    return " ".join(f.reason for f in findings) or "no reason given"


def _blocked_event(item: OutboxItem, change: OutboxChange, now: datetime) -> AuditEvent:
    kind = {
        OutboxState.CANCELLED: EventKind.MESSAGE_CANCELLED,
        OutboxState.FAILED: EventKind.MESSAGE_NOT_SENT,
        OutboxState.UNKNOWN: EventKind.MESSAGE_UNKNOWN,
        OutboxState.PLANNED: EventKind.MESSAGE_DEFERRED,
    }.get(change.state, EventKind.MESSAGE_NOT_SENT)
    extra: dict[str, Any] = {}
    if change.error_code is not None:
        extra["error_code"] = change.error_code
    if change.due_at is not None:
        extra["due_at"] = change.due_at.isoformat()
    return _row_event(kind, item, change.reason, now, **extra)


def _row_event(
    kind: EventKind, row: OutboxItem | OutboxRecord, reason: str | None, now: datetime, **extra: Any
) -> AuditEvent:
    """An audit event about one outbox row: its id, key and the reason it moved, on its debtor's trail."""
    return AuditEvent(
        kind=kind,
        occurred_at=now,
        actor=ACTOR,
        creditor_id=row.creditor_id,
        account_id=row.account_id,
        debtor_id=row.debtor_id,
        data={"outbox_id": row.id, "idempotency_key": row.idempotency_key, "reason": reason, **extra},
    )


def catalogue_index(entries: Sequence[TemplateEntry]) -> dict[tuple[str, str], TemplateEntry]:
    """The catalogue by (name, template language), as outbox rows name their template."""
    return {(entry.name, entry.language): entry for entry in entries}
