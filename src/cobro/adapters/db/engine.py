"""Engines for SQLite and PostgreSQL, with SQLite made to honour real transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys, a busy timeout and proper BEGIN."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: a database error's message would otherwise carry the bound values (phones, names,
        # amounts) into tracebacks that reach the logs past the masking processor.
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, hide_parameters=True)
        _make_sqlite_transactional(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True)


def _make_sqlite_transactional(engine: Engine) -> None:
    # pysqlite's own transaction handling skips BEGIN before DDL and SELECT; take control of it
    # (the recipe in SQLAlchemy's SQLite dialect docs) so a unit of work is one real transaction.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")
