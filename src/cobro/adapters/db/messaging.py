"""Repositories for WhatsApp webhooks: raw deliveries, messages, statuses and template reviews.

Written for volume (Cobro may receive thousands of statuses a second): each method is one set-based
statement per call, not one per row. Inserts are `INSERT ... ON CONFLICT DO NOTHING RETURNING`, so the
unique keys decide what is new even when two workers race, and rows are written in key order so
concurrent transactions on PostgreSQL lock them in the same order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cobro.adapters.db import bulk_postgres
from cobro.adapters.db.inserts import insert_absent
from cobro.adapters.db.tables import (
    debtors,
    webhook_deliveries,
    whatsapp_messages,
    whatsapp_statuses,
    whatsapp_template_events,
)
from cobro.domain.messaging import (
    STATUS_ONLY_TYPE,
    DebtorLink,
    Direction,
    MessageStatus,
    StatusUpdate,
    TemplateStatusUpdate,
    WebhookDelivery,
    WhatsAppMessage,
)

# Rows per statement: far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
_CHUNK = 500


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class SqlWebhookDeliveries:
    """Raw webhook deliveries in the webhook_deliveries table."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, raw_body: bytes, received_at: datetime) -> int:
        """Stores a delivery's body exactly as received; returns its id."""
        statement = (
            insert(webhook_deliveries)
            .values(body=raw_body, received_at=received_at, attempts=0)
            .returning(webhook_deliveries.c.id)
        )
        return int(self._connection.execute(statement).scalar_one())

    def claim(
        self, now: datetime, lease_until: datetime, limit: int, ids: Collection[int] | None = None
    ) -> list[WebhookDelivery]:
        """Leases up to `limit` claimable deliveries, oldest first, and counts the attempt.

        One conditional UPDATE: on PostgreSQL the candidates are locked with FOR UPDATE SKIP LOCKED, so two
        workers claiming at once take different rows; SQLite has one writer, so the statement is atomic.
        A lease that runs out (a worker died) makes the delivery claimable again.
        """
        d = webhook_deliveries
        claimable = and_(
            d.c.processed_at.is_(None), or_(d.c.claimed_until.is_(None), d.c.claimed_until <= now)
        )
        if ids is not None:
            claimable = and_(claimable, d.c.id.in_(sorted(ids)))
        candidates: Any = select(d.c.id).where(claimable).order_by(d.c.id).limit(limit)
        if self._connection.dialect.name == "postgresql":
            # A MATERIALIZED CTE: as a plain `IN (subquery)` PostgreSQL may re-run the subquery for each row
            # it updates, re-running the LIMIT and the locks and claiming more rows than `limit`.
            locked = candidates.with_for_update(skip_locked=True)
            candidates = select(locked.cte("picked").prefix_with("MATERIALIZED").c.id)
        statement = (
            update(d)
            .where(d.c.id.in_(candidates), claimable)
            .values(claimed_until=lease_until, attempts=d.c.attempts + 1)
            .returning(d.c.id, d.c.body, d.c.received_at, d.c.attempts)
        )
        rows = self._connection.execute(statement).all()
        return sorted(
            (
                WebhookDelivery(id=r.id, body=bytes(r.body), received_at=r.received_at, attempts=r.attempts)
                for r in rows
            ),
            key=lambda delivery: delivery.id,
        )

    def mark_processed(self, delivery_id: int, at: datetime) -> bool:
        """Marks a delivery processed; False when it already was."""
        d = webhook_deliveries
        result = self._connection.execute(
            update(d)
            .where(d.c.id == delivery_id, d.c.processed_at.is_(None))
            .values(processed_at=at, claimed_until=None, last_error=None)
        )
        return result.rowcount == 1

    def record_failure(self, delivery_id: int, error: str, retry_at: datetime) -> None:
        """Keeps the error; the delivery is claimable again from `retry_at`."""
        d = webhook_deliveries
        self._connection.execute(
            update(d)
            .where(d.c.id == delivery_id, d.c.processed_at.is_(None))
            .values(last_error=error[:2000], claimed_until=retry_at)
        )


# The causal rank of the stored status, from the domain's order; NULL (no status yet) ranks lowest.
_STORED_RANK = case(
    {status.value: status.rank for status in MessageStatus}, value=whatsapp_messages.c.status, else_=-1
)


