"""Catalogue templates' status on each WhatsApp Business Account, in the message_templates table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from cobro.adapters.db.tables import message_templates
from cobro.domain.template_catalogue import APPROVED, StoredTemplate

_KEY = ["waba_id", "name", "language"]


class SqlMessageTemplates:
    """One row per (WABA, template name, language): the last status Cobro recorded and the content hash."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def upsert(self, record: StoredTemplate) -> None:
        """Inserts the template's row, or replaces every column of the existing one."""
        values = _values(record)
        dialect = sqlite if self._connection.dialect.name == "sqlite" else postgresql
        statement = dialect.insert(message_templates).values(**values)
        changed = {k: statement.excluded[k] for k in values if k not in _KEY}
        self._connection.execute(statement.on_conflict_do_update(index_elements=_KEY, set_=changed))

    def get(self, waba_id: str, name: str, language: str) -> StoredTemplate | None:
        """The row of one template version, or None."""
        c = message_templates.c
        query = select(message_templates).where(c.waba_id == waba_id, c.name == name, c.language == language)
        row = self._connection.execute(query).mappings().first()
        return _record(row) if row else None

    def list(self, waba_id: str | None = None) -> list[StoredTemplate]:
        """Every recorded template (of one WABA when given), by WABA, name and language."""
        c = message_templates.c
        query = select(message_templates).order_by(c.waba_id, c.name, c.language)
        if waba_id is not None:
            query = query.where(c.waba_id == waba_id)
        return [_record(row) for row in self._connection.execute(query).mappings()]

    def approved(self, waba_id: str) -> set[tuple[str, str]]:
        """The (name, language) pairs Meta approved on this WABA: the templates Cobro may send."""
        c = message_templates.c
        query = select(c.name, c.language).where(c.waba_id == waba_id, c.status == APPROVED)
        return {(name, language) for name, language in self._connection.execute(query)}


def _values(record: StoredTemplate) -> dict[str, Any]:
    return {
        "waba_id": record.waba_id,
        "name": record.name,
        "language": record.language,
        "category": record.category,
        "status": record.status,
        "template_id": record.template_id,
        "reason": record.reason,
        "content_hash": record.content_hash,
        "updated_at": record.updated_at,
    }


def _record(row: Any) -> StoredTemplate:
    return StoredTemplate(
        waba_id=row["waba_id"],
        name=row["name"],
        language=row["language"],
        category=row["category"],
        status=row["status"],
        content_hash=row["content_hash"],
        updated_at=row["updated_at"],
        template_id=row["template_id"],
        reason=row["reason"],
    )
