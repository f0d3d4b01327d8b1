"""The audit trail: every fact Cobro records about an account, appended and never changed."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class EventKind(enum.StrEnum):
    """What happened. Later features append their own kinds here."""

    CREDITOR_CREATED = "creditor.created"
    IMPORT_COMPLETED = "import.completed"
    IMPORT_REJECTED = "import.rejected"
    INVOICE_SETTLED = "invoice.settled"
    MESSAGE_PLANNED = "message.planned"
    MESSAGE_ACCEPTED = "message.accepted"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_READ = "message.read"
    MESSAGE_FAILED = "message.failed"
    # The send pipeline's own outcomes (app/send_outbox.py): never sent, or not known to have been.
    MESSAGE_NOT_SENT = "message.not_sent"  # refused for good, or retries ran out: the reason and code
    MESSAGE_CANCELLED = "message.cancelled"  # the gate or the ledger at claim time stopped it
    MESSAGE_DEFERRED = "message.deferred"  # the gate at claim time moved it later the same day
    MESSAGE_UNKNOWN = "message.unknown"  # the request may have reached WhatsApp; waiting for a status
    MESSAGE_NEEDS_REVIEW = "message.needs_review"  # still unknown past the deadline: a person decides
    MESSAGE_RECONCILED = "message.reconciled"  # an unknown outcome settled by a status webhook
    REPLY_RECEIVED = "reply.received"
    DECISION_MADE = "decision.made"
    PAYMENT_RECEIVED = "payment.received"
    CONSENT_RECORDED = "consent.recorded"
    OPT_OUT_RECORDED = "opt_out.recorded"
    TEMPLATE_REVIEWED = "template.reviewed"
    TEMPLATE_SUBMITTED = "template.submitted"
    STRATEGY_CHANGED = "strategy.changed"
    WRONG_NUMBER_RECORDED = "wrong_number.recorded"
    RIGHT_PARTY_CONFIRMED = "right_party.confirmed"
    # Debtor conversations (domain/conversation/, app/converse.py) and payments (app/record_payments.py).
    PAYMENT_REFERENCE_ISSUED = "payment_reference.issued"
    PAYMENT_UNMATCHED = "payment.unmatched"  # a signed payment notice for no reference Cobro issued
    CONVERSATION_TURN = "conversation.turn"  # one inbound message understood and answered: intent, flow, step
    IDENTITY_VERIFIED = "identity.verified"
    IDENTITY_FAILED = "identity.failed"
    IDENTITY_LOCKED = "identity.locked"
    PROMISE_RECORDED = "promise.recorded"
    PROMISE_BROKEN = "promise.broken"
    PLAN_AGREED = "plan.agreed"
    PLAN_BROKEN = "plan.broken"
    DISPUTE_OPENED = "dispute.opened"
    HARDSHIP_RECORDED = "hardship.recorded"
    HANDOFF_OPENED = "handoff.opened"  # the bot handed the conversation to a person (the inbox)
    HANDOFF_CLAIMED = "handoff.claimed"
    HANDOFF_REPLIED = "handoff.replied"
    HANDOFF_RESOLVED = "handoff.resolved"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the append-only audit trail."""

    kind: EventKind
    occurred_at: datetime
    actor: str
    creditor_id: int | None = None
    account_id: int | None = None
    debtor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("audit events need an aware timestamp")
