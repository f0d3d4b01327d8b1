"""Fixtures of the scripted dialogues: the four debtors seeded, the web app on the fixed clock, a language.

Every dialogue runs in the four languages on SQLite; on PostgreSQL each test function runs once, in one of
the languages (chosen by its name, so all four are covered across the functions): what the database does
does not depend on the language, and the PostgreSQL runs cost most of the time. The PostgreSQL database is
emptied with DELETEs rather than the shared fixture's TRUNCATE (10x faster for these few rows).
"""

from __future__ import annotations

import shutil
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.tables import metadata
from cobro.bootstrap import bootstrap, load_settings
from cobro.entrypoints.web.app import create_app
from tests.conftest import BACKENDS
from tests.integration.conversations.dialogue import LANGUAGES, PUBLIC_URL, SECRET, Harness, Seeded, seed

HERE = Path(__file__).resolve().parent


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend (the shared fixture's, emptied faster on PostgreSQL)."""
    if request.param == "sqlite":
        target = tmp_path / "cobro.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_migrated")
    engine = make_engine(url)
    with engine.begin() as connection:
        # audit_events refuses DELETE (an append-only trigger); replica mode skips triggers for this reset.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    return url


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, keeps one item per test function of this package (see the module docstring)."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    chosen: dict[str, pytest.Item] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        if Path(str(item.path)).parent != HERE or callspec is None:
            continue
        if callspec.params.get("database_url") != "postgresql":
            continue
        function = item.originalname if isinstance(item, pytest.Function) else item.name
        wanted = LANGUAGES[zlib.crc32(function.encode()) % len(LANGUAGES)]
        current = chosen.get(function)
        if current is None or (
            callspec.params.get("lang") == wanted and current.callspec.params.get("lang") != wanted  # type: ignore[attr-defined]
        ):
            chosen[function] = item
    keep = {id(item) for item in chosen.values()}
    for item in items:
        callspec = getattr(item, "callspec", None)
        is_ours = Path(str(item.path)).parent == HERE and callspec is not None
        if is_ours and callspec.params.get("database_url") == "postgresql" and id(item) not in keep:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=LANGUAGES)
def lang(request: pytest.FixtureRequest) -> str:
    """The conversation language of the test: es, en, pt, it."""
    return str(request.param)


@pytest.fixture
def seeded(uow_factory, clock, engine) -> dict[str, Seeded]:
    return seed(uow_factory, clock, engine)


@pytest.fixture
def app_secret() -> str:
    """The WhatsApp app secret webhooks are signed with."""
    return SECRET


@pytest.fixture
def harness(database_url, clock, engine, seeded, app_secret) -> Iterator[Harness]:
    """The web app on the test database and the fixed clock, the bot answering, nothing planned."""
    settings = load_settings(
        database_url=database_url,
        whatsapp_app_secret=app_secret,
        public_url=PUBLIC_URL,
        plan_every_seconds=0,
        bot_enabled=True,
    )
    container = bootstrap(settings, clock=clock)
    with TestClient(create_app(container)) as client:
        deadline = time.monotonic() + 60  # the classifier trains once per process
        while not all(task.done() for task in client.app.state.background):
            assert time.monotonic() < deadline, "the startup tasks did not finish"
            time.sleep(0.01)
        yield Harness(client, engine, clock, container, seeded, app_secret)
