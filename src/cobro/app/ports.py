"""Ports: what the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from cobro.domain.accounts import Creditor
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem


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

    def recent(self, kind: EventKind | None = None, limit: int = 100) -> list[AuditEvent]:
        """The newest events first, optionally of one kind."""
        ...


class AccountImportBatch(Protocol):
    """One import in progress: rows are staged, checked across the whole file, then merged at once."""

    def stage(self, rows: Sequence[AccountRow]) -> None:
        """Keeps valid rows aside (not yet visible) until the whole file has been read."""
        ...

    def cross_row_problems(self, limit: int) -> list[RowProblem]:
        """Problems only visible across rows or against stored data: duplicates and mismatches."""
        ...

    def merge(self, full_snapshot: bool, at: datetime) -> ImportCounts:
        """Creates or updates debtors, accounts and invoices from the staged rows; settles the missing."""
        ...


# Turns a chunk of valid rows into what the batch writes; picklable, so worker processes can run it.
RowEncoder = Callable[[Sequence[AccountRow]], Any]


@runtime_checkable
class EncodedStaging(Protocol):
    """A batch that can take rows already encoded for its database (encoded where they were validated)."""

    def row_encoder(self) -> RowEncoder:
        """A module-level function encoding a chunk of rows exactly as stage() would write them."""
        ...

    def stage_encoded(self, payload: Any) -> None:
        """Writes one chunk made by row_encoder(); the same as stage() on the rows it was made from."""
        ...
