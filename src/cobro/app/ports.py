"""Ports: what the use cases need from the outside world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

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
