"""Fixtures shared by every test: a fixed clock, and databases on SQLite and PostgreSQL.

Every test that asks for `database_url` (directly or through `engine`/`uow_factory`) runs twice, once per
backend: the parameter is the database, not a copy of the test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cobro.adapters.db import migrate
from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.tables import metadata
from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.domain.clock import FixedClock

POSTGRES_URL = os.environ.get(
    "COBRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/cobro_test"
)
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def clock() -> FixedClock:
    """Monday 23 November 2026, noon UTC."""
    return FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "cobro.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    """The PostgreSQL test database, emptied and migrated once per session."""
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "cobro.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_migrated")
    engine = make_engine(url)
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine, clock: FixedClock) -> SqlUnitOfWorkFactory:
    """Units of work on the test database."""
    return SqlUnitOfWorkFactory(engine, clock)