class SqlWhatsAppMessages:
    """Messages in the whatsapp_messages table, one row per wamid."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_absent(self, messages: Sequence[WhatsAppMessage], at: datetime) -> set[str]:
        """Inserts the messages whose wamid is new; returns the wamids it inserted."""
        unique = {m.wamid: m for m in messages}
        # Most statuses are for messages already stored: one indexed read skips building and conflicting
        # on their placeholder rows.
        for wamid, *_ in self._stored(unique):
            del unique[wamid]
        rows = [_message_row(m, at) for m in sorted(unique.values(), key=_wamid)]
        return {key[0] for key in insert_absent(self._connection, whatsapp_messages, rows, ["wamid"])}

    def record_outbound(self, message: WhatsAppMessage, at: datetime) -> bool:
        """Inserts an outbound message, or fills in the row its earlier statuses created, keeping their status;
        False when the message was already recorded (nothing changed).

        The shared wamid key serialises this with a concurrent status batch: whichever commits second sees
        the other's row, so no status is lost between "status first" and "message first".
        """
        return message.wamid in self.record_outbound_many([message], at)

    def record_outbound_many(self, messages: Sequence[WhatsAppMessage], at: datetime) -> set[str]:
        """record_outbound for many messages in one statement: inserts each, or fills in the placeholder its
        earlier statuses created (keeping their status); returns the wamids newly recorded.

        Rows go in wamid order (concurrent status batches lock the same rows in the same order), one per wamid
        (the last given wins): PostgreSQL refuses an upsert that touches a row twice.
        """
        unique = {m.wamid: m for m in messages}
        if not unique:
            return set()
        rows = [_message_row(unique[wamid], at) for wamid in sorted(unique)]
        statement = _record_outbound_statement(self._connection.dialect.name)
        return {row[0] for row in self._connection.execute(statement, rows)}

    def link_debtor(self, wamid: str, link: DebtorLink) -> None:
        """Ties a stored message that names no debtor yet to this debtor, unless it names another creditor."""
        m = whatsapp_messages.c
        self._connection.execute(
            update(whatsapp_messages)
            .where(
                m.wamid == wamid,
                m.debtor_id.is_(None),
                or_(m.creditor_id.is_(None), m.creditor_id == link.creditor_id),
            )
            .values(debtor_id=link.debtor_id, creditor_id=link.creditor_id)
        )

    def get(self, wamid: str) -> WhatsAppMessage | None:
        """The message with this wamid, or None."""
        m = whatsapp_messages.c
        row = self._connection.execute(select(whatsapp_messages).where(m.wamid == wamid)).mappings().first()
        return None if row is None else message_from_row(row)

    def links(self, wamids: Collection[str]) -> dict[str, DebtorLink]:
        """The creditor (and debtor, when known) of each stored message that has one, by wamid."""
        return {
            wamid: DebtorLink(debtor_id=debtor_id, creditor_id=creditor_id)
            for wamid, debtor_id, creditor_id in self._stored(wamids, linked=True)
        }

    def advance(self, updates: Sequence[StatusUpdate]) -> None:
        """Moves each outbound message forward to its update's status, all in one set-based statement."""
        if not updates:
            return
        if self._connection.dialect.name == "postgresql":
            # One row per message, as a joined UPDATE would apply any one of several: callers pass one (the
            # causal latest); given more, the highest rank wins, the first of equal rank.
            best: dict[str, StatusUpdate] = {}
            for u in updates:
                if u.wamid not in best or u.status.rank > best[u.wamid].status.rank:
                    best[u.wamid] = u
            rows = [
                (u.wamid, u.status.rank, u.status.value, u.timestamp, u.error_code, _error_title(u))
                for u in sorted(best.values(), key=_wamid)
            ]
            bulk_postgres.advance_messages(self._connection, rows, _PG_STORED_RANK)
            return
        m = whatsapp_messages.c
        statement = (
            update(whatsapp_messages)
            .where(
                m.wamid == bindparam("w"),
                m.direction == Direction.OUTBOUND.value,
                bindparam("r") > _STORED_RANK,
            )
            .values(
                status=bindparam("s"),
                status_at=bindparam("at"),
                error_code=func.coalesce(bindparam("code"), m.error_code),
                error_title=func.coalesce(bindparam("title"), m.error_title),
            )
        )
        params = [
            {
                "w": u.wamid,
                "r": u.status.rank,
                "s": u.status.value,
                "at": u.timestamp,
                "code": u.error_code,
                "title": _error_title(u),
            }
            for u in sorted(updates, key=_wamid)
        ]
        self._connection.execute(statement, params)

    def _stored(self, wamids: Collection[str], linked: bool = False) -> list[tuple[Any, ...]]:
        """(wamid, debtor_id, creditor_id) of the stored messages among `wamids` (with `linked`, only those
        with a creditor)."""
        if not wamids:
            return []
        if self._connection.dialect.name == "postgresql":
            text = _PG_STORED_LINKED if linked else _PG_STORED
            return bulk_postgres.select_by_wamids(self._connection, text, wamids)
        m = whatsapp_messages.c
        found: list[tuple[Any, ...]] = []
        for chunk in _chunks(sorted(set(wamids))):
            query = select(m.wamid, m.debtor_id, m.creditor_id).where(m.wamid.in_(chunk))
            if linked:
                query = query.where(m.creditor_id.is_not(None))
            found.extend(tuple(row) for row in self._connection.execute(query))
        return found

    def debtor_links(self, wa_ids: Collection[str]) -> dict[str, DebtorLink]:
        """For each wa_id whose phone belongs to exactly one debtor (of any creditor), that debtor."""
        phones = sorted({"+" + w for w in wa_ids if w and w.isdigit()})
        found: dict[str, DebtorLink] = {}
        for chunk in _chunks(phones):
            query = (
                select(debtors.c.phone, func.min(debtors.c.id), func.min(debtors.c.creditor_id))
                .where(debtors.c.phone.in_(chunk))
                .group_by(debtors.c.phone)
                .having(func.count() == 1)
            )
            for phone, debtor_id, creditor_id in self._connection.execute(query):
                found[phone[1:]] = DebtorLink(debtor_id=debtor_id, creditor_id=creditor_id)
        return found


