"""The port of the agent inbox: what the bot hands to a person, claimed, answered and resolved."""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ItemStatus(enum.StrEnum):
    """Where an inbox item stands: waiting for a person, held by one, or done."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One hand-off from the bot: the conversation, whose it is, why, and who works it."""

    id: int
    conversation_id: int
    creditor_id: int | None
    debtor_id: int | None
    account_id: int | None
    reason: str
    detail: str | None
    status: ItemStatus
    claimed_by: str | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """An item as the inbox lists it, with the names a person knows it by (unmasked: the caller masks)."""

    item: InboxItem
    creditor_slug: str | None
    debtor_name: str | None
    account_reference: str | None
    contact: str  # the conversation's wa_id, or "user:<user id>"


@dataclass(frozen=True, slots=True)
class TranscriptMessage:
    """One WhatsApp message of a conversation, either way."""

    wamid: str
    direction: str  # "in" or "out"
    occurred_at: datetime
    type: str
    content: dict[str, Any] = field(default_factory=dict)
    status: str | None = None


@dataclass(frozen=True, slots=True)
class AgentReply:
    """An agent's answer on an item as the outbox holds it."""

    outbox_id: int
    idempotency_key: str
    state: str
    template: str | None
    created_at: datetime
    sent_at: datetime | None = None
    reason: str | None = None  # why it was cancelled, failed or deferred


class InboxRepository(Protocol):
    """The inbox items (adapters/db/inbox.py)."""

    def open(
        self,
        *,
        conversation_id: int,
        creditor_id: int | None,
        debtor_id: int | None,
        account_id: int | None,
        reason: str,
        detail: str | None,
        now: datetime,
    ) -> tuple[int, bool]:
        """Opens an item for the conversation, or returns the one still open or claimed (a conversation has at
        most one at a time); returns its id and whether it is new."""
        ...

    def entry(self, item_id: int) -> InboxEntry | None:
        """One item with its names, or None."""
        ...

    def hold(self, item_id: int, now: datetime) -> InboxItem | None:
        """The item, locked until the transaction ends (written first: `updated_at` set to `now`), so two
        commands on one item run one after the other; None when there is no such item."""
        ...

    def entries(
        self, statuses: Collection[ItemStatus], creditor_id: int | None, limit: int
    ) -> list[InboxEntry]:
        """Items in these statuses (of one creditor when given), oldest first."""
        ...

    def set_claim(self, item_id: int, agent: str, now: datetime) -> None:
        """Marks the item claimed by `agent` at `now`."""
        ...

    def set_resolved(self, item_id: int, agent: str, resolution: str, now: datetime) -> None:
        """Marks the item resolved at `now` with the resolution note; `claimed_by` keeps who resolved it."""
        ...

    def hold_conversation(self, conversation_id: int) -> None:
        """Locks the conversation's row until the transaction ends (as the bot does for each turn)."""
        ...

    def transcript(self, conversation_id: int, limit: int) -> list[TranscriptMessage]:
        """The conversation's latest `limit` messages either way (its contact on its business number), oldest
        first."""
        ...

    def last_inbound_at(self, conversation_id: int) -> datetime | None:
        """When the conversation's contact last wrote to its business number, from the stored messages."""
        ...

    def replies(self, item_id: int) -> list[AgentReply]:
        """The agents' answers on the item (outbox rows keyed `agent:<item id>:...`), oldest first."""
        ...
