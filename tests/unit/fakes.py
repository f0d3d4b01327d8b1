"""In-memory fakes of the ports, so use cases run without a database."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Self

from cobro.domain.accounts import Creditor, OptOut
from cobro.domain.compliance.opt_out import OptOutEffect, merge_opt_out
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem
from cobro.domain.messaging import (
    STATUS_ONLY_TYPE,
    DebtorLink,
    Direction,
    StatusUpdate,
    TemplateStatusUpdate,
    WebhookDelivery,
    WhatsAppMessage,
    next_status,
)
from cobro.domain.outbox import OutboxRecord


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

    def append_many(self, events: Sequence[AuditEvent]) -> None:
        self.items.extend(events)

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


class FakeDeliveries:
    """Deliveries kept as [body, received_at, processed_at, attempts, claimed_until, last_error]."""

    def __init__(self) -> None:
        self.rows: dict[int, list] = {}

    def add(self, raw_body: bytes, received_at: datetime) -> int:
        self.rows[len(self.rows) + 1] = [raw_body, received_at, None, 0, None, None]
        return len(self.rows)

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, ids: Collection[int] | None = None
    ) -> list[WebhookDelivery]:
        claimed = []
        for id_, row in sorted(self.rows.items()):
            if row[2] is None and (row[4] is None or row[4] <= now) and (ids is None or id_ in ids):
                row[3] += 1
                row[4] = lease_until
                claimed.append(WebhookDelivery(id_, row[0], row[1], row[3]))
        return claimed[:limit]

    def mark_processed(self, delivery_id: int, at: datetime) -> bool:
        row = self.rows[delivery_id]
        if row[2] is not None:
            return False
        row[2], row[4], row[5] = at, None, None
        return True

    def record_failure(self, delivery_id: int, error: str, retry_at: datetime) -> None:
        self.rows[delivery_id][4:6] = [retry_at, error]


class FakeMessages:
    def __init__(self) -> None:
        self.items: dict[str, WhatsAppMessage] = {}
        self.debtors_by_phone: dict[str, list[DebtorLink]] = {}

    def add_absent(self, messages: Sequence[WhatsAppMessage], at: datetime) -> set[str]:
        new = {m.wamid for m in messages if m.wamid not in self.items}
        for m in messages:
            self.items.setdefault(m.wamid, m)
        return new

    def record_outbound(self, message: WhatsAppMessage, at: datetime) -> bool:
        stored = self.items.get(message.wamid)
        if stored is None:
            self.items[message.wamid] = message
        elif stored.type == STATUS_ONLY_TYPE and stored.direction is Direction.OUTBOUND:
            self.items[message.wamid] = replace(message, status=stored.status, status_at=stored.status_at)
        else:
            return False
        return True

    def record_outbound_many(self, messages: Sequence[WhatsAppMessage], at: datetime) -> set[str]:
        return {m.wamid for m in messages if self.record_outbound(m, at)}

    def link_debtor(self, wamid: str, link: DebtorLink) -> None:
        stored = self.items[wamid]
        if stored.debtor_id is None and stored.creditor_id in (None, link.creditor_id):
            self.items[wamid] = replace(stored, debtor_id=link.debtor_id, creditor_id=link.creditor_id)

    def get(self, wamid: str) -> WhatsAppMessage | None:
        return self.items.get(wamid)

    def links(self, wamids: Collection[str]) -> dict[str, DebtorLink]:
        found = {w: self.items[w] for w in wamids if w in self.items}
        return {
            w: DebtorLink(m.debtor_id, m.creditor_id)
            for w, m in found.items()
            if m.debtor_id and m.creditor_id
        }

    def advance(self, updates: Sequence[StatusUpdate]) -> None:
        for u in updates:
            m = self.items.get(u.wamid)
            if m is None or m.direction is not Direction.OUTBOUND or m.status is None:
                continue
            if next_status(m.status, u.status) is not m.status:
                self.items[u.wamid] = replace(
                    m, status=u.status, status_at=u.timestamp, error_code=u.error_code or m.error_code
                )

    def debtor_links(self, wa_ids: Collection[str]) -> dict[str, DebtorLink]:
        found = {w: self.debtors_by_phone.get("+" + w, []) for w in wa_ids}
        return {w: links[0] for w, links in found.items() if len(links) == 1}


class FakeStatuses:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], StatusUpdate] = {}

    def add_absent(self, statuses: Sequence[StatusUpdate], received_at: datetime) -> list[StatusUpdate]:
        new = []
        for s in statuses:
            if (s.wamid, s.status.value) not in self.items:
                self.items[(s.wamid, s.status.value)] = s
                new.append(s)
        return new

    def for_wamid(self, wamid: str) -> list[StatusUpdate]:
        return [s for (w, _), s in self.items.items() if w == wamid]


class FakeTemplateReviews:
    def __init__(self) -> None:
        self.keys: set[tuple[str, str, datetime]] = set()

    def add_absent(
        self, updates: Sequence[TemplateStatusUpdate], received_at: datetime
    ) -> list[TemplateStatusUpdate]:
        new = []
        for u in updates:
            key = (u.template_id, u.event, u.timestamp or received_at)
            if key not in self.keys:
                self.keys.add(key)
                new.append(u)
        return new


class FakeOutbox:
    """The outbox as record_webhooks sees it: keeps the statuses it was asked to reconcile; no rows."""

    def __init__(self) -> None:
        self.reconciled: list[StatusUpdate] = []

    def reconcile(self, statuses: Sequence[StatusUpdate], now: datetime) -> list[OutboxRecord]:
        self.reconciled.extend(statuses)
        return []


class FakeDebtorFlags:
    """Debtor flags by debtor id; the debtors at a phone are FakeMessages.debtors_by_phone (shared)."""

    def __init__(self, phones: dict[str, list[DebtorLink]]) -> None:
        self.phones = phones
        self.opt_outs: dict[int, OptOut] = {}
        self.wrong_numbers: dict[int, datetime] = {}
        self.right_parties: dict[int, datetime] = {}

    def debtors_by_phone(self, phones: Collection[str]) -> dict[str, list[DebtorLink]]:
        return {
            p: sorted(self.phones[p], key=lambda link: link.debtor_id or 0)
            for p in phones
            if self.phones.get(p)
        }

    def record_opt_out(
        self, debtor_ids: Collection[int], opt_out: OptOut, now: datetime
    ) -> dict[int, OptOutEffect]:
        effects = {}
        for debtor_id in sorted(set(debtor_ids)):
            self.opt_outs[debtor_id], effects[debtor_id] = merge_opt_out(
                self.opt_outs.get(debtor_id), opt_out
            )
        return effects

    def record_wrong_number(self, debtor_ids: Collection[int], at: datetime, now: datetime) -> set[int]:
        new = set(debtor_ids) - set(self.wrong_numbers)
        self.wrong_numbers.update(dict.fromkeys(new, at))
        return new

    def confirm_right_party(self, debtor_ids: Collection[int], at: datetime, now: datetime) -> set[int]:
        new = set(debtor_ids) - set(self.right_parties)
        self.right_parties.update(dict.fromkeys(new, at))
        return new


class FakeStore:
    """What a fake database holds: committed creditors, events and imported rows."""

    def __init__(self) -> None:
        self.creditors = FakeCreditors()
        self.events = FakeEvents()
        self.imported_rows: list[AccountRow] = []
        self.pending_rows: list[AccountRow] = []
        self.cross_row_problems: list[RowProblem] = []
        self.commits = 0
        # Webhook state is written straight through (not transactional): enough for the use-case tests.
        self.deliveries = FakeDeliveries()
        self.messages = FakeMessages()
        self.statuses = FakeStatuses()
        self.template_reviews = FakeTemplateReviews()
        self.debtor_flags = FakeDebtorFlags(self.messages.debtors_by_phone)
        self.outbox = FakeOutbox()


class FakeUnitOfWork:
    """Events and imported rows become visible in the store only on commit."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.creditors = store.creditors
        self.events = FakeEvents()
        self.deliveries = store.deliveries
        self.messages = store.messages
        self.statuses = store.statuses
        self.template_reviews = store.template_reviews
        self.debtor_flags = store.debtor_flags
        self.outbox = store.outbox

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
