"""Ports: what the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from cobro.domain.accounts import Creditor
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem
from cobro.domain.messaging import (
    DebtorLink,
    StatusUpdate,
    TemplateStatusUpdate,
    WebhookContents,
    WebhookDelivery,
    WhatsAppMessage,
)


class CreditorRepository(Protocol):
    """Stores and finds creditors (tenants)."""

    def add(self, creditor: Creditor) -> Creditor:
        """Stores a new creditor and returns it with its id; raises AlreadyExists on a taken slug."""
        ...

    def get(self, slug: str) -> Creditor | None:
        """The creditor with this slug, or None."""
        ...

    def list(self) -> list[Creditor]:
        """Every creditor, by slug."""
        ...


class EventLog(Protocol):
    """The append-only audit trail."""

    def append(self, event: AuditEvent) -> None:
        """Appends one event; events are never changed or removed."""
        ...

    def append_many(self, events: Sequence[AuditEvent]) -> None:
        """Appends several events at once, in order."""
        ...

    def recent(self, kind: EventKind | None = None, limit: int = 100) -> list[AuditEvent]:
        """The newest events first, optionally of one kind."""
        ...


# Turns a chunk of valid rows into what a batch writes (COPY text, parameter tuples); module-level, so
# worker processes can run it.
RowEncoder = Callable[[Sequence[AccountRow]], Any]


class AccountImportBatch(Protocol):
    """One import in progress: rows are staged, checked across the whole file, then merged at once."""

    def row_encoder(self) -> RowEncoder:
        """A picklable function turning a chunk of valid rows into what stage_encoded() writes; it runs
        where the rows are validated, possibly in another process."""
        ...

    def stage_encoded(self, payload: Any) -> None:
        """Keeps one encoded chunk of valid rows aside (not yet visible) until the whole file is read."""
        ...

    def cross_row_problems(self, limit: int) -> list[RowProblem]:
        """Problems only visible across rows or against stored data: duplicates and mismatches."""
        ...

    def merge(self, full_snapshot: bool, at: datetime) -> ImportCounts:
        """Creates or updates debtors, accounts and invoices from the staged rows; settles the missing."""
        ...


# Reads one raw webhook body into what it reports; raises an InvalidInput subclass on a bad shape. The
# adapter's parser is passed in by the entrypoint, so use cases stay free of the payload format.
WebhookParser = Callable[[bytes], WebhookContents]


class WebhookDeliveryRepository(Protocol):
    """Webhook deliveries stored raw, claimed by one worker at a time, marked once applied."""

    def add(self, raw_body: bytes, received_at: datetime) -> int:
        """Stores a delivery's body exactly as received; returns its id."""
        ...

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, ids: Collection[int] | None = None
    ) -> list[WebhookDelivery]:
        """Leases up to `limit` unprocessed deliveries whose lease has run out (only those in `ids` when
        given), oldest first, so no other worker takes them before `lease_until`; counts the attempt."""
        ...

    def mark_processed(self, delivery_id: int, at: datetime) -> bool:
        """Marks a delivery processed; False when it already was (another worker finished it first)."""
        ...

    def record_failure(self, delivery_id: int, error: str, retry_at: datetime) -> None:
        """Keeps the error of a failed attempt; the delivery is claimable again from `retry_at`."""
        ...


class WhatsAppMessageRepository(Protocol):
    """Messages, one per wamid, and the debtors they belong to."""

    def add_absent(self, messages: Sequence[WhatsAppMessage], at: datetime) -> set[str]:
        """Inserts the messages whose wamid is not stored yet; returns the wamids it inserted."""
        ...

    def record_outbound(self, message: WhatsAppMessage, at: datetime) -> bool:
        """Stores an outbound message; when its statuses arrived first and made a status-only row, fills that
        row in and keeps the status it reached. False when it was already recorded."""
        ...

    def link_debtor(self, wamid: str, link: DebtorLink) -> None:
        """Ties a stored message that names no debtor yet to this debtor, unless it names another creditor."""
        ...

    def get(self, wamid: str) -> WhatsAppMessage | None:
        """The message with this wamid, or None."""
        ...

    def links(self, wamids: Collection[str]) -> dict[str, DebtorLink]:
        """The debtor of each stored message that has one, by wamid."""
        ...

    def advance(self, updates: Sequence[StatusUpdate]) -> None:
        """Moves each outbound message to the update's status where that is causally later, never back."""
        ...

    def debtor_links(self, wa_ids: Collection[str]) -> dict[str, DebtorLink]:
        """For each wa_id whose phone (`+` + wa_id) belongs to exactly one debtor, that debtor."""
        ...


class MessageStatusRepository(Protocol):
    """Every status reported for a wamid, once per (wamid, status), known message or not."""

    def add_absent(self, statuses: Sequence[StatusUpdate], received_at: datetime) -> list[StatusUpdate]:
        """Stores the statuses not stored yet; returns those it stored."""
        ...

    def for_wamid(self, wamid: str) -> list[StatusUpdate]:
        """Every status stored for one wamid."""
        ...


class TemplateReviewRepository(Protocol):
    """Template review results, once per (template, event, time)."""

    def add_absent(
        self, updates: Sequence[TemplateStatusUpdate], received_at: datetime
    ) -> list[TemplateStatusUpdate]:
        """Stores the review results not stored yet; returns those it stored."""
        ...
