"""PostgreSQL bulk writes for the webhook path: rows go in by COPY, through a session-local staging table
when the database must still decide which of them are new or which rows they change.

COPY sends rows in psycopg's compact row format and no SQL text per row: for a batch of a few thousand
statuses it is several times faster than a multi-row INSERT, whose long text psycopg parses again for every
batch, or than one UPDATE per row (bench/statuses.py). The staging tables are temporary (one per connection,
created on first use) and emptied after each use, so they hold nothing between transactions.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection


def copy_rows(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Appends rows to `table` with COPY, in the connection's transaction (no unique key is checked but the
    table's own)."""
    with _cursor(connection) as cursor, cursor.copy(_copy_statement(table, columns)) as copy:
        for row in rows:
            copy.write_row(row)


def insert_absent(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    keys: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Inserts the rows whose `keys` are not taken, in key order; returns the keys of the rows it inserted.

    The rows must be unique by their keys. They are copied into a staging table and moved with one
    `INSERT ... SELECT ... ORDER BY <keys> ON CONFLICT DO NOTHING RETURNING`: the key order makes concurrent
    transactions take the key locks in the same order, so they wait for each other instead of deadlocking.
    """
    stage = f"{table}_stage"
    names, key_names = ", ".join(columns), ", ".join(keys)
    with _cursor(connection) as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.copy(_copy_statement(stage, columns)) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ORDER BY {key_names} "
            f"ON CONFLICT ({key_names}) DO NOTHING RETURNING {key_names}"
        )
        inserted = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(f"TRUNCATE {stage}")
    return inserted


# One row per message to move forward: the new status, its causal rank and time, and the error it reports.
_ADVANCE_STAGE = "whatsapp_messages_advance"
_ADVANCE_COLUMNS = ("wamid", "rank", "status", "status_at", "error_code", "error_title")


def advance_messages(
    connection: Connection,
    updates: Sequence[tuple[str, int, str, datetime, int | None, str | None]],
    stored_rank: str,
) -> None:
    """Moves outbound messages forward: each row (wamid, rank, status, at, error code, error title) applies
    only when its rank is above `stored_rank` (an SQL expression over the row `m`).

    The rows are locked first, in wamid order, so two transactions moving overlapping messages wait for each
    other rather than deadlock (a joined UPDATE alone locks in whatever order its plan visits rows). The order
    is byte order (COLLATE "C"), which for UTF-8 is Python's string order, the one the other writers of
    whatsapp_messages send their rows in, whatever the database's collation.
    """
    with _cursor(connection) as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_ADVANCE_STAGE} (wamid text, rank integer, status text, "
            "status_at timestamptz, error_code integer, error_title text)"
        )
        with cursor.copy(_copy_statement(_ADVANCE_STAGE, _ADVANCE_COLUMNS)) as copy:
            for row in updates:
                copy.write_row(row)
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM whatsapp_messages WHERE wamid IN "
            f'(SELECT wamid FROM {_ADVANCE_STAGE}) ORDER BY wamid COLLATE "C" FOR UPDATE) AS locked'
        )
        cursor.execute(
            "UPDATE whatsapp_messages AS m SET status = u.status, status_at = u.status_at, "
            "error_code = coalesce(u.error_code, m.error_code), "
            "error_title = coalesce(u.error_title, m.error_title) "
            f"FROM {_ADVANCE_STAGE} AS u WHERE m.wamid = u.wamid AND m.direction = 'out' "
            f"AND u.rank > {stored_rank}"
        )
        cursor.execute(f"TRUNCATE {_ADVANCE_STAGE}")


def select_by_wamids(connection: Connection, query: str, wamids: Collection[str]) -> list[tuple[Any, ...]]:
    """Runs `query`, whose one parameter is the wamids as an array (`wamid = ANY(%s)`): one short statement
    text whatever the number of wamids, so psycopg parses and PostgreSQL plans it once per connection."""
    with _cursor(connection) as cursor:
        cursor.execute(query, [list(wamids)])
        return [tuple(row) for row in cursor.fetchall()]


def json_text(value: Any) -> str | None:
    """A JSON column's value as COPY text, encoded as SQLAlchemy's JSON type encodes it (json.dumps)."""
    return None if value is None else json.dumps(value)


def utc(value: datetime) -> datetime:
    """A datetime for a UTC column; refuses a naive one, as the UTCDateTime column type does."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value


def _copy_statement(table: str, columns: Sequence[str]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def _cursor(connection: Connection) -> Any:
    """A psycopg cursor inside the SQLAlchemy connection's transaction."""
    return connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
