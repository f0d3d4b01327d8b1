"""Where one conversation stands: the flow and step it is in, what it has gathered, and who the person proved
to be. One per business number and contact (a wa_id, or a business-scoped user id)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


class Flow(enum.StrEnum):
    """The dialogue a conversation is in; NONE waits for the next request."""

    NONE = "none"
    VERIFY = "verify"  # proving identity before anything about a debt is shown
    PAY = "pay"
    PLAN = "plan"
    PROMISE = "promise"  # a promise to pay or a request for more time: both capture a date
    PAID = "paid"  # "I already paid": date and amount, or a receipt
    HANDED_OVER = "handed_over"  # a person has it; the bot stays quiet until the item is resolved
    SILENCED = "silenced"  # a wrong number: never written to again


class Step(enum.StrEnum):
    """What the flow waits for."""

    NONE = "none"
    ACCOUNT = "account"  # the account or customer number
    SECOND_FACTOR = "second_factor"
    CHOOSE = "choose"  # a plan option or a counter-proposal
    CONFIRM = "confirm"  # yes / change
    DATE = "date"
    DETAILS = "details"  # date and amount of a payment, or a receipt


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation's stored state."""

    id: int
    phone_number_id: str
    contact: str  # the wa_id, or "user:<user_id>"
    wa_id: str | None
    user_id: str | None
    language: str | None = None
    creditor_id: int | None = None
    debtor_id: int | None = None
    verified_debtor_id: int | None = None
    verified_account_id: int | None = None
    verified_until: datetime | None = None
    failures: int = 0  # failed proofs since the count last started (a lock, or a day without failures)
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    flow: Flow = Flow.NONE
    step: Step = Step.NONE
    slots: dict[str, Any] = field(default_factory=dict)
    tries: int = 0  # unresolved or unclear turns in a row
    expires_at: datetime | None = None
    last_inbound_at: datetime | None = None

    @property
    def address(self) -> str:
        """Where replies go: the wa_id, or the user id when WhatsApp gave no phone."""
        return self.wa_id or self.user_id or self.contact

    def is_verified(self, now: datetime) -> bool:
        """True while the person's proof of identity holds."""
        return (
            self.verified_account_id is not None
            and self.verified_until is not None
            and now < self.verified_until
        )

    def is_locked(self, now: datetime) -> bool:
        """True while verification is locked after too many failures."""
        return self.locked_until is not None and now < self.locked_until

    def is_expired(self, now: datetime) -> bool:
        """True when the step it waited on has timed out."""
        return self.flow not in (Flow.NONE, Flow.HANDED_OVER, Flow.SILENCED) and (
            self.expires_at is not None and now >= self.expires_at
        )

    def at(
        self, flow: Flow, step: Step = Step.NONE, expires_at: datetime | None = None, **slots: Any
    ) -> Conversation:
        """The conversation moved to `flow`/`step`, with these slots (replacing the old ones)."""
        return replace(self, flow=flow, step=step, slots=dict(slots), expires_at=expires_at)

    def idle(self) -> Conversation:
        """Back to waiting for the next request."""
        return replace(self, flow=Flow.NONE, step=Step.NONE, slots={}, expires_at=None, tries=0)
