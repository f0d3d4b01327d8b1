"""Wires the planner's policy for the CLI, the scheduler and the benchmark: the rule book, public holidays,
each creditor's strategy in force and the templates Meta approved."""

from __future__ import annotations

import multiprocessing
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from functools import cache

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.adapters.holiday_calendar import HolidaysCalendar
from cobro.adapters.strategy_documents import parse_strategy_document
from cobro.app.plan_contacts import PlanningPolicy, PlanSummary, plan_contacts
from cobro.app.strategies import current_strategy
from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.clock import FixedClock
from cobro.domain.compliance import ComplianceGate, load_rule_book
from cobro.domain.strategy import Strategy


@cache
def shared_gate() -> ComplianceGate:
    """One gate per process: the rule book and holiday sets are read once and cached inside it."""
    return ComplianceGate(load_rule_book(), HolidaysCalendar())


def catalogue_pairs() -> frozenset[tuple[str, str]]:
    """Every (template, language) pair of the packaged catalogue, as if Meta had approved them all."""
    from cobro.domain.template_catalogue import load_catalogue

    return frozenset((entry.name, entry.language) for entry in load_catalogue())


def planning_policy_with(
    uow_factory: UnitOfWorkFactory,
    approved: Collection[tuple[str, str]] | None = None,
    waba_id: str | None = None,
) -> PlanningPolicy:
    """The policy in force now: stored strategies (or the default), approved templates from the database
    (those of `waba_id`) unless `approved` is given."""
    strategies: dict[int, Strategy] = {}
    with uow_factory() as uow:
        creditors = uow.creditors.list()
        languages = {c.id: c.language for c in creditors if c.id is not None}
        for creditor in creditors:
            assert creditor.id is not None
            strategies[creditor.id] = current_strategy(uow, creditor.id, parse_strategy_document)
        if approved is None:
            approved = uow.templates.approved(waba_id or "")

    def strategy_for(creditor_id: int) -> Strategy:
        return strategies[creditor_id]

    return PlanningPolicy(
        gate=shared_gate(),
        strategy_for=strategy_for,
        approved=frozenset(approved),
        creditor_languages=languages,
    )


def plan_in_processes(
    database_url: str,
    at: datetime,
    *,
    workers: int,
    creditor_id: int | None = None,
    store: bool = True,
    approved: Collection[tuple[str, str]] | None = None,
    waba_id: str | None = None,
) -> PlanSummary:
    """Plans every account at `at` with `workers` processes, each over its own slice of debtor ids and its
    own database connection; returns the summed summary. For large portfolios: one process plans about
    9,000 accounts/s on PostgreSQL (bench/plan.py), mostly Python time, so processes scale it with cores.
    """
    engine = make_engine(database_url)
    try:
        uow_factory = SqlUnitOfWorkFactory(engine, FixedClock(at))
        with uow_factory() as uow:
            bounds = uow.planning.debtor_id_range(creditor_id)
            pairs = frozenset(approved if approved is not None else uow.templates.approved(waba_id or ""))
    finally:
        engine.dispose()
    summary = PlanSummary()
    if bounds is None:
        return summary
    low, high = bounds
    step = max(1, -(-(high - low + 1) // workers))
    slices = [(start, min(high, start + step - 1)) for start in range(low, high + 1, step)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_plan_slice, database_url, at, creditor_id, store, pairs, part) for part in slices
        ]
        for future in futures:
            accounts, actions, stored = future.result()
            summary.accounts += accounts
            summary.actions.update(actions)
            summary.stored += stored
    return summary


def _plan_slice(
    database_url: str,
    at: datetime,
    creditor_id: int | None,
    store: bool,
    approved: frozenset[tuple[str, str]],
    debtor_ids: tuple[int, int],
) -> tuple[int, dict[str, int], int]:
    """One worker process's share of `plan_in_processes`."""
    engine = make_engine(database_url)
    try:
        clock = FixedClock(at)
        uow_factory = SqlUnitOfWorkFactory(engine, clock)
        policy = planning_policy_with(uow_factory, approved=approved)
        summary = plan_contacts(
            uow_factory, clock, policy, at=at, creditor_id=creditor_id, store=store, debtor_ids=debtor_ids
        )
    finally:
        engine.dispose()
    return summary.accounts, dict(summary.actions), summary.stored
