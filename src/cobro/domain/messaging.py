"""WhatsApp messages as Cobro records them: what came in, what went out, and where each one stands.

Statuses arrive at least once and in any order (Meta's status webhook reference: a `read` may come with no
`delivered` before it), so the status of a message is a join over every status ever seen for it, never the
last one received.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class MessageStatus(enum.StrEnum):
    """Where an outbound message stands, as the Cloud API reports it."""

    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """The causal rank: a message only ever moves to a status of higher rank."""
        return _RANK[self]


# The causal order, a total order so that merging is order-independent:
#   accepted < sent < failed < delivered < read.
# read implies delivered implies sent. A failure is final against accepted and sent, but evidence that
# the message reached the device (delivered or read) outranks a failure report, whichever arrived first:
# Meta and BSPs note that `failed` and `delivered` can both be reported for one message (several devices),
# and the stored status must not depend on which webhook happened to land last.
_RANK = {
    MessageStatus.ACCEPTED: 0,
    MessageStatus.SENT: 1,
    MessageStatus.FAILED: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}


def next_status(current: MessageStatus, incoming: MessageStatus) -> MessageStatus:
    """The status after `incoming` is seen on a message at `current`: the higher causal rank wins."""
    return incoming if incoming.rank > current.rank else current


def merged_status(
    statuses: Iterable[MessageStatus], start: MessageStatus = MessageStatus.ACCEPTED
) -> MessageStatus:
    """The status after seeing every one of `statuses`, in any order, from `start`."""
    current = start
    for status in statuses:
        current = next_status(current, status)
    return current


class Direction(enum.StrEnum):
    """Which way a message travelled."""

    INBOUND = "in"
    OUTBOUND = "out"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a WhatsApp user sent to one of Cobro's business numbers."""

    wamid: str
    phone_number_id: str
    type: str
    timestamp: datetime
    wa_id: str | None = None  # absent for a user who hides the phone number behind a username
    user_id: str | None = None  # business-scoped user id (BSUID)
    parent_user_id: str | None = None
    profile_name: str | None = None
    username: str | None = None
    text: str | None = None
    reply_id: str | None = None  # interactive button_reply / list_reply id
    reply_title: str | None = None
    payload: str | None = None  # template quick-reply button payload
    reaction_emoji: str | None = None
    reacted_wamid: str | None = None
    media_id: str | None = None
    caption: str | None = None
    context_wamid: str | None = None  # the message this one answers

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise ValueError("inbound messages need an aware timestamp")

    def content(self) -> dict[str, Any]:
        """What the message says, without the fields it does not have."""
        names = (
            "text", "reply_id", "reply_title", "payload", "reaction_emoji", "reacted_wamid", "media_id",
            "caption", "profile_name", "username",
        )  # fmt: skip
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One status report about an outbound message."""

    wamid: str
    status: MessageStatus
    timestamp: datetime
    phone_number_id: str | None = None
    recipient_id: str | None = None  # the recipient's wa_id, absent when sent to a user id only
    recipient_user_id: str | None = None
    biz_opaque_callback_data: str | None = None
    error_code: int | None = None
    error_title: str | None = None
    error_details: str | None = None
    pricing_category: str | None = None
    pricing_billable: bool | None = None
    pricing_model: str | None = None

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise ValueError("status updates need an aware timestamp")

    def pricing(self) -> dict[str, Any] | None:
        """The pricing Meta reported, or None when it reported none."""
        found = {
            "category": self.pricing_category,
            "billable": self.pricing_billable,
            "pricing_model": self.pricing_model,
        }
        return {k: v for k, v in found.items() if v is not None} or None


@dataclass(frozen=True, slots=True)
class TemplateStatusUpdate:
    """Meta's review result for a message template (APPROVED, REJECTED, PAUSED, DISABLED, ...)."""

    event: str
    template_id: str
    name: str
    language: str
    waba_id: str
    timestamp: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookContents:
    """Everything one webhook delivery reported, across all its entries and changes."""

    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    template_updates: tuple[TemplateStatusUpdate, ...] = ()
    ignored: tuple[str, ...] = field(default=())  # what was not understood, e.g. "field:account_update"


@dataclass(frozen=True, slots=True)
class DebtorLink:
    """The debtor and creditor a message belongs to; debtor_id is None when a send named only its creditor."""

    debtor_id: int | None
    creditor_id: int


# The type of an outbound message known so far only from its statuses (sent by another process, or its
# send not recorded yet); recording the send fills the row in.
STATUS_ONLY_TYPE = "unknown"


@dataclass(frozen=True, slots=True)
class WhatsAppMessage:
    """A message as stored: one per wamid, inbound or outbound, with its current status."""

    wamid: str
    direction: Direction
    phone_number_id: str
    type: str
    occurred_at: datetime
    content: dict[str, Any] = field(default_factory=dict)
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    context_wamid: str | None = None
    biz_opaque_callback_data: str | None = None
    status: MessageStatus | None = None
    status_at: datetime | None = None
    error_code: int | None = None
    error_title: str | None = None
    debtor_id: int | None = None
    creditor_id: int | None = None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook POST as stored: the raw body and how often applying it was tried."""

    id: int
    body: bytes
    received_at: datetime
    attempts: int
