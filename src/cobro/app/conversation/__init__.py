"""Debtor conversations: every new inbound message understood and answered in the transaction that records
it (app/record_webhooks calls `answer_inbound`), the answer handed to the outbox.

A turn that fails (a bug, the ledger unreadable) is rolled back to a savepoint and replaced by a hand-off to a
person with the "our system is not available" text, so the message is still recorded and someone answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cobro.app.conversation.bot import ACTOR, Bot
from cobro.app.conversation.flows import respond
from cobro.app.conversation.turn import Turn
from cobro.app.uow import UnitOfWork
from cobro.domain.conversation.intents import LANGUAGES
from cobro.domain.conversation.state import Flow
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.messaging import InboundMessage
from cobro.domain.outbox import PreparedMessage

__all__ = ["ACTOR", "Bot", "answer_inbound"]

# Message types the bot reads; reactions, statuses of calls and the like get no answer.
_ANSWERED_TYPES = frozenset(
    {"text", "button", "interactive", "image", "document", "audio", "video", "sticker"}
)


def answer_inbound(
    uow: UnitOfWork, bot: Bot, messages: Sequence[InboundMessage], opted_out: set[str], now: datetime
) -> list[AuditEvent]:
    """Answers each message (in order; each wamid once) and returns the audit events of the turns.

    `opted_out` holds the wamids whose opt-out was already stored on the debtors (app/inbound_requests.py).
    """
    events: list[AuditEvent] = []
    prepared: list[PreparedMessage] = []
    for message in messages:
        if message.type not in _ANSWERED_TYPES:
            continue
        turn_events, turn_prepared = _answer_one(uow, bot, message, message.wamid in opted_out, now)
        events.extend(turn_events)
        prepared.extend(turn_prepared)
    if prepared:
        uow.outbox.add_prepared(prepared, now)
    return events


def _answer_one(
    uow: UnitOfWork, bot: Bot, message: InboundMessage, opted_out: bool, now: datetime
) -> tuple[list[AuditEvent], list[PreparedMessage]]:
    contact = message.wa_id or f"user:{message.user_id}"
    conversation = uow.conversations.open(
        message.phone_number_id, contact, message.wa_id, message.user_id, now
    )
    at_contact = uow.conversations.debtors_at(message.wa_id, message.user_id)
    turn = Turn(uow, bot, message, conversation, at_contact, now)
    stored = conversation.language or (at_contact[0].language if at_contact else None)
    text = turn.text
    if text:
        turn.reading = bot.reader.read(text, stored)
        turn.language = turn.reading.language
        # A step waiting for a name, a number or a date keeps the conversation's language: "Mónica Ibáñez"
        # typed by an English speaker is no switch to Spanish.
        waiting = conversation.flow is not Flow.NONE
        if stored in LANGUAGES and waiting and (turn.reading.language_fallback or len(text.split()) < 4):
            turn.language = stored
    else:
        turn.language = stored if stored in LANGUAGES else "es"
    turn.update(language=turn.language, last_inbound_at=message.timestamp)
    before = turn.conversation
    try:
        with uow.savepoint():
            respond(turn, opted_out)
            uow.conversations.save(turn.conversation, now)
    except Exception as exc:  # the ledger or a bug: a person answers instead, nothing half-done is kept
        turn = Turn(uow, bot, message, before, at_contact, now, reading=turn.reading, language=turn.language)
        turn.handoff("system_error", f"{type(exc).__name__}", key="system_down")
        uow.conversations.save(turn.conversation, now)
    reading = turn.reading
    data = {
        "language": turn.language,
        "intent": turn.intent or (reading.intent.value if reading else None),
        "confidence": round(reading.confidence, 3) if reading else None,
        "payload": turn.payload,
        "flow": turn.conversation.flow.value,
        "step": turn.conversation.step.value,
        "verified": turn.verified,
    }
    turn.record(EventKind.CONVERSATION_TURN, **data)
    return turn.events, turn.prepared()
