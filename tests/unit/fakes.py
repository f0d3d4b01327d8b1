"""In-memory fakes of the ports, so use cases run without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Self

from cobro.domain.accounts import Creditor
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem


class FakeCreditors:
    def __init__(self) -> None:
        self.items: dict[str, Creditor] = {}

    def add(self, creditor: Creditor) -> Creditor:
        stored = replace(creditor, id=len(self.items) + 1)
        self.items[creditor.slug] = stored
        return stored

    def get(self, slug: str) -> Creditor | None:
        return self.items.get(slug)

    def list(self) -> list[Creditor]:
        return sorted(self.items.values(), key=lambda c: c.slug)


class FakeEvents:
    def __init__(self) -> None:
        self.items: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        self.items.append(event)

    def recent(self, kind: EventKind | None = None, limit: int = 100) -> list[AuditEvent]:
        return [e for e in reversed(self.items) if kind is None or e.kind == kind][:limit]


class FakeImportBatch:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.rows: list[AccountRow] = []

    def row_encoder(self):
        return list

    def stage_encoded(self, payload: list[AccountRow]) -> None:
        self.rows.extend(payload)

    def cross_row_problems(self, limit: int) -> list[RowProblem]:
        return list(self.store.cross_row_problems)[:limit]

    def merge(self, full_snapshot: bool, at: datetime) -> ImportCounts:
        self.store.pending_rows.extend(self.rows)
        return ImportCounts(invoices_created=len(self.rows), rows=len(self.rows))


class FakeStore:
    """What a fake database holds: committed creditors, events and imported rows."""

    def __init__(self) -> None:
        self.creditors = FakeCreditors()
        self.events = FakeEvents()
        self.imported_rows: list[AccountRow] = []
        self.pending_rows: list[AccountRow] = []
        self.cross_row_problems: list[RowProblem] = []
        self.commits = 0


class FakeUnitOfWork:
    """Events and imported rows become visible in the store only on commit."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.creditors = store.creditors
        self.events = FakeEvents()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        self.store.events.items.extend(self.events.items)
        self.store.imported_rows.extend(self.store.pending_rows)
        self.events.items.clear()
        self.store.pending_rows.clear()
        self.store.commits += 1

    def rollback(self) -> None:
        self.events.items.clear()
        self.store.pending_rows.clear()

    def account_import(self, creditor_id: int) -> FakeImportBatch:
        return FakeImportBatch(self.store)


class FakeUnitOfWorkFactory:
    def __init__(self) -> None:
        self.store = FakeStore()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)