def message_from_row(row: Any) -> WhatsAppMessage:
    """A whatsapp_messages row (as a mapping) as the domain's WhatsAppMessage."""
    return WhatsAppMessage(
        wamid=row["wamid"],
        direction=Direction(row["direction"]),
        phone_number_id=row["phone_number_id"],
        type=row["type"],
        occurred_at=row["occurred_at"],
        content=row["content"] or {},
        wa_id=row["wa_id"],
        user_id=row["user_id"],
        parent_user_id=row["parent_user_id"],
        context_wamid=row["context_wamid"],
        biz_opaque_callback_data=row["biz_opaque_callback_data"],
        status=MessageStatus(row["status"]) if row["status"] else None,
        status_at=row["status_at"],
        error_code=row["error_code"],
        error_title=row["error_title"],
        debtor_id=row["debtor_id"],
        creditor_id=row["creditor_id"],
    )


@cache
def _record_outbound_statement(dialect_name: str) -> Any:
    """The upsert of SqlWhatsAppMessages.record_outbound(_many), for executemany, written against `excluded`
    so one cached statement serves every batch. Only the placeholder a status created is filled in; the
    debtor and creditor move as a pair (a composite foreign key ties them): the send's pair when it names a
    creditor, else the pair already stored; never one from each. A row comes back when one was inserted or
    filled in; none when the WHERE refused the update (already recorded)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(whatsapp_messages)
    new = statement.excluded
    m = whatsapp_messages.c
    fill = {
        name: new[name] for name in ("phone_number_id", "type", "content", "context_wamid", "occurred_at")
    }
    keep_if_absent = ("wa_id", "user_id", "parent_user_id", "biz_opaque_callback_data")
    fill.update({name: func.coalesce(new[name], m[name]) for name in keep_if_absent})
    sent_names_creditor = new.creditor_id.is_not(None)
    fill["creditor_id"] = case((sent_names_creditor, new.creditor_id), else_=m.creditor_id)
    fill["debtor_id"] = case((sent_names_creditor, new.debtor_id), else_=m.debtor_id)
    return statement.on_conflict_do_update(
        index_elements=["wamid"],
        set_=fill,
        where=and_(m.direction == Direction.OUTBOUND.value, m.type == STATUS_ONLY_TYPE),
    ).returning(m.wamid)


def _wamid(item: WhatsAppMessage | StatusUpdate) -> str:
    return item.wamid


def _error_title(status: StatusUpdate) -> str | None:
    return status.error_title[:200] if status.error_title else None


# PostgreSQL takes the wamids as one array parameter: a statement text that does not grow with the batch.
_PG_STORED = "SELECT wamid, debtor_id, creditor_id FROM whatsapp_messages WHERE wamid = ANY(%s)"
_PG_STORED_LINKED = _PG_STORED + " AND creditor_id IS NOT NULL"
_PG_STORED_RANK = (
    "CASE m.status " + " ".join(f"WHEN '{s.value}' THEN {s.rank}" for s in MessageStatus) + " ELSE -1 END"
)


def _message_row(message: WhatsAppMessage, at: datetime) -> dict[str, Any]:
    return {
        "wamid": message.wamid,
        "direction": message.direction.value,
        "phone_number_id": message.phone_number_id,
        "wa_id": message.wa_id,
        "user_id": message.user_id,
        "parent_user_id": message.parent_user_id,
        "type": message.type,
        "content": message.content,
        "context_wamid": message.context_wamid,
        "biz_opaque_callback_data": message.biz_opaque_callback_data,
        "occurred_at": message.occurred_at,
        "status": message.status.value if message.status else None,
        "status_at": message.status_at,
        "error_code": message.error_code,
        "error_title": message.error_title,
        "creditor_id": message.creditor_id,
        "debtor_id": message.debtor_id,
        "created_at": at,
    }


class SqlMessageStatuses:
    """Statuses in the whatsapp_statuses table, once per (wamid, status)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_absent(self, statuses: Sequence[StatusUpdate], received_at: datetime) -> list[StatusUpdate]:
        """Stores the statuses not stored yet; returns those it stored, in key order."""
        unique = {(s.wamid, s.status.value): s for s in reversed(statuses)}  # the first of duplicates wins
        ordered = [unique[key] for key in sorted(unique)]
        if not ordered:
            return []
        if self._connection.dialect.name == "postgresql":
            return self._copy_absent(ordered, received_at)
        rows = [
            {
                "wamid": s.wamid,
                "status": s.status.value,
                "occurred_at": s.timestamp,
                "recipient_id": s.recipient_id,
                "recipient_user_id": s.recipient_user_id,
                "biz_opaque_callback_data": s.biz_opaque_callback_data,
                "error_code": s.error_code,
                "error_title": _error_title(s),
                "error_details": s.error_details,
                "pricing": s.pricing(),
                "received_at": received_at,
            }
            for s in ordered
        ]
        inserted = set(insert_absent(self._connection, whatsapp_statuses, rows, ["wamid", "status"]))
        return [s for s in ordered if (s.wamid, s.status.value) in inserted]

    def _copy_absent(self, ordered: list[StatusUpdate], received_at: datetime) -> list[StatusUpdate]:
        """add_absent on PostgreSQL: the rows by COPY (bulk_postgres.insert_absent)."""
        received_at = bulk_postgres.utc(received_at)
        rows = (
            (
                s.wamid, s.status.value, s.timestamp, s.recipient_id, s.recipient_user_id,
                s.biz_opaque_callback_data, s.error_code, _error_title(s), s.error_details,
                bulk_postgres.json_text(s.pricing()), received_at,
            )
            for s in ordered
        )  # fmt: skip
        inserted = set(
            bulk_postgres.insert_absent(
                self._connection, "whatsapp_statuses", _STATUS_COLUMNS, rows, ("wamid", "status")
            )
        )
        return [s for s in ordered if (s.wamid, s.status.value) in inserted]

    def for_wamid(self, wamid: str) -> list[StatusUpdate]:
        """Every status stored for one wamid, oldest first."""
        s = whatsapp_statuses.c
        query = select(whatsapp_statuses).where(s.wamid == wamid).order_by(s.occurred_at, s.id)
        return [
            StatusUpdate(
                wamid=row["wamid"],
                status=MessageStatus(row["status"]),
                timestamp=row["occurred_at"],
                recipient_id=row["recipient_id"],
                recipient_user_id=row["recipient_user_id"],
                biz_opaque_callback_data=row["biz_opaque_callback_data"],
                error_code=row["error_code"],
                error_title=row["error_title"],
                error_details=row["error_details"],
                pricing_category=(row["pricing"] or {}).get("category"),
                pricing_billable=(row["pricing"] or {}).get("billable"),
                pricing_model=(row["pricing"] or {}).get("pricing_model"),
            )
            for row in self._connection.execute(query).mappings()
        ]


