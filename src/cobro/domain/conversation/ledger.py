"""What the bot reads of the ledger: a debtor and an account as a conversation needs them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class DebtorCard:
    """A debtor who may be the person writing."""

    id: int
    creditor_id: int
    creditor_name: str
    name: str
    phone: str
    language: str
    country: str
    time_zone: str
    birth_date: date | None = None
    national_id: str | None = None
    wa_user_id: str | None = None
    opted_out_at: datetime | None = None
    wrong_number_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountCard:
    """An account with what the bot may disclose once the holder proved who they are."""

    id: int
    creditor_id: int
    debtor_id: int
    reference: str
    currency: str
    outstanding_minor: int  # across open invoices
    invoice_reference: str | None = None  # of the oldest open invoice
    oldest_due_date: date | None = None
    payment_link: str | None = None
    disputed_at: datetime | None = None
    hardship_at: datetime | None = None
    promise_until: date | None = None
    plan_status: str = "none"


@dataclass(frozen=True, slots=True)
class PaymentSeen:
    """A payment recorded on an account (for "I already paid")."""

    amount_minor: int
    currency: str
    paid_at: datetime


@dataclass(frozen=True, slots=True)
class InstalmentDue:
    """An instalment of an agreed plan that falls due soon, with its account and debtor."""

    instalment_id: int
    plan_id: int
    number: int
    due_date: date
    amount_minor: int
    paid_minor: int
    account: AccountCard
    debtor: DebtorCard
