"""What the benchmarks share (not a benchmark: bench/run.py skips files starting with '_')."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

PG_URL = (
    os.environ.get("COBRO_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/cobro_test"
)


@contextmanager
def scratch_postgres_database(name: str) -> Iterator[str]:
    """A fresh database `name` on the test server (never the test database itself), dropped afterwards."""
    url = make_url(PG_URL)
    if url.database == name:
        raise SystemExit(f"COBRO_TEST_POSTGRES_URL already names {name}; give the test database's URL")
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    def run(statement: sql.Composable) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(statement)

    identifier = sql.Identifier(name)
    run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
    run(sql.SQL("CREATE DATABASE {}").format(identifier))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
