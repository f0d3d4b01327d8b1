"""SqlInbox: the agent inbox items (app/inbox_ports.InboxRepository), and what a person reads to work one: the
conversation's messages and the answers already queued."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, false, func, insert, or_, select, update

from cobro.adapters.db.tables import (
    accounts,
    conversations,
    creditors,
    debtors,
    inbox_items,
    outbox,
    whatsapp_messages,
)
from cobro.app.inbox_ports import AgentReply, InboxEntry, InboxItem, ItemStatus, TranscriptMessage

_x = inbox_items.c
_c = conversations.c
_m = whatsapp_messages.c
_o = outbox.c
OPEN_STATUSES = ("open", "claimed")


class SqlInbox:
    """Bound to the unit of work's connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgresql = connection.dialect.name == "postgresql"

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
        current = self._connection.execute(
            select(_x.id).where(_x.conversation_id == conversation_id, _x.status.in_(OPEN_STATUSES))
        ).scalar()
        if current is not None:
            return int(current), False
        new_id = self._connection.execute(
            insert(inbox_items)
            .values(
                conversation_id=conversation_id,
                creditor_id=creditor_id,
                debtor_id=debtor_id,
                account_id=account_id,
                reason=reason,
                detail=detail,
                status="open",
                created_at=now,
                updated_at=now,
            )
            .returning(_x.id)
        ).scalar_one()
        return int(new_id), True

    # --- one item ---------------------------------------------------------------------------------------

    def entry(self, item_id: int) -> InboxEntry | None:
        found = self._entries(_entry_query().where(_x.id == item_id))
        return found[0] if found else None

    def hold(self, item_id: int, now: datetime) -> InboxItem | None:
        # An UPDATE first: the row lock on PostgreSQL, the write lock on SQLite (so no later read in this
        # transaction can be overtaken by another writer's commit).
        row = self._connection.execute(
            update(inbox_items).where(_x.id == item_id).values(updated_at=now).returning(*inbox_items.c)
        ).first()
        return _item(row) if row is not None else None

    def set_claim(self, item_id: int, agent: str, now: datetime) -> None:
        self._connection.execute(
            update(inbox_items)
            .where(_x.id == item_id)
            .values(status=ItemStatus.CLAIMED.value, claimed_by=agent, claimed_at=now, updated_at=now)
        )

    def set_resolved(self, item_id: int, agent: str, resolution: str, now: datetime) -> None:
        self._connection.execute(
            update(inbox_items)
            .where(_x.id == item_id)
            .values(
                status=ItemStatus.RESOLVED.value,
                claimed_by=agent,
                claimed_at=func.coalesce(_x.claimed_at, now),
                resolved_at=now,
                resolution=resolution,
                updated_at=now,
            )
        )

    def hold_conversation(self, conversation_id: int) -> None:
        if self._postgresql:  # SQLite: hold() already took the database's write lock
            self._connection.execute(select(_c.id).where(_c.id == conversation_id).with_for_update())

    # --- lists ------------------------------------------------------------------------------------------

    def entries(
        self, statuses: Collection[ItemStatus], creditor_id: int | None, limit: int
    ) -> list[InboxEntry]:
        query = (
            _entry_query()
            .where(_x.status.in_(sorted(s.value for s in statuses)))
            .order_by(_x.created_at, _x.id)
            .limit(limit)
        )
        if creditor_id is not None:
            query = query.where(_x.creditor_id == creditor_id)
        return self._entries(query)

    def _entries(self, query: Any) -> list[InboxEntry]:
        return [
            InboxEntry(
                item=_item(row),
                creditor_slug=row.creditor_slug,
                debtor_name=row.debtor_name,
                account_reference=row.account_reference,
                contact=row.contact,
            )
            for row in self._connection.execute(query)
        ]

    def transcript(self, conversation_id: int, limit: int) -> list[TranscriptMessage]:
        query = (
            select(_m.wamid, _m.direction, _m.occurred_at, _m.type, _m.content, _m.status)
            .where(self._of_conversation(conversation_id))
            .order_by(_m.occurred_at.desc(), _m.id.desc())
            .limit(limit)
        )
        rows = list(self._connection.execute(query))
        rows.reverse()
        return [
            TranscriptMessage(
                wamid=row.wamid,
                direction=row.direction,
                occurred_at=row.occurred_at,
                type=row.type,
                content=dict(row.content or {}),
                status=row.status,
            )
            for row in rows
        ]

    def last_inbound_at(self, conversation_id: int) -> datetime | None:
        query = select(func.max(_m.occurred_at)).where(
            self._of_conversation(conversation_id), _m.direction == "in"
        )
        found: datetime | None = self._connection.execute(query).scalar()
        return found

    def replies(self, item_id: int) -> list[AgentReply]:
        query = (
            select(_o.id, _o.idempotency_key, _o.state, _o.template, _o.created_at, _o.sent_at, _o.reason)
            .where(_o.idempotency_key.like(f"agent:{int(item_id)}:%"))
            .order_by(_o.id)
        )
        return [
            AgentReply(
                outbox_id=row.id,
                idempotency_key=row.idempotency_key,
                state=row.state,
                template=row.template,
                created_at=row.created_at,
                sent_at=row.sent_at,
                reason=row.reason,
            )
            for row in self._connection.execute(query)
        ]

    def _of_conversation(self, conversation_id: int) -> Any:
        """The messages of the conversation's contact on its business number (by wa_id, or by user id)."""
        contact = self._connection.execute(
            select(_c.phone_number_id, _c.wa_id, _c.user_id).where(_c.id == conversation_id)
        ).first()
        if contact is None:
            return false()
        who = []
        if contact.wa_id:
            who.append(_m.wa_id == contact.wa_id)
        if contact.user_id:
            who.append(_m.user_id == contact.user_id)
        if not who:
            return false()
        return and_(_m.phone_number_id == contact.phone_number_id, or_(*who))


def _entry_query() -> Any:
    d, a, k = debtors.c, accounts.c, creditors.c
    return (
        select(
            inbox_items,
            k.slug.label("creditor_slug"),
            d.name.label("debtor_name"),
            a.reference.label("account_reference"),
            _c.contact.label("contact"),
        )
        .join(conversations, _c.id == _x.conversation_id)
        .outerjoin(creditors, k.id == _x.creditor_id)
        .outerjoin(debtors, d.id == _x.debtor_id)
        .outerjoin(accounts, a.id == _x.account_id)
    )


def _item(row: Any) -> InboxItem:
    fields = {column.name: getattr(row, column.name) for column in inbox_items.c}
    fields["status"] = ItemStatus(fields["status"])
    return InboxItem(**fields)
