"""Use cases for collection strategies: store a new version, read the one in force (or the default)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from cobro.app.uow import UnitOfWork, UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.errors import NotFound
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.strategy import Strategy, StrategyVersion

# Reads a strategy document (YAML or JSON text) into a Strategy; raises an InvalidInput subclass naming the
# path of every problem. The adapter's parser is passed in by the entrypoint, like WebhookParser.
StrategyParser = Callable[[str], Strategy]
# Writes a Strategy back as a document (every default spelled out), the form that is stored.
StrategyDumper = Callable[[Strategy], dict[str, Any]]


StrategyUnitOfWork = UnitOfWork
StrategyUnitOfWorkFactory = UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class StrategyInForce:
    """The strategy a creditor's accounts are planned with, and where it comes from."""

    strategy: Strategy
    version: int | None  # None: the packaged default (the creditor has stored none)


def default_strategy_text() -> str:
    """The packaged default strategy document (YAML, with comments explaining each choice)."""
    return (resources.files("cobro") / "strategies" / "default.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def default_strategy(parse: StrategyParser) -> Strategy:
    """The packaged default strategy, parsed once per parser."""
    return parse(default_strategy_text())


def set_strategy(
    uow_factory: StrategyUnitOfWorkFactory,
    clock: Clock,
    creditor_slug: str,
    document_text: str,
    actor: str,
    *,
    parse: StrategyParser,
    dump: StrategyDumper,
) -> int:
    """Checks a strategy document and stores it as the creditor's next version; returns the version."""
    strategy = parse(document_text)  # a bad document raises before anything is opened or stored
    with uow_factory() as uow:
        creditor = uow.creditors.get(creditor_slug)
        if creditor is None or creditor.id is None:
            raise NotFound(f"no creditor {creditor_slug!r}; add it with 'cobro creditor add'")
        previous = uow.strategies.current(creditor.id)
        version = uow.strategies.add(creditor.id, strategy.name, dump(strategy), actor)
        uow.events.append(
            AuditEvent(
                kind=EventKind.STRATEGY_CHANGED,
                occurred_at=clock.now(),
                actor=actor,
                creditor_id=creditor.id,
                data={
                    "version": version,
                    "previous_version": previous[0] if previous is not None else None,
                    "name": strategy.name,
                },
            )
        )
        uow.commit()
        return version


def current_strategy(uow: StrategyUnitOfWork, creditor_id: int, parse: StrategyParser) -> Strategy:
    """The creditor's strategy in force: its newest stored version, or the packaged default."""
    return strategy_in_force(uow, creditor_id, parse).strategy


def strategy_in_force(uow: StrategyUnitOfWork, creditor_id: int, parse: StrategyParser) -> StrategyInForce:
    """The creditor's strategy in force with its version (None for the packaged default)."""
    stored = uow.strategies.current(creditor_id)
    if stored is None:
        return StrategyInForce(default_strategy(parse), None)
    version, document = stored
    return StrategyInForce(parse(json.dumps(document)), version)


def show_strategy(
    uow_factory: StrategyUnitOfWorkFactory, creditor_slug: str, parse: StrategyParser
) -> StrategyInForce:
    """The strategy in force for the creditor with this slug."""
    with uow_factory() as uow:
        return strategy_in_force(uow, _creditor_id(uow, creditor_slug), parse)


def strategy_versions(uow_factory: StrategyUnitOfWorkFactory, creditor_slug: str) -> list[StrategyVersion]:
    """Every stored version of the creditor's strategy, oldest first."""
    with uow_factory() as uow:
        return uow.strategies.versions(_creditor_id(uow, creditor_slug))


def _creditor_id(uow: StrategyUnitOfWork, slug: str) -> int:
    creditor = uow.creditors.get(slug)
    if creditor is None or creditor.id is None:
        raise NotFound(f"no creditor {slug!r}; add it with 'cobro creditor add'")
    return creditor.id
