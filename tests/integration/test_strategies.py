"""Strategies stored per creditor in versions, on SQLite and PostgreSQL; the use cases and `cobro strategy`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cobro.adapters.db.strategies import SqlStrategyRepository
from cobro.adapters.strategy_documents import StrategyDocumentError, dump_strategy, parse_strategy_document
from cobro.app.creditors import add_creditor
from cobro.app.strategies import current_strategy, set_strategy, strategy_in_force, strategy_versions
from cobro.domain.errors import NotFound
from cobro.domain.events import EventKind
from cobro.entrypoints.cli import strategies as strategy_cli

DEFAULT_TEXT = (resources.files("cobro") / "strategies" / "default.yaml").read_text()


class StrategiesOn:
    """Units of work with `strategies`, whether or not SqlUnitOfWork builds it yet."""

    def __init__(self, uow_factory: Any, clock: Any) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def __call__(self) -> Any:
        return _Entered(self.uow_factory(), self.clock)


class _Entered:
    def __init__(self, uow: Any, clock: Any) -> None:
        self.uow = uow
        self.clock = clock

    def __enter__(self) -> Any:
        entered = self.uow.__enter__()
        if not hasattr(entered, "strategies"):
            entered.strategies = SqlStrategyRepository(entered.connection, self.clock)
        return entered

    def __exit__(self, *exc: Any) -> None:
        self.uow.__exit__(*exc)


@pytest.fixture
def acme(uow_factory, clock) -> int:
    creditor = add_creditor(uow_factory, clock, slug="acme", name="Acme", country="MX", currency="MXN")
    assert creditor.id is not None
    return creditor.id


@pytest.fixture
def factory(uow_factory, clock) -> StrategiesOn:
    return StrategiesOn(uow_factory, clock)


def test_versions_count_up_per_creditor_and_the_newest_is_current(uow_factory, clock, acme):
    other = add_creditor(uow_factory, clock, slug="other", name="Other", country="CO", currency="COP").id
    with uow_factory() as uow:
        repository = SqlStrategyRepository(uow.connection, clock)
        assert repository.current(acme) is None
        assert repository.add(acme, "first", {"name": "first"}, "ana") == 1
        assert repository.add(other, "theirs", {"name": "theirs"}, "ana") == 1
        assert repository.add(acme, "second", {"name": "second", "nested": [1, {"a": "b"}]}, "luis") == 2
        uow.commit()
    with uow_factory() as uow:
        repository = SqlStrategyRepository(uow.connection, clock)
        assert repository.current(acme) == (2, {"name": "second", "nested": [1, {"a": "b"}]})
        assert repository.current(other) == (1, {"name": "theirs"})
        versions = repository.versions(acme)
    assert [(v.version, v.name, v.created_by) for v in versions] == [
        (1, "first", "ana"),
        (2, "second", "luis"),
    ]
    assert versions[0].created_at == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_adding_for_an_unknown_creditor_is_not_found(uow_factory, clock):
    with uow_factory() as uow, pytest.raises(NotFound):
        SqlStrategyRepository(uow.connection, clock).add(999, "x", {}, "ana")


def test_a_rolled_back_version_leaves_no_gap(uow_factory, clock, acme):
    with uow_factory() as uow:
        SqlStrategyRepository(uow.connection, clock).add(acme, "dropped", {}, "ana")  # never committed
    with uow_factory() as uow:
        assert SqlStrategyRepository(uow.connection, clock).add(acme, "kept", {}, "ana") == 1


def test_set_strategy_stores_the_normalised_document_and_an_audit_event(factory, uow_factory, clock, acme):
    text = DEFAULT_TEXT.replace("action: cadence", "action: stop").replace("Cobro default", "Acme strict")
    version = set_strategy(
        factory, clock, "acme", text, "ana@acme", parse=parse_strategy_document, dump=dump_strategy
    )
    assert version == 1
    with factory() as uow:
        stored = strategy_in_force(uow, acme, parse_strategy_document)
        document = uow.strategies.current(acme)[1]
        events = uow.events.recent(EventKind.STRATEGY_CHANGED)
    assert stored.version == 1
    assert stored.strategy.name == "Acme strict"
    assert stored.strategy.ladder[-1].template == "cobro_final_notice_last_message"
    assert document == dump_strategy(stored.strategy)
    assert [(e.actor, e.creditor_id, e.data) for e in events] == [
        ("ana@acme", acme, {"version": 1, "previous_version": None, "name": "Acme strict"})
    ]
    assert (
        set_strategy(factory, clock, "acme", text, "ana", parse=parse_strategy_document, dump=dump_strategy)
        == 2
    )


def test_a_bad_document_stores_nothing(factory, clock, acme):
    with pytest.raises(StrategyDocumentError):
        set_strategy(
            factory, clock, "acme", "name: x\n", "ana", parse=parse_strategy_document, dump=dump_strategy
        )
    assert strategy_versions(factory, "acme") == []


def test_without_a_stored_version_the_packaged_default_is_in_force(factory, acme):
    with factory() as uow:
        found = strategy_in_force(uow, acme, parse_strategy_document)
        strategy = current_strategy(uow, acme, parse_strategy_document)
    assert found.version is None
    assert strategy == parse_strategy_document(DEFAULT_TEXT)
    assert (strategy.after.value, strategy.ladder[-1].template) == ("cadence", "cobro_final_notice_checkins")


def test_a_creditor_who_switches_to_an_agent_gets_the_agent_final_notice(factory, clock, acme):
    text = DEFAULT_TEXT.replace("action: cadence", "action: hand_to_agent")
    set_strategy(factory, clock, "acme", text, "ana", parse=parse_strategy_document, dump=dump_strategy)
    with factory() as uow:
        stored = strategy_in_force(uow, acme, parse_strategy_document)
    assert stored.version == 1
    assert (stored.strategy.after.value, stored.strategy.ladder[-1].template) == (
        "hand_to_agent",
        "cobro_final_notice_agent",
    )
    assert stored.strategy.plan_for(("age_90_plus",))[-1].stage.id == "final_notice"  # no check-ins


def test_an_unknown_creditor_slug_is_not_found(factory, clock):
    with pytest.raises(NotFound, match="no creditor 'nobody'"):
        set_strategy(
            factory, clock, "nobody", DEFAULT_TEXT, "ana", parse=parse_strategy_document, dump=dump_strategy
        )


# --- the CLI --------------------------------------------------------------------------------------------


@pytest.fixture
def cli(database_url, acme):
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(strategy_cli.app, list(args), env={"COBRO_DATABASE_URL": database_url})

    return run


def test_cli_set_then_show_and_versions(cli, tmp_path: Path):
    path = tmp_path / "strategy.yaml"
    path.write_text(DEFAULT_TEXT.replace("name: Cobro default", "name: Acme v1"))
    assert "the packaged default (none stored)" in cli("show", "--creditor", "acme").stdout
    stored = cli("set", "--creditor", "acme", str(path))
    assert stored.exit_code == 0, stored.output
    assert stored.stdout.strip() == "strategy version 1 stored for acme"
    shown = cli("show", "--creditor", "acme")
    assert "strategy 'Acme v1' for acme: version 1" in shown.stdout
    assert "long_debt" in shown.stdout
    assert "after the ladder: cadence" in shown.stdout
    as_json = json.loads(cli("show", "--creditor", "acme", "--json").stdout)
    assert (as_json["version"], as_json["document"]["name"]) == (1, "Acme v1")
    assert as_json["document"]["ladder"][-1]["template"]["cadence"] == "cobro_final_notice_checkins"
    listed = cli("versions", "--creditor", "acme").stdout
    assert "Acme v1" in listed
    assert "cli" in listed


def test_cli_set_with_a_bad_document_prints_each_problem_and_stores_nothing(cli, tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        DEFAULT_TEXT.replace("days: [7, 10]", "days: [2, 10]").replace(
            "menu: [PAY_NOW, MORE_TIME", "menu: [PAY, MORE_TIME"
        )
    )
    result = cli("set", "--creditor", "acme", str(path))
    assert result.exit_code == 1
    assert "ladder[0].menu[0]: Input should be" in result.output
    assert "nothing was stored: 1 problem(s) in bad.yaml" in result.output
    assert "no strategy stored for acme" in cli("versions", "--creditor", "acme").stdout


def test_cli_schema_prints_the_json_schema(cli):
    result = cli("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "StrategyDocument"


def test_concurrent_adds_on_postgresql_take_turns_and_get_consecutive_versions(
    database_url, uow_factory, clock, acme
):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has a single writer; the row lock is a PostgreSQL matter")
    import threading

    results: list[int] = []
    with uow_factory() as first:
        assert SqlStrategyRepository(first.connection, clock).add(acme, "a", {}, "ana") == 1

        def second() -> None:
            with uow_factory() as uow:
                results.append(SqlStrategyRepository(uow.connection, clock).add(acme, "b", {}, "luis"))
                uow.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # waiting for the creditor row that the first transaction holds
        first.commit()
    thread.join(10)
    assert results == [2]
