"""Wires the planner's policy for the CLI, the scheduler and the benchmark: the rule book, public holidays,
each creditor's strategy in force and the templates Meta approved."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache

from cobro.adapters.holiday_calendar import HolidaysCalendar
from cobro.adapters.strategy_documents import parse_strategy_document
from cobro.app.plan_contacts import PlanningPolicy
from cobro.app.strategies import current_strategy
from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.compliance import ComplianceGate, load_rule_book
from cobro.domain.escalation import Strategy


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
