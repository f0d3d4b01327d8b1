"""Plans contacts: for every account, what is due now, whether the gate allows it, and the decision stored.

One page of debtors per transaction: the page is read, decided and its decisions stored (once per
idempotency key) before the next page is read, so memory stays flat and a crash loses at most one page of
work, which the next run redoes without duplicates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cobro.app.ports import PlanningCase, PlanningRepository, StoredDecision
from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.compliance import ComplianceGate
from cobro.domain.contact import Action, ContactHistory
from cobro.domain.planning import PlannedContact, decide_contact
from cobro.domain.strategy import Strategy

# Contact history read for each debtor: longer than any frequency cap's window or stage spacing.
HISTORY_DAYS = 35


@dataclass(frozen=True, slots=True)
class PlanningPolicy:
    """What the planner needs besides the ledger: strategies, the gate and the approved templates."""

    gate: ComplianceGate
    strategy_for: Callable[[int], Strategy]  # creditor id -> the strategy in force
    approved: Collection[tuple[str, str]]  # (template name, language) pairs Meta approved
    creditor_languages: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class PlanSummary:
    """What one planning run did."""

    accounts: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    stored: int = 0


def plan_contacts(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    policy: PlanningPolicy,
    *,
    at: datetime | None = None,
    creditor_id: int | None = None,
    store: bool = True,
    page_size: int = 2000,
    on_decision: Callable[[PlannedContact], None] | None = None,
    debtor_ids: tuple[int, int] | None = None,
) -> PlanSummary:
    """Decides for every account (of one creditor when given; of the debtors whose ids are within
    `debtor_ids` when given) at `at` (now by default); stores the decisions unless `store` is False; calls
    `on_decision` for each one in debtor order."""
    now = at or clock.now()
    since = now - timedelta(days=HISTORY_DAYS)
    summary = PlanSummary()
    after, until = (debtor_ids[0] - 1, debtor_ids[1]) if debtor_ids else (0, None)
    while True:
        with uow_factory() as uow:
            planning: PlanningRepository = uow.planning
            cases, last = planning.cases(after, page_size, creditor_id, since, until)
            if last is None:
                break
            decisions = [d for case in cases for d in decide_case(case, policy, now)]
            if store:
                summary.stored += planning.add_decisions(
                    [StoredDecision(d, now) for d in decisions if d.action is not Action.NONE]
                )
                uow.commit()
        after = last
        for decision in decisions:
            summary.accounts += 1
            summary.actions[decision.action.value] += 1
            if on_decision is not None:
                on_decision(decision)
    return summary


def decide_case(case: PlanningCase, policy: PlanningPolicy, now: datetime) -> list[PlannedContact]:
    """Decides for each account of one debtor in turn; a send planned for one account counts in the history
    the next account is decided with, so caps hold across a debtor's accounts."""
    strategy = policy.strategy_for(case.creditor_id)
    history = case.history
    language = policy.creditor_languages.get(case.creditor_id)
    decisions = []
    for account in case.accounts:
        decision = decide_contact(
            strategy, policy.gate, account, case.debtor, history, now, policy.approved, language
        )
        decisions.append(decision)
        if decision.action is Action.SEND:
            history = _with_planned(history, decision, now)
    return decisions


def _with_planned(history: ContactHistory, decision: PlannedContact, now: datetime) -> ContactHistory:
    return ContactHistory(
        outbound=(*history.outbound, decision.as_record(now)),
        last_inbound_at=history.last_inbound_at,
        replied_since=history.replied_since,
    )
