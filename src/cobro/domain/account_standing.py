"""Where an account stands against a strategy today: the segments it is in, the states that hold its ladder.

Standard library only.
"""

from __future__ import annotations

from datetime import date

from cobro.domain.contact import AccountContext, DebtorContext, PlanStatus
from cobro.domain.strategy import AccountState, StateRule, Strategy


def account_segments(strategy: Strategy, account: AccountContext, today: date) -> tuple[str, ...]:
    """Every segment the account is in today, in SEGMENT_NAMES order."""
    found: list[str] = []
    due = account.oldest_due_date
    days = (today - due).days if due is not None else None
    if days is not None:  # not yet due counts as the youngest band
        found.append("age_0_30" if days <= 30 else "age_30_90" if days < 90 else "age_90_plus")
    outstanding = account.outstanding
    bands = strategy.bands_for(outstanding.currency) if strategy.amount_bands else None
    if bands is not None and outstanding.amount > 0:
        amount = outstanding.amount
        found.append(
            "amount_high"
            if amount >= bands.high_from
            else "amount_mid"
            if amount >= bands.mid_from
            else "amount_low"
        )
    if days is not None and days > 0 and account.paid_late_before == 0:
        found.append("first_time_late")
    if account.paid_late_before >= 2:
        found.append("habitual_late")
    owed = outstanding.amount > 0
    if account.promise_broken_at is not None or (
        account.promise_until is not None and account.promise_until < today and owed
    ):
        found.append("broken_promise")
    original = account.original_amount
    if (
        original is not None
        and original.currency == outstanding.currency
        and 0 < outstanding.amount < original.amount
    ):
        found.append("partial_payer")
    if account.plan_status is PlanStatus.CURRENT:
        found.append("on_plan")
    elif account.plan_status is PlanStatus.BROKEN:
        found.append("plan_broken")
    if account.disputed_at is not None:
        found.append("disputed")
    return tuple(found)


def held_states(
    strategy: Strategy, account: AccountContext, debtor: DebtorContext, today: date
) -> list[tuple[AccountState, StateRule, str]]:
    """The states that pause the ladder or end it, each with the sentence that says so."""
    held: list[tuple[AccountState, StateRule, str]] = []
    states = strategy.states

    def check(state: AccountState, present: bool, happened: bool, sentence: str) -> None:
        rule = states.get(state, StateRule.PAUSE)
        if (rule is StateRule.LEAVE and happened) or (rule is StateRule.PAUSE and present):
            held.append((state, rule, sentence))

    owed = account.outstanding
    if owed.amount <= 0:
        check(AccountState.PAID, True, True, "nothing is owed")
    if debtor.opt_out is not None:
        check(AccountState.OPTED_OUT, True, True, f"the debtor opted out on {debtor.opt_out.at.date()}")
    wrong = debtor.wrong_number_at
    if wrong is not None and (
        debtor.right_party_confirmed_at is None or debtor.right_party_confirmed_at < wrong
    ):
        check(
            AccountState.WRONG_NUMBER,
            True,
            True,
            f"someone at this phone said on {wrong.date()} it is not the debtor",
        )
    if account.disputed_at is not None:
        check(AccountState.DISPUTED, True, True, f"the debt is disputed since {account.disputed_at.date()}")
    if account.hardship_at is not None:
        check(
            AccountState.HARDSHIP, True, True, f"the debtor reported hardship on {account.hardship_at.date()}"
        )
    if account.plan_status is not PlanStatus.NONE:
        current = account.plan_status is PlanStatus.CURRENT
        sentence = (
            "a payment plan is current" if current else "the account was on a payment plan (now broken)"
        )
        check(AccountState.PLAN_CURRENT, current, True, sentence)
    promise = account.promise_until
    if promise is not None or account.promise_broken_at is not None:
        pending = promise is not None and promise >= today and account.promise_broken_at is None
        sentence = f"a promise to pay by {promise} is pending" if pending else "a promise to pay was made"
        check(AccountState.PROMISE_PENDING, pending, True, sentence)
    return held
