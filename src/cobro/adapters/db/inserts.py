"""Inserts that leave a taken key alone, the same on SQLite and PostgreSQL (`ON CONFLICT DO NOTHING`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT for `table` (it has `on_conflict_do_nothing`)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_absent(
    connection: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> list[tuple[Any, ...]]:
    """Inserts the rows whose keys are not taken; returns the keys of the rows it inserted.

    One cached statement run with many parameter sets: SQLAlchemy's "insertmanyvalues" sends it as a few
    multi-row INSERTs with RETURNING. Building `insert().values(<rows>)` per call instead compiled a new
    statement every time, which cost more than the database work (bench/statuses.py).
    """
    if not rows:
        return []
    statement = _insert_absent_statement(connection.dialect.name, table, tuple(keys))
    return [tuple(row) for row in connection.execute(statement, rows)]


@cache
def _insert_absent_statement(dialect_name: str, table: Table, keys: tuple[str, ...]) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(*(table.c[k] for k in keys))
    )
