"""Payments as the payment-provider port sees them: a checkout to create for a reference, and the notice the
provider sends when money arrives. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cobro.domain.money import Money


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """What Cobro asks the provider for: a page where the debtor pays `amount` (or part of it, when allowed)
    against `reference`, open until `expires_at`."""

    reference: str
    amount: Money
    description: str  # shown on the checkout page: the creditor and the account reference, nothing else
    allow_partial: bool
    expires_at: datetime
    locale: str = "es"


@dataclass(frozen=True, slots=True)
class Checkout:
    """The provider's checkout for one reference."""

    provider: str
    checkout_id: str
    url: str


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    """A payment the provider reports (a verified webhook): the money, the reference it was paid against."""

    provider: str
    payment_id: str  # the provider's id: a notice sent twice is recorded once
    reference: str
    amount: Money
    paid_at: datetime
    method: str = "card"  # card, cash, transfer
    checkout_id: str | None = None
