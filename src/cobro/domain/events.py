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
