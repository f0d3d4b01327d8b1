"""What a creditor allows in conversations: how identity is proved, how long things last, and the payment
plans, promises and extensions the bot may agree to on its own. Anything outside goes to a person."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from cobro.domain.conversation.identity import SecondFactor


@dataclass(frozen=True, slots=True)
class PlanPolicy:
    """The payment plans the bot may offer and accept (amounts in minor units of the account's currency)."""

    max_instalments: int = 6
    min_instalment_minor: int = 0  # the smallest instalment accepted; 0: no minimum
    down_payment_percent: int = 0  # of the balance, due with the first step; 0: none
    interval_days: int = 30  # between instalments
    first_due_days: int = 7  # from today to the first instalment (or the down payment)
    offers: tuple[int, ...] = (2, 3, 6)  # instalment counts offered first (those the limits allow)


@dataclass(frozen=True, slots=True)
class ConversationPolicy:
    """A creditor's conversation rules (the `conversation` section of its strategy)."""

    second_factor: SecondFactor = SecondFactor.NAME
    national_id_digits: int = 4
    account_pattern: str = r"[A-Z0-9]{5,30}"  # on the normalised number (letters and digits, upper case)
    account_example: str = "A0000000-1"
    max_failures: int = 3
    lock: timedelta = timedelta(hours=24)
    verified_for: timedelta = timedelta(minutes=30)
    step_timeout: timedelta = timedelta(minutes=30)
    confidence_threshold: float = 0.7  # below it, the bot asks instead of guessing
    promise_max_days: int = 30  # the latest promised date, from today
    extension_max_days: int = 15  # "more time" without a date gives this many days
    reference_valid_days: int = 7
    plan: PlanPolicy = field(default_factory=PlanPolicy)

    def latest_date(self, today: date, *, extension: bool) -> date:
        """The latest date a promise (or, with `extension`, a request for more time) may name."""
        return today + timedelta(days=self.extension_max_days if extension else self.promise_max_days)


DEFAULT_POLICY = ConversationPolicy()
