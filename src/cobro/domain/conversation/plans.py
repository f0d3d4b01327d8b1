"""Payment plans: the options a policy allows for a balance, and whether a debtor's counter-proposal fits.

Amounts are integer minor units: instalments are equal, the last one takes the remainder, so the schedule
adds up to the balance exactly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from cobro.domain.conversation.policy import PlanPolicy


@dataclass(frozen=True, slots=True)
class PlanOption:
    """One plan: an optional down payment, then `count` instalments."""

    count: int
    instalment_minor: int  # each instalment but possibly the last
    down_payment_minor: int
    schedule: tuple[
        tuple[date, int], ...
    ]  # (due date, amount) of the down payment (if any) and every instalment

    @property
    def first_due(self) -> date:
        """The first instalment's date (after the down payment, if any)."""
        return self.schedule[1 if self.down_payment_minor else 0][0]

    @property
    def down_due(self) -> date | None:
        """The down payment's date, if any."""
        return self.schedule[0][0] if self.down_payment_minor else None

    @property
    def total_minor(self) -> int:
        """What the plan adds up to."""
        return sum(amount for _, amount in self.schedule)


class CounterProblem(enum.StrEnum):
    """Why a proposed instalment does not fit the policy."""

    TOO_LOW = "too_low"
    TOO_MANY = "too_many"


def plan_for(balance_minor: int, count: int, policy: PlanPolicy, today: date) -> PlanOption:
    """The plan of `count` instalments for the balance (after the policy's down payment)."""
    if count < 1 or balance_minor <= 0:
        raise ValueError("a plan needs at least one instalment and something owed")
    down = balance_minor * policy.down_payment_percent // 100
    rest = balance_minor - down
    each = rest // count
    start = today + timedelta(days=policy.first_due_days)
    schedule: list[tuple[date, int]] = []
    if down:
        schedule.append((start, down))
        start = start + timedelta(days=policy.interval_days)
    for i in range(count):
        amount = each if i < count - 1 else rest - each * (count - 1)
        schedule.append((start + timedelta(days=policy.interval_days * i), amount))
    return PlanOption(count, each, down, tuple(schedule))


def plan_options(balance_minor: int, policy: PlanPolicy, today: date) -> list[PlanOption]:
    """The offered plans the limits allow (each instalment at least the minimum), fewest instalments first."""
    options = []
    for count in sorted(set(policy.offers)):
        if count > policy.max_instalments:
            continue
        option = plan_for(balance_minor, count, policy, today)
        if count > 1 and option.instalment_minor < policy.min_instalment_minor:
            continue
        options.append(option)
    return options


def counter_proposal(
    balance_minor: int, instalment_minor: int, policy: PlanPolicy, today: date
) -> PlanOption | CounterProblem:
    """The plan that pays `instalment_minor` each time (the last one less), or why the policy refuses it."""
    if instalment_minor <= 0 or instalment_minor < policy.min_instalment_minor:
        return CounterProblem.TOO_LOW
    down = balance_minor * policy.down_payment_percent // 100
    rest = balance_minor - down
    count = max(1, -(-rest // instalment_minor))
    if count > policy.max_instalments:
        return CounterProblem.TOO_MANY
    option = plan_for(balance_minor, count, policy, today)
    # The debtor's own figure for every instalment but the last, which takes what is left.
    schedule = list(option.schedule)
    first = 1 if down else 0
    for i in range(first, len(schedule) - 1):
        schedule[i] = (schedule[i][0], instalment_minor)
    paid = sum(amount for _, amount in schedule[:-1])
    schedule[-1] = (schedule[-1][0], balance_minor - paid)
    return PlanOption(count, min(instalment_minor, rest), down, tuple(schedule))
