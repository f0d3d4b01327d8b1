"""Creditors, debtors, accounts, invoices and payments: the things Cobro collects on."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from cobro.domain.money import Money


class ConsentMethod(enum.StrEnum):
    """How the debtor agreed to be contacted on WhatsApp."""

    CONTRACT = "contract"
    WEB_FORM = "web_form"
    WHATSAPP_OPT_IN = "whatsapp_opt_in"
    VERBAL = "verbal"
    WRITTEN = "written"
    IMPORTED = "imported"


class InvoiceStatus(enum.StrEnum):
    """Where an invoice stands."""

    OPEN = "open"
    PAID = "paid"
    SETTLED = "settled"  # gone from a full snapshot of the creditor's ledger: settled outside Cobro


class TimeZoneSource(enum.StrEnum):
    """Where a debtor's time zone came from; a guessed one is re-checked by the compliance gate."""

    FILE = "file"
    PHONE = "phone"
    COUNTRY = "country"


@dataclass(frozen=True, slots=True)
class Creditor:
    """A tenant: the business that is owed money, or one client of an agency."""

    slug: str
    name: str
    country: str
    currency: str
    language: str
    whatsapp_phone_number_id: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    """The record of a debtor's agreement to be contacted: when, how, from which source, for what."""

    given_at: datetime | None
    method: ConsentMethod
    source: str
    scope: str = "collections"


@dataclass(frozen=True, slots=True)
class OptOut:
    """The record of a debtor asking not to be contacted."""

    at: datetime
    scope: str  # "channel", "all_contact" or "processing"
    source: str


@dataclass(frozen=True, slots=True)
class Debtor:
    """A person who owes a creditor, reachable on WhatsApp at a phone number in E.164."""

    name: str
    phone: str
    country: str
    language: str
    time_zone: str
    time_zone_source: TimeZoneSource = TimeZoneSource.FILE
    # Every zone the phone or country may be in; the compliance gate allows only hours all of them allow.
    time_zone_candidates: tuple[str, ...] = ()
    email: str | None = None
    national_id: str | None = None
    birth_date: date | None = None
    consent: Consent | None = None
    opt_out: OptOut | None = None
    id: int | None = None

    def may_be_contacted(self) -> bool:
        """True when consent is on record and no opt-out is."""
        return self.consent is not None and self.opt_out is None


@dataclass(frozen=True, slots=True)
class Account:
    """A debtor's relationship with one creditor, known by the creditor's own reference."""

    creditor_id: int
    debtor_id: int
    reference: str
    currency: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    """One debt on an account: the amount billed and the amount still outstanding."""

    account_id: int
    reference: str
    amount: Money
    outstanding: Money
    due_date: date
    issued_on: date | None = None
    payment_link: str | None = None
    status: InvoiceStatus = InvoiceStatus.OPEN
    id: int | None = None

    def days_overdue(self, today: date) -> int:
        """Days past the due date on a given local date; negative before it."""
        return (today - self.due_date).days


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received against an account, with the provider's own id so it is never counted twice."""

    account_id: int
    amount: Money
    paid_at: datetime
    source: str
    external_id: str
    invoice_id: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """What an account owes now, across its open invoices."""

    account_reference: str
    outstanding: Money
    open_invoices: int = 0
    oldest_due_date: date | None = None
    invoices: tuple[Invoice, ...] = field(default_factory=tuple)
