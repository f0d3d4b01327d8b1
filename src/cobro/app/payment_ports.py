"""The ports of payments: the provider that serves checkouts, and the store of references and payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cobro.domain.errors import CobroError
from cobro.domain.payments import Checkout, CheckoutRequest


class PaymentProviderError(CobroError):
    """The provider could not create a checkout now (unreachable, refused, or an answer Cobro cannot read)."""


class PaymentProvider(Protocol):
    """A payment provider (the sandbox's checkout, or a real one): creates a checkout page for a reference.
    Its notices arrive as signed webhooks, verified and parsed by the adapter."""

    name: str

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Creates (or returns the existing) checkout for `request.reference`; raises PaymentProviderError."""
        ...


@dataclass(frozen=True, slots=True)
class PayableAccount:
    """An account a reference may be issued for: who owes it and in which currency."""

    creditor_id: int
    account_id: int
    debtor_id: int
    currency: str


@dataclass(frozen=True, slots=True)
class NewReference:
    """A payment_references row to insert (status open, nothing paid)."""

    reference: str
    creditor_id: int
    account_id: int
    amount_minor: int
    currency: str
    allow_partial: bool
    purpose: str
    plan_id: int | None
    valid_until: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredReference:
    """A payment reference as stored, with what its link page and checkout need: the creditor's name, the
    account's reference and the debtor's language (never the debtor's name or phone)."""

    id: int
    reference: str
    creditor_id: int
    account_id: int
    debtor_id: int
    amount_minor: int
    currency: str
    allow_partial: bool
    purpose: str
    plan_id: int | None
    status: str  # open, paid, expired, cancelled
    valid_until: datetime
    paid_minor: int
    provider: str | None
    checkout_id: str | None
    checkout_url: str | None
    creditor_name: str
    account_reference: str
    language: str
    country: str | None = None  # the debtor's, for the locale amounts are written in


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An open invoice of an account with something still owed on it."""

    id: int
    outstanding_minor: int
    reference: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceChange:
    """What a payment leaves on one invoice; `paid` when nothing is owed on it any more."""

    id: int
    outstanding_minor: int
    paid: bool


@dataclass(frozen=True, slots=True)
class Instalment:
    """One instalment of a payment plan (number 0 is the down payment)."""

    id: int
    number: int
    amount_minor: int
    paid_minor: int
    status: str  # due, paid, missed


@dataclass(frozen=True, slots=True)
class NewPayment:
    """A payments row to insert; (creditor_id, source, external_id) is unique."""

    creditor_id: int
    account_id: int
    invoice_id: int | None
    amount_minor: int
    currency: str
    paid_at: datetime
    source: str
    external_id: str
    created_at: datetime


class PaymentRepository(Protocol):
    """Payment references, and the payments recorded against them (adapters/db/payments.py).

    Recording a payment starts with `lock_reference` (a write, so two deliveries of one notice, or two payments
    on one account, run one after the other on both databases), then reads and changes the ledger."""

    def payable_account(self, creditor_id: int, account_id: int) -> PayableAccount | None:
        """The account with this id of this creditor, or None."""
        ...

    def plan_of_account(self, plan_id: int, creditor_id: int, account_id: int) -> bool:
        """Whether the payment plan with this id belongs to this account of this creditor."""
        ...

    def add_reference(self, reference: NewReference) -> int | None:
        """Inserts a reference; its id, or None when the reference text is already taken (nothing inserted)."""
        ...

    def find_reference(self, reference: str) -> StoredReference | None:
        """The reference with this exact (normalised) text, or None."""
        ...

    def lock_reference(self, reference: str) -> StoredReference | None:
        """Like find_reference, after locking the row for the rest of the transaction (a no-op UPDATE, which
        on SQLite also takes the database's write lock before anything is read)."""
        ...

    def attach_checkout(self, reference_id: int, checkout: Checkout, now: datetime) -> str:
        """Stores the provider's checkout on the reference unless one is stored already; returns the checkout
        URL the reference has now (this one, or the one another request stored first)."""
        ...

    def open_invoices(self, creditor_id: int, account_id: int, currency: str) -> list[OpenInvoice]:
        """The account's open invoices in this currency with something owed, oldest due date first, locked."""
        ...

    def add_payment(self, payment: NewPayment) -> int | None:
        """Inserts a payment; its id, or None when (creditor, source, external id) is recorded already."""
        ...

    def update_invoices(self, changes: Sequence[InvoiceChange], settled_at: datetime, now: datetime) -> None:
        """Writes each invoice's new outstanding amount; a paid one gets status 'paid' and `settled_at`."""
        ...

    def update_reference_payment(
        self, reference_id: int, paid_minor: int, status: str, paid_at: datetime | None, now: datetime
    ) -> None:
        """Writes what has been paid against a reference, its status and when it was paid in full."""
        ...

    def instalments(self, plan_id: int) -> list[Instalment]:
        """The plan's instalments by number, locked."""
        ...

    def update_instalments(self, instalments: Sequence[Instalment]) -> None:
        """Writes each instalment's paid amount and status."""
        ...

    def complete_plan(self, plan_id: int, now: datetime) -> bool:
        """Marks a current or broken plan 'completed'; False when it was neither."""
        ...

    def unmatched_notice_seen(self, provider: str, payment_id: str) -> bool:
        """Whether a payment.unmatched event already records this provider's payment."""
        ...
