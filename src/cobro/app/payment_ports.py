"""The ports of payments: the provider that serves checkouts, and the store of references and payments."""

from __future__ import annotations

from typing import Protocol

from cobro.domain.payments import Checkout, CheckoutRequest


class PaymentProvider(Protocol):
    """A payment provider (the sandbox's checkout, or a real one): creates a checkout page for a reference.
    Its notices arrive as signed webhooks, verified and parsed by the adapter."""

    name: str

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Creates (or returns the existing) checkout for `request.reference`; raises on failure."""
        ...


class PaymentRepository(Protocol):
    """Payment references, and the payments recorded against them (adapters/db/payments.py)."""
