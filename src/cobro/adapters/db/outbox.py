"""The outbox in the database: every move of a row is one conditional, set-based UPDATE, so a row is queued,
claimed and settled once whatever runs twice (decision 0032, docs/concurrency.md).

PostgreSQL: the dispatcher and the sweeps pick rows with `FOR UPDATE SKIP LOCKED`, so concurrent
dispatchers never queue a row twice and never wait on each other; claims lock their rows in id order, so
two workers given overlapping ids cannot deadlock and each row goes to exactly one. SQLite: one writer at
a time, and every method writes first (its first statement is the UPDATE), so it never reads a snapshot
another writer has moved on from. Rows with values of their own (a wamid, a retry time, a reason) go in as
one JSON parameter read as a table (`jsonb_to_recordset`, `json_each`): one statement per batch, not per
row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Integer,
    String,
    Text,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import FromClause

from cobro.adapters.db.inserts import insert_absent
from cobro.adapters.db.planning import SqlPlanning
from cobro.adapters.db.tables import creditors, debtors, outbox
from cobro.app.ports import QueuedBatch, SendRecipient
from cobro.domain.contact import MessageKind
from cobro.domain.errors import InvalidInput
from cobro.domain.messaging import MessageStatus, StatusUpdate, merged_status
from cobro.domain.outbox import (
    RECONCILABLE_STATES,
    OutboxChange,
    OutboxItem,
    OutboxRecord,
    OutboxState,
    PreparedMessage,
    idempotency_key_from_callback,
)

_o = outbox.c
# The fields of OutboxItem and OutboxRecord, by name.
_ITEM_COLUMNS = (
    _o.id, _o.idempotency_key, _o.creditor_id, _o.debtor_id, _o.account_id, _o.kind, _o.stage, _o.template,
    _o.language, _o.phone_number_id, _o.attempts, _o.to_address, _o.conversation_id,
)  # fmt: skip
_ITEM_WITH_CONTENT = (*_ITEM_COLUMNS, _o.payload)
_RECORD_COLUMNS = (
    _o.id, _o.idempotency_key, _o.creditor_id, _o.debtor_id, _o.account_id, _o.kind, _o.template, _o.state,
    _o.due_at, _o.attempts, _o.updated_at, _o.wamid, _o.error_code, _o.reason,
)  # fmt: skip
# Ids per statement: far below SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
_CHUNK = 500
# Plain strings: psycopg would bind an Enum member by its name.
_RECONCILABLE = tuple(sorted(state.value for state in RECONCILABLE_STATES))
_RESOLVABLE_FROM = (OutboxState.REVIEW.value, OutboxState.UNKNOWN.value)
# Per-row values of `settle` and `reconcile`, by column name and type (the JSON rows' fields).
_Fields = tuple[tuple[str, Any], ...]
_SENT_FIELDS: _Fields = (("id", BigInteger), ("wamid", String), ("payload", JSON))
_RETRY_FIELDS: _Fields = (
    ("id", BigInteger), ("due_at", DateTime(timezone=True)), ("error_code", Integer), ("reason", Text),
    ("refund", Integer),
)  # fmt: skip
_STOP_FIELDS: _Fields = (("id", BigInteger), ("error_code", Integer), ("reason", Text))
_RECONCILE_FIELDS: _Fields = (
    ("key", String), ("wamid", String), ("state", String), ("sent_at", DateTime(timezone=True)),
    ("error_code", Integer), ("reason", Text),
)  # fmt: skip
_json = msgspec.json.Encoder()


class SqlOutbox:
    """The outbox table on one connection, inside the unit of work's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgresql = connection.dialect.name == "postgresql"
        self._timestamp = _json_timestamp(connection)

    def queue_due(self, now: datetime, limit: int, batch_size: int) -> list[QueuedBatch]:
        """Moves up to `limit` due `planned` rows, oldest due first, to `queued`; batches per sending number."""
        due = _o.state == OutboxState.PLANNED.value, _o.due_at <= now
        picked = self._picked(select(_o.id).where(*due).order_by(_o.due_at, _o.id).limit(limit))
        statement = (
            update(outbox)
            .where(_o.id.in_(picked), *due)
            .values(state=OutboxState.QUEUED.value, queued_at=now, updated_at=now)
            .returning(_o.id, _o.phone_number_id)
        )
        return _batches(self._connection.execute(statement).all(), batch_size)

    def requeue_stale(
        self, queued_before: datetime, now: datetime, limit: int, batch_size: int
    ) -> list[QueuedBatch]:
        """Rows `queued` since before `queued_before` (their task was lost): stamped queued at `now`, returned."""
        stale = _o.state == OutboxState.QUEUED.value, _o.queued_at < queued_before
        picked = self._picked(select(_o.id).where(*stale).order_by(_o.queued_at, _o.id).limit(limit))
        statement = (
            update(outbox)
            .where(_o.id.in_(picked), *stale)
            .values(queued_at=now, updated_at=now)
            .returning(_o.id, _o.phone_number_id)
        )
        return _batches(self._connection.execute(statement).all(), batch_size)

    def claim(
        self, ids: Sequence[int], worker: str, now: datetime, lease_until: datetime
    ) -> list[OutboxItem]:
        """Moves those of `ids` still `queued` to `sending` for `worker` (attempts + 1); returns them by id.

        On PostgreSQL the rows are locked in id order first (FOR UPDATE, waiting): a second claim of the same
        ids waits for the first to commit, then finds them no longer `queued` and takes none of them.
        """
        claimed: list[OutboxItem] = []
        queued = _o.state == OutboxState.QUEUED.value
        for chunk in _chunks(sorted(set(ids))):
            match = (_o.id.in_(chunk), queued)
            statement = (
                update(outbox)
                .where(*match, *self._in_id_order(select(_o.id).where(*match)))
                .values(
                    state=OutboxState.SENDING.value,
                    claimed_by=worker,
                    claimed_at=now,
                    lease_until=lease_until,
                    attempts=_o.attempts + 1,
                    updated_at=now,
                )
                .returning(*_ITEM_WITH_CONTENT)
            )
            claimed.extend(_item(row) for row in self._connection.execute(statement))
        return sorted(claimed, key=lambda item: item.id)

    def add_prepared(self, messages: Sequence[PreparedMessage], now: datetime) -> dict[str, int]:
        """Stores each prepared message as a `planned` row once per idempotency key (a key already stored is
        left alone); returns the row id of every key, new or not."""
        if not messages:
            return {}
        keys = [m.idempotency_key for m in messages]
        rows = [
            {
                "idempotency_key": m.idempotency_key,
                "creditor_id": m.creditor_id,
                "debtor_id": m.debtor_id,
                "account_id": m.account_id,
                "conversation_id": m.conversation_id,
                "phone_number_id": m.phone_number_id,
                "to_address": m.to_address,
                "kind": m.kind.value,
                "template": m.template,
                "language": m.language,
                "state": OutboxState.PLANNED.value,
                "due_at": m.due_at,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                "payload": m.stored_content(),
            }
            for m in messages
        ]
        insert_absent(self._connection, outbox, rows, ["idempotency_key"])
        found = self._connection.execute(
            select(_o.idempotency_key, _o.id).where(_o.idempotency_key.in_(keys))
        ).all()
        return {row.idempotency_key: row.id for row in found}

    def settle(self, changes: Sequence[OutboxChange], worker: str, now: datetime) -> list[int]:
        """Applies each change only to a row `worker` still holds in `sending`: one UPDATE per target state;
        returns the ids changed, ascending."""
        by_state: dict[OutboxState, dict[int, OutboxChange]] = defaultdict(dict)
        for change in changes:
            by_state[change.state][change.id] = change  # the last change of a row wins
        held = (_o.state == OutboxState.SENDING.value, _o.claimed_by == worker)
        changed: list[int] = []
        for state, group in sorted(by_state.items()):
            ordered = [group[id_] for id_ in sorted(group)]
            if state is OutboxState.SENT:
                fields = _SENT_FIELDS
                rows = [{"id": c.id, "wamid": c.wamid, "payload": c.payload} for c in ordered]
            elif state is OutboxState.PLANNED:
                fields = _RETRY_FIELDS
                rows = [
                    {"id": c.id, "due_at": self._timestamp(c.due_at or now), "error_code": c.error_code,
                     "reason": c.reason, "refund": 1 if c.refund_attempt else 0}
                    for c in ordered
                ]  # fmt: skip
            elif state in (OutboxState.FAILED, OutboxState.UNKNOWN, OutboxState.CANCELLED):
                fields = _STOP_FIELDS
                rows = [{"id": c.id, "error_code": c.error_code, "reason": c.reason} for c in ordered]
            else:
                raise ValueError(f"a worker cannot settle a row as {state.value!r}")
            x = self._rows(fields)
            values: dict[str, Any] = {"state": state.value, "lease_until": None, "updated_at": now}
            if state is OutboxState.SENT:
                values.update(wamid=x.c.wamid, payload=x.c.payload, sent_at=now, error_code=None, reason=None)
            elif state is OutboxState.PLANNED:
                values.update(
                    due_at=x.c.due_at, error_code=x.c.error_code, reason=x.c.reason, queued_at=None,
                    claimed_by=None, claimed_at=None, attempts=_o.attempts - x.c.refund,
                )  # fmt: skip
            else:
                values.update(error_code=x.c.error_code, reason=x.c.reason)
            match = (_o.id == x.c.id, *held)
            ordered_locks = self._in_id_order(select(_o.id).where(*match))
            statement = update(outbox).where(*match, *ordered_locks).values(values).returning(_o.id)
            changed.extend(self._connection.execute(statement, {"rows": _encode(rows)}).scalars())
        return sorted(changed)

    def release(self, ids: Sequence[int], worker: str, now: datetime) -> int:
        """Puts rows `worker` claimed but never tried to send back to `queued`; the claim's attempt is undone."""
        released = 0
        for chunk in _chunks(sorted(set(ids))):
            match = (_o.id.in_(chunk), _o.state == OutboxState.SENDING.value, _o.claimed_by == worker)
            statement = (
                update(outbox)
                .where(*match, *self._in_id_order(select(_o.id).where(*match)))
                .values(
                    state=OutboxState.QUEUED.value,
                    claimed_by=None,
                    claimed_at=None,
                    lease_until=None,
                    attempts=case((_o.attempts > 0, _o.attempts - 1), else_=0),
                    updated_at=now,
                )
                .returning(_o.id)
            )
            released += len(self._connection.execute(statement).all())
        return released

    def expire_leases(self, now: datetime, limit: int) -> list[OutboxRecord]:
        """`sending` rows whose lease ran out before `now`: moved to `unknown` with the reason, returned."""
        expired = _o.state == OutboxState.SENDING.value, _o.lease_until < now
        picked = self._picked(select(_o.id).where(*expired).order_by(_o.lease_until, _o.id).limit(limit))
        reason = (
            _text("the worker holding the claim (")
            + func.coalesce(_o.claimed_by, "?")
            + _text(") stopped before recording an outcome (lease expired at ")
            + self._utc_text(_o.lease_until)
            + _text(" UTC); the request may have reached WhatsApp")
        )
        statement = (
            update(outbox)
            .where(_o.id.in_(picked), *expired)
            .values(state=OutboxState.UNKNOWN.value, reason=reason, lease_until=None, updated_at=now)
            .returning(*_RECORD_COLUMNS)
        )
        return _records(self._connection.execute(statement))

    def hand_over_unknown(self, unknown_before: datetime, now: datetime, limit: int) -> list[OutboxRecord]:
        """`unknown` rows unchanged since before `unknown_before`: moved to `review` for a person, the reason
        kept and extended; returned."""
        waiting = _o.state == OutboxState.UNKNOWN.value, _o.updated_at < unknown_before
        picked = self._picked(select(_o.id).where(*waiting).order_by(_o.updated_at, _o.id).limit(limit))
        note = (
            f"no status webhook arrived for it by {now:%Y-%m-%d %H:%M:%S} UTC: a person must decide whether it "
            "went out; it is never resent automatically"
        )
        reason = func.coalesce(_o.reason + _text("; "), "") + _text(note)
        statement = (
            update(outbox)
            .where(_o.id.in_(picked), *waiting)
            .values(state=OutboxState.REVIEW.value, reason=reason, updated_at=now)
            .returning(*_RECORD_COLUMNS)
        )
        return _records(self._connection.execute(statement))

    def reconcile(self, statuses: Sequence[StatusUpdate], now: datetime) -> list[OutboxRecord]:
        """Settles rows in a RECONCILABLE state from the statuses whose callback data names their key: `sent`
        with the wamid, or `failed` when the statuses report a failure and no delivery. One UPDATE."""
        by_key: dict[str, list[StatusUpdate]] = defaultdict(list)
        for status in statuses:
            key = idempotency_key_from_callback(status.biz_opaque_callback_data)
            if key is not None:
                by_key[key].append(status)
        rows: list[dict[str, Any]] = []
        wamids: set[str] = set()
        for key in sorted(by_key):
            found = by_key[key]
            wamid = found[0].wamid
            if wamid in wamids:
                continue  # two keys naming one message: the first keeps it (the wamid is unique)
            wamids.add(wamid)
            merged = merged_status(s.status for s in found)
            first = min(s.timestamp for s in found)
            if merged is MessageStatus.FAILED:
                failure = next(s for s in found if s.status is MessageStatus.FAILED)
                reason = f"WhatsApp reported it failed: [{failure.error_code}] {failure.error_title or ''}"
                rows.append(
                    {"key": key, "wamid": wamid, "state": OutboxState.FAILED.value, "sent_at": None,
                     "error_code": failure.error_code, "reason": reason.rstrip()}
                )  # fmt: skip
            else:
                rows.append(
                    {"key": key, "wamid": wamid, "state": OutboxState.SENT.value,
                     "sent_at": self._timestamp(first), "error_code": None, "reason": None}
                )  # fmt: skip
        if not rows:
            return []
        x = self._rows(_RECONCILE_FIELDS)
        other = outbox.alias("other")
        # Only a row without a wamid takes the status's, and only when no other row has it.
        free = _o.wamid.is_(None) & ~exists().where(other.c.wamid == x.c.wamid)
        match = (_o.idempotency_key == x.c.key, _o.state.in_(_RECONCILABLE))
        statement = (
            update(outbox)
            .where(*match, *self._in_id_order(select(_o.id).where(*match)))
            .values(
                state=x.c.state,
                wamid=case((free, x.c.wamid), else_=_o.wamid),
                sent_at=func.coalesce(_o.sent_at, x.c.sent_at),
                error_code=x.c.error_code,
                reason=x.c.reason,
                lease_until=None,
                updated_at=now,
            )
            .returning(*_RECORD_COLUMNS)
        )
        settled = _records(self._connection.execute(statement, {"rows": _encode(rows)}))
        return sorted(settled, key=lambda record: record.id)

    def counts(self, states: Collection[OutboxState] | None = None) -> dict[OutboxState, int]:
        """Rows per state (every state of `states`, or of OutboxState, is present, zero when empty)."""
        wanted = sorted(states) if states is not None else list(OutboxState)
        query = select(_o.state, func.count()).group_by(_o.state)
        if states is not None:
            query = query.where(_o.state.in_([s.value for s in wanted]))
        found = dict.fromkeys(wanted, 0)
        for state, count in self._connection.execute(query):
            found[OutboxState(state)] = int(count)
        return found

    def records(self, states: Collection[OutboxState], limit: int, after_id: int = 0) -> list[OutboxRecord]:
        """Rows in any of `states`, by id, after `after_id`."""
        query = (
            select(*_RECORD_COLUMNS)
            .where(_o.state.in_(sorted(s.value for s in states)), _o.id > after_id)
            .order_by(_o.id)
            .limit(limit)
        )
        return _records(self._connection.execute(query))

    def resolve(
        self, outbox_id: int, state: OutboxState, reason: str, now: datetime, wamid: str | None = None
    ) -> bool:
        """A person's decision on a row in `review` or `unknown`: `sent` (with the wamid when known), `failed`
        or `planned` (due now). False when the row is in neither state; InvalidInput (nothing changed) for
        another target state, or a wamid another row, or this row, already has otherwise."""
        match = [_o.id == outbox_id, _o.state.in_(_RESOLVABLE_FROM)]
        values: dict[str, Any] = {
            "state": state.value,
            "reason": reason,
            "lease_until": None,
            "updated_at": now,
        }
        if state is OutboxState.SENT:
            values["sent_at"] = func.coalesce(_o.sent_at, now)
            if wamid is not None:
                other = outbox.alias("other")
                taken = exists().where(other.c.wamid == wamid, other.c.id != outbox_id)
                match += [or_(_o.wamid.is_(None), _o.wamid == wamid), ~taken]
                values["wamid"] = wamid
        elif state is OutboxState.PLANNED:
            values.update(due_at=now, queued_at=None, claimed_by=None, claimed_at=None)
        elif state is not OutboxState.FAILED:
            raise InvalidInput(f"a person resolves a row as sent, failed or planned, not {state.value!r}")
        statement = update(outbox).where(*match).values(values).returning(_o.id)
        if self._connection.execute(statement).first() is not None:
            return True
        if state is OutboxState.SENT and wamid is not None:
            # Say why the wamid was refused rather than answer "not in review".
            holder = select(_o.id).where(_o.wamid == wamid, _o.id != outbox_id)
            if (other_id := self._connection.execute(holder).scalar()) is not None:
                raise InvalidInput(f"{wamid} is already the message of outbox row {other_id}")
            own = select(_o.wamid).where(*match[:2])
            if (current := self._connection.execute(own).scalar()) is not None:
                raise InvalidInput(f"outbox row {outbox_id} already has {current}")
        return False

    def _picked(self, query: Any, skip_locked: bool = True) -> Any:
        """The ids `query` selects, for `id IN (...)`. On PostgreSQL they are locked first, once, in the query's
        order, skipping rows another transaction holds unless `skip_locked` is False (then it waits): a
        MATERIALIZED CTE, because as a plain `IN (subquery)` the planner may rescan the subquery for each
        row it updates, re-running its LIMIT and locks and so picking more rows than the limit. SQLite runs
        one writer at a time and evaluates the subquery once."""
        if not self._postgresql:
            return query
        locked = query.with_for_update(skip_locked=skip_locked, of=outbox)
        return select(locked.cte("picked").prefix_with("MATERIALIZED").c.id)

    def _in_id_order(self, candidates: Any) -> tuple[Any, ...]:
        """Conditions that lock the candidate rows in id order before they are updated (PostgreSQL): two
        transactions updating overlapping rows (a worker settling, a webhook reconciling) then take their
        locks in the same order and cannot deadlock. Nothing on SQLite (one writer)."""
        if not self._postgresql:
            return ()
        return (_o.id.in_(self._picked(candidates.order_by(_o.id), skip_locked=False)),)

    def _rows(self, fields: _Fields) -> FromClause:
        """The JSON parameter `rows` (an array of objects) as a table with these columns."""
        data = bindparam("rows", type_=String)
        if self._postgresql:
            columns = [column(name, kind) for name, kind in fields]
            return (
                func.jsonb_to_recordset(cast(data, JSONB))
                .table_valued(*columns)
                .render_derived(name="x", with_types=True)
            )
        each = func.json_each(data).table_valued("value")
        return select(
            *(func.json_extract(each.c.value, f"$.{name}").label(name) for name, _ in fields)
        ).subquery("x")

    def _utc_text(self, timestamp: Any) -> Any:
        """A timestamp column as 'YYYY-MM-DD HH:MM:SS' in UTC, in SQL."""
        if self._postgresql:
            return func.to_char(func.timezone("UTC", timestamp), "YYYY-MM-DD HH24:MI:SS")
        return func.strftime("%Y-%m-%d %H:%M:%S", timestamp)


