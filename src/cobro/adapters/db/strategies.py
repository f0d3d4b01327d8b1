"""Creditors' strategy documents, one row per version; the newest version is the one in force."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from cobro.adapters.db.tables import creditors, strategies
from cobro.domain.clock import Clock
from cobro.domain.errors import NotFound
from cobro.domain.strategy import StrategyVersion


class SqlStrategyRepository:
    """Strategy versions in the strategies table."""

    def __init__(self, connection: Connection, clock: Clock) -> None:
        self._connection = connection
        self._clock = clock

    def add(self, creditor_id: int, name: str, document: dict[str, Any], created_by: str) -> int:
        """Stores the document as the creditor's next version and returns that version number."""
        # Lock the creditor row first (PostgreSQL; SQLite has one writer anyway) so two concurrent adds
        # for one creditor take turns and each reads the other's version: no unique-key failure, no gap.
        locked = self._connection.execute(
            select(creditors.c.id).where(creditors.c.id == creditor_id).with_for_update()
        ).first()
        if locked is None:
            raise NotFound(f"no creditor with id {creditor_id}")
        next_version = (
            select(func.coalesce(func.max(strategies.c.version), 0) + 1)
            .where(strategies.c.creditor_id == creditor_id)
            .scalar_subquery()
        )
        version: int = self._connection.execute(
            insert(strategies)
            .values(
                creditor_id=creditor_id,
                version=next_version,
                name=name,
                document=document,
                created_at=self._clock.now(),
                created_by=created_by,
            )
            .returning(strategies.c.version)
        ).scalar_one()
        return version

    def current(self, creditor_id: int) -> tuple[int, dict[str, Any]] | None:
        """The newest version and its document, or None when the creditor has stored none."""
        row = self._connection.execute(
            select(strategies.c.version, strategies.c.document)
            .where(strategies.c.creditor_id == creditor_id)
            .order_by(strategies.c.version.desc())
            .limit(1)
        ).first()
        return (row.version, row.document) if row is not None else None

    def versions(self, creditor_id: int) -> list[StrategyVersion]:
        """Every stored version of the creditor's strategy, oldest first."""
        rows = self._connection.execute(
            select(strategies.c.version, strategies.c.name, strategies.c.created_at, strategies.c.created_by)
            .where(strategies.c.creditor_id == creditor_id)
            .order_by(strategies.c.version)
        )
        return [StrategyVersion(r.version, r.name, r.created_at, r.created_by) for r in rows]
