"""Payment plans: options within the policy, counter-proposals, schedules that add up exactly."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from cobro.domain.conversation.plans import CounterProblem, counter_proposal, plan_for, plan_options
from cobro.domain.conversation.policy import PlanPolicy

TODAY = date(2026, 11, 23)


def test_instalments_are_equal_and_the_last_takes_the_remainder() -> None:
    option = plan_for(100_00, 3, PlanPolicy(), TODAY)
    assert [amount for _, amount in option.schedule] == [33_33, 33_33, 33_34]
    assert [due for due, _ in option.schedule] == [date(2026, 11, 30), date(2026, 12, 30), date(2027, 1, 29)]
    assert option.first_due == date(2026, 11, 30)


def test_a_down_payment_comes_first_then_the_instalments() -> None:
    option = plan_for(1_000_00, 2, PlanPolicy(down_payment_percent=20), TODAY)
    assert option.down_payment_minor == 200_00
    assert option.schedule == (
        (date(2026, 11, 30), 200_00),
        (date(2026, 12, 30), 400_00),
        (date(2027, 1, 29), 400_00),
    )
    assert option.down_due == date(2026, 11, 30)
    assert option.first_due == date(2026, 12, 30)


def test_options_leave_out_plans_below_the_minimum_instalment_or_above_the_maximum_count() -> None:
    policy = PlanPolicy(max_instalments=3, min_instalment_minor=40_00, offers=(2, 3, 6))
    assert [o.count for o in plan_options(100_00, policy, TODAY)] == [2]
    assert [o.count for o in plan_options(1_000_00, policy, TODAY)] == [2, 3]


def test_a_counter_proposal_within_the_limits_becomes_a_plan() -> None:
    option = counter_proposal(1_000_00, 300_00, PlanPolicy(), TODAY)
    assert not isinstance(option, CounterProblem)
    assert option.count == 4
    assert [amount for _, amount in option.schedule] == [300_00, 300_00, 300_00, 100_00]


def test_a_counter_proposal_outside_the_limits_says_why() -> None:
    policy = PlanPolicy(max_instalments=6, min_instalment_minor=50_00)
    assert counter_proposal(1_000_00, 20_00, policy, TODAY) is CounterProblem.TOO_LOW
    assert counter_proposal(1_000_00, 100_00, policy, TODAY) is CounterProblem.TOO_MANY
    assert counter_proposal(1_000_00, 0, policy, TODAY) is CounterProblem.TOO_LOW


@given(
    balance=st.integers(min_value=1, max_value=10**9),
    count=st.integers(min_value=1, max_value=24),
    down=st.integers(min_value=0, max_value=90),
)
def test_every_plan_adds_up_to_the_balance_exactly(balance: int, count: int, down: int) -> None:
    option = plan_for(balance, count, PlanPolicy(down_payment_percent=down), TODAY)
    assert option.total_minor == balance
    assert all(amount >= 0 for _, amount in option.schedule)
    dates = [due for due, _ in option.schedule]
    assert dates == sorted(dates)


@given(balance=st.integers(min_value=100, max_value=10**8), each=st.integers(min_value=1, max_value=10**8))
def test_every_accepted_counter_proposal_adds_up_and_respects_the_count(balance: int, each: int) -> None:
    policy = PlanPolicy(max_instalments=12)
    option = counter_proposal(balance, each, policy, TODAY)
    if isinstance(option, CounterProblem):
        assert option is CounterProblem.TOO_MANY
        return
    assert option.total_minor == balance
    assert option.count <= 12
    assert all(amount > 0 for _, amount in option.schedule)