_STATUS_COLUMNS = (
    "wamid", "status", "occurred_at", "recipient_id", "recipient_user_id", "biz_opaque_callback_data",
    "error_code", "error_title", "error_details", "pricing", "received_at",
)  # fmt: skip


class SqlTemplateReviews:
    """Template review results in the whatsapp_template_events table."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add_absent(
        self, updates: Sequence[TemplateStatusUpdate], received_at: datetime
    ) -> list[TemplateStatusUpdate]:
        """Stores the review results not stored yet (a result without a time is keyed by its arrival)."""
        rows: dict[tuple[str, str, datetime], dict[str, Any]] = {}
        first: dict[tuple[str, str, datetime], TemplateStatusUpdate] = {}
        for u in updates:
            at = u.timestamp or received_at
            first.setdefault((u.template_id, u.event, at), u)
            rows[(u.template_id, u.event, at)] = {
                "waba_id": u.waba_id,
                "template_id": u.template_id,
                "name": u.name,
                "language": u.language,
                "event": u.event,
                "reason": u.reason,
                "occurred_at": at,
                "received_at": received_at,
            }
        if not rows:
            return []
        keys = ["template_id", "event", "occurred_at"]
        ordered = [rows[key] for key in sorted(rows)]
        inserted = set(insert_absent(self._connection, whatsapp_template_events, ordered, keys))
        return [first[key] for key in sorted(first) if key in inserted]
