"""The outbox: every message Cobro means to send, as a row whose state says whether it went out.

The database, not the broker, is the truth (docs/decisions/0032). A row moves

    planned -> queued -> sending -> sent
                      \\-> planned (retry later: a refusal that proves nothing was sent, a pair limit, the gate)
                      \\-> failed (a definite refusal: the reason and Meta's code are kept)
                      \\-> unknown (the request may have reached Meta) -> sent (a status webhook echoed the
                                   row's key) | review (no evidence by the deadline: a person decides)
                      \\-> cancelled (the gate, re-checked at claim time, blocks it for good)

and never back from `sending` to `queued` unless the worker that claimed it proves it never tried (a
graceful shutdown releasing claims it had not used). Standard library only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cobro.domain.contact import MessageKind
from cobro.domain.send_failures import FailureAdvice, meaning_of


class OutboxState(enum.StrEnum):
    """Where one outbox row stands."""

    PLANNED = "planned"  # decided; due at `due_at`
    QUEUED = "queued"  # a send task carrying its id is on the broker
    SENDING = "sending"  # claimed by one worker (lease): the request may leave at any moment
    SENT = "sent"  # Meta accepted it: the wamid is recorded
    FAILED = "failed"  # Meta refused it for good, or the retries ran out: `reason` and `error_code` say why
    UNKNOWN = "unknown"  # the request may have reached Meta; waiting for a status webhook to tell
    REVIEW = "review"  # still unknown past the deadline: a person decides, never an automatic resend
    CANCELLED = "cancelled"  # the gate or the ledger at claim time said it must not go


# States a row can still leave on its own (the dispatcher and the sweeps look only at these).
OPEN_STATES = frozenset({OutboxState.PLANNED, OutboxState.QUEUED, OutboxState.SENDING, OutboxState.UNKNOWN})
# States in which a status webhook carrying the row's key settles it.
RECONCILABLE_STATES = frozenset({OutboxState.SENDING, OutboxState.UNKNOWN, OutboxState.REVIEW})
# A send in this state never left and no longer counts as contact (caps, ladder timing). A failed send
# counts in the history with status "failed", which the caps already leave out.
WITHDRAWN_STATES = frozenset({OutboxState.CANCELLED})

# `biz_opaque_callback_data` of every outbox send: this prefix and the row's idempotency key. Meta echoes it
# in the message's status webhooks, which is how an unknown outcome is reconciled.
CALLBACK_PREFIX = "cobro:"


def callback_data_for(idempotency_key: str) -> str:
    """The `biz_opaque_callback_data` an outbox row is sent with (at most 512 characters, Meta's limit)."""
    return f"{CALLBACK_PREFIX}{idempotency_key}"[:512]


def idempotency_key_from_callback(data: str | None) -> str | None:
    """The outbox key a status webhook's callback data names, None for anything Cobro's outbox did not send."""
    if data is None or not data.startswith(CALLBACK_PREFIX):
        return None
    return data[len(CALLBACK_PREFIX) :] or None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A row a worker claimed (`sending`): what to send and to whom, by ids and names."""

    id: int
    idempotency_key: str
    creditor_id: int | None  # None only for a bot reply to a number no creditor knows
    debtor_id: int | None  # None only for a bot reply to a number that is no debtor's
    account_id: int | None
    kind: MessageKind
    stage: str | None
    template: str | None
    language: str | None
    phone_number_id: str | None  # the sending number; None: the configured default
    attempts: int  # including the one just claimed
    to_address: str | None = None  # a bot reply's recipient (wa_id or user id); None: the debtor's phone
    conversation_id: int | None = None
    content: dict[str, Any] | None = None  # a prepared message (bot replies); None: render from the ledger

    @property
    def callback_data(self) -> str:
        """The `biz_opaque_callback_data` this row is sent with."""
        return callback_data_for(self.idempotency_key)


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A row as `cobro outbox list` and the metrics see it."""

    id: int
    idempotency_key: str
    creditor_id: int | None
    debtor_id: int | None
    account_id: int | None
    kind: str
    template: str | None
    state: OutboxState
    due_at: datetime
    attempts: int
    updated_at: datetime
    wamid: str | None = None
    error_code: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedMessage:
    """A message written whole when it was decided (a bot reply, an agent's answer, a receipt): its content is
    stored on the outbox row and sent unchanged after the claim-time check.

    `content` is one of {"type": "text", "text"}, {"type": "buttons", "text", "buttons": [{"id", "title"}]},
    {"type": "list", "text", "button", "rows": [{"id", "title", "description"?}]} or {"type": "template",
    "template", "language", "parameters": [{"kind", "text", "currency_code"?, "amount_1000"?}]}; every
    value already filled from the ledger."""

    idempotency_key: str
    kind: MessageKind
    content: dict[str, Any]
    due_at: datetime
    window_until: datetime | None  # free-form content only until then (24 h after the debtor's last message)
    mentions_debt: bool
    creditor_id: int | None = None
    debtor_id: int | None = None
    account_id: int | None = None
    conversation_id: int | None = None
    phone_number_id: str | None = None
    to_address: str | None = None  # the wa_id or user id written to; None: the debtor's phone

    @property
    def template(self) -> str | None:
        """The template's name for a template message."""
        return str(self.content["template"]) if self.content.get("type") == "template" else None

    @property
    def language(self) -> str | None:
        """The template's language for a template message."""
        return str(self.content["language"]) if self.content.get("type") == "template" else None

    def stored_content(self) -> dict[str, Any]:
        """The content as the row keeps it, with the facts the claim-time check needs."""
        extra: dict[str, Any] = {"mentions_debt": self.mentions_debt}
        if self.window_until is not None:
            extra["window_until"] = self.window_until.isoformat()
        return {**self.content, **extra}


@dataclass(frozen=True, slots=True)
class Accepted:
    """Meta took the message: here is its id."""

    wamid: str


@dataclass(frozen=True, slots=True)
class Refused:
    """Meta (or the transport, before a byte left) proved the message was not sent; `advice` says what next."""

    advice: FailureAdvice
    message: str
    code: int | None = None
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class Unknown:
    """The request may have reached Meta and nothing says whether it was taken: never resent blindly."""

    reason: str


SendOutcome = Accepted | Refused | Unknown


@dataclass(frozen=True, slots=True)
class OutboxChange:
    """The new state of one claimed row, applied only if that worker still holds the claim."""

    id: int
    state: OutboxState
    due_at: datetime | None = None  # for PLANNED: when to try again
    wamid: str | None = None  # for SENT
    error_code: int | None = None
    reason: str | None = None
    payload: dict[str, Any] | None = None  # what was sent (template, language, parameter texts)
    # For PLANNED: the claim's attempt does not count (a throughput or pair limit, a paused sender, the gate
    # deferring it): only failures of the message itself use up its attempts.
    refund_attempt: bool = False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a row waits after a refusal that proved nothing was sent, and how often it may try."""

    max_attempts: int = 6
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    # After 130429 (the number's throughput): the whole sender slows down; the row itself waits this long.
    throughput_delay: timedelta = timedelta(seconds=5)
    # After 131056 (pair rate limit): that debtor only waits.
    pair_delay: timedelta = timedelta(minutes=10)
    # After a slow-down that lasts (131048 spam rate limit, 4 and 80007 app/account call limits).
    slow_down_delay: timedelta = timedelta(minutes=15)
    # After a refusal that stops every send of the number (token, account, permission, maintenance): the
    # row waits for a person to fix the sender, and is not failed for it.
    sender_stopped_delay: timedelta = timedelta(minutes=10)

    def backoff(self, attempt: int, jitter: float) -> timedelta:
        """Exponential backoff for the `attempt`-th failure (1-based) with jitter in [0, 1): between half
        and all of base * 2^(attempt-1), capped, so a fleet of workers does not retry in lockstep."""
        exponent = min(max(attempt - 1, 0), 30)
        full = min(self.base_delay * (1 << exponent), self.max_delay)
        return full * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0))


def resolve_outcome(
    item: OutboxItem, outcome: SendOutcome, now: datetime, policy: RetryPolicy, jitter: float
) -> OutboxChange:
    """The row's next state after one send attempt; `jitter` in [0, 1) comes from the caller's RNG."""
    if isinstance(outcome, Accepted):
        return OutboxChange(item.id, OutboxState.SENT, wamid=outcome.wamid)
    if isinstance(outcome, Unknown):
        return OutboxChange(item.id, OutboxState.UNKNOWN, reason=outcome.reason)
    code = outcome.code
    described = _describe(outcome)
    advice = outcome.advice
    if advice is FailureAdvice.BACK_OFF:
        # A throughput refusal is the limiter's problem, not the message's: it does not use up an attempt.
        delay = policy.throughput_delay if code in (130429, None) else policy.slow_down_delay
        due = now + delay * (0.5 + 0.5 * jitter)
        return OutboxChange(
            item.id, OutboxState.PLANNED, due_at=due, error_code=code, reason=described, refund_attempt=True
        )
    if advice is FailureAdvice.DEFER_RECIPIENT:
        due = now + policy.pair_delay * (0.75 + 0.5 * jitter)
        return OutboxChange(
            item.id, OutboxState.PLANNED, due_at=due, error_code=code, reason=described, refund_attempt=True
        )
    if advice is FailureAdvice.STOP_SENDER:
        # Every send of the number fails until a person fixes the token or the account: failing the rows
        # would empty the outbox at full speed. They wait; the sender pauses (send_batch) and alerts.
        due = now + policy.sender_stopped_delay * (0.75 + 0.5 * jitter)
        return OutboxChange(
            item.id, OutboxState.PLANNED, due_at=due, error_code=code, reason=described, refund_attempt=True
        )
    if advice is FailureAdvice.RETRY:
        if item.attempts >= policy.max_attempts:
            reason = f"gave up after {item.attempts} attempts; last: {described}"
            return OutboxChange(item.id, OutboxState.FAILED, error_code=code, reason=reason)
        due = now + policy.backoff(item.attempts, jitter)
        return OutboxChange(item.id, OutboxState.PLANNED, due_at=due, error_code=code, reason=described)
    # Permanent for this message: never retried, recorded with Meta's code and meaning.
    return OutboxChange(item.id, OutboxState.FAILED, error_code=code, reason=described)


def _describe(outcome: Refused) -> str:
    meaning = meaning_of(outcome.code) if outcome.code is not None else None
    head = f"{outcome.code}" if outcome.code is not None else "no code"
    if outcome.http_status is not None:
        head += f", HTTP {outcome.http_status}"
    text = (
        outcome.message if meaning is None or meaning in outcome.message else f"{meaning}: {outcome.message}"
    )
    return f"[{head}] {text} -> {outcome.advice.value}"
