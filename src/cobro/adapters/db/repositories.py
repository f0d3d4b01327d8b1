"""Repositories over SQLAlchemy Core: creditors and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from cobro.adapters.db import bulk_postgres
from cobro.adapters.db.tables import audit_events, creditors
from cobro.domain.accounts import Creditor
from cobro.domain.clock import Clock
from cobro.domain.errors import AlreadyExists
from cobro.domain.events import AuditEvent, EventKind


class SqlCreditorRepository:
    """Creditors stored in the creditors table."""

    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock

    def add(self, creditor: Creditor) -> Creditor:
        """Stores a new creditor; raises AlreadyExists when the slug is taken."""
        values = _creditor_values(creditor)
        try:
            with self._connection.begin_nested():
                new_id = self._connection.execute(
                    insert(creditors).values(**values, created_at=self._clock.now()).returning(creditors.c.id)
                ).scalar_one()
        except IntegrityError as exc:
            raise AlreadyExists(f"creditor {creditor.slug!r} already exists") from exc
        return Creditor(**{**values, "id": new_id})

    def get(self, slug: str) -> Creditor | None:
        """The creditor with this slug, or None."""
        row = self._connection.execute(select(creditors).where(creditors.c.slug == slug)).mappings().first()
        return _creditor(row) if row else None

    def list(self) -> list[Creditor]:
        """Every creditor, by slug."""
        rows = self._connection.execute(select(creditors).order_by(creditors.c.slug)).mappings()
        return [_creditor(row) for row in rows]


def _creditor_values(creditor: Creditor) -> dict[str, Any]:
    return {
        "slug": creditor.slug,
        "name": creditor.name,
        "country": creditor.country,
        "currency": creditor.currency,
        "language": creditor.language,
        "whatsapp_phone_number_id": creditor.whatsapp_phone_number_id,
    }


def _creditor(row: Any) -> Creditor:
    return Creditor(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        country=row["country"],
        currency=row["currency"],
        language=row["language"],
        whatsapp_phone_number_id=row["whatsapp_phone_number_id"],
    )


class SqlEventLog:
    """The append-only audit trail in the audit_events table."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, event: AuditEvent) -> None:
        """Appends one event."""
        self._connection.execute(insert(audit_events).values(**_event_values(event)))

    def append_many(self, events: Sequence[AuditEvent]) -> None:
        """Appends several events in one statement (executemany; COPY on PostgreSQL), in order."""
        if not events:
            return
        if self._connection.dialect.name == "postgresql":
            # A webhook batch appends thousands at once: COPY is several times faster (bulk_postgres).
            rows = (
                (bulk_postgres.utc(e.occurred_at), e.kind.value, e.actor, e.creditor_id, e.account_id,
                 e.debtor_id, bulk_postgres.json_text(e.data))
                for e in events
            )  # fmt: skip
            bulk_postgres.copy_rows(self._connection, "audit_events", _EVENT_COLUMNS, rows)
            return
        self._connection.execute(insert(audit_events), [_event_values(e) for e in events])

    def recent(self, kind: EventKind | None = None, limit: int = 100) -> list[AuditEvent]:
        """The newest events first, optionally of one kind."""
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if kind is not None:
            query = query.where(audit_events.c.kind == kind.value)
        return [event_from_row(row) for row in self._connection.execute(query).mappings()]


def event_from_row(row: Any) -> AuditEvent:
    """An audit_events row (as a mapping) as the domain's AuditEvent."""
    return AuditEvent(
        id=row["id"],
        kind=EventKind(row["kind"]),
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        creditor_id=row["creditor_id"],
        account_id=row["account_id"],
        debtor_id=row["debtor_id"],
        data=row["data"] or {},
    )


_EVENT_COLUMNS = ("occurred_at", "kind", "actor", "creditor_id", "account_id", "debtor_id", "data")


def _event_values(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at,
        "kind": event.kind.value,
        "actor": event.actor,
        "creditor_id": event.creditor_id,
        "account_id": event.account_id,
        "debtor_id": event.debtor_id,
        "data": event.data,
    }