class SqlSendContext:
    """Reads what a claimed row is re-checked and rendered with, as the planner reads it."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._planning = SqlPlanning(connection)

    def recipients(self, debtor_ids: Collection[int], since: datetime) -> dict[int, SendRecipient]:
        """Each existing debtor with their accounts, contact history since `since`, and the names, by id."""
        cases = self._planning.cases_of(debtor_ids, since)
        if not cases:
            return {}
        d, c = debtors.c, creditors.c
        query = (
            select(d.id, d.name, c.name, c.language)
            .join(creditors, c.id == d.creditor_id)
            .where(d.id.in_([case.debtor.id for case in cases]))
        )
        names = {row[0]: row[1:] for row in self._connection.execute(query)}
        return {
            case.debtor.id: SendRecipient(
                debtor=case.debtor,
                debtor_name=names[case.debtor.id][0],
                creditor_name=names[case.debtor.id][1],
                creditor_language=names[case.debtor.id][2],
                accounts=case.accounts,
                history=case.history,
            )
            for case in cases
        }


def _batches(rows: Sequence[Any], batch_size: int) -> list[QueuedBatch]:
    """Queued (id, phone_number_id) rows as batches of at most `batch_size` ids per number, ids ascending."""
    by_number: dict[str | None, list[int]] = defaultdict(list)
    for id_, number in rows:
        by_number[number].append(id_)
    size = max(batch_size, 1)
    batches = []
    for number in sorted(by_number, key=lambda n: (n is not None, n or "")):
        ids = sorted(by_number[number])
        batches.extend(QueuedBatch(number, tuple(ids[i : i + size])) for i in range(0, len(ids), size))
    return batches


def _item(row: Any) -> OutboxItem:
    fields = dict(row._mapping)
    payload = fields.pop("payload", None)
    # Only a prepared message's row carries content before it is sent (the planner's rows render at send time).
    content = payload if isinstance(payload, dict) and payload.get("type") else None
    return OutboxItem(**{**fields, "kind": MessageKind(row.kind), "content": content})


def _records(rows: Any) -> list[OutboxRecord]:
    found = [OutboxRecord(**{**row._mapping, "state": OutboxState(row.state)}) for row in rows]
    return sorted(found, key=lambda record: record.id)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _text(value: str) -> Any:
    return literal(value, String)


def _encode(rows: list[dict[str, Any]]) -> str:
    return _json.encode(rows).decode()


def _json_timestamp(connection: Connection) -> Callable[[datetime], Any]:
    """How a timestamp goes into a JSON row: ISO 8601 for PostgreSQL to parse; for SQLite, the very text the
    UTCDateTime column stores (its comparisons are textual)."""
    if connection.dialect.name == "postgresql":
        return lambda value: value
    stored = outbox.c.due_at.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    assert stored is not None
    return lambda value: stored(value)
