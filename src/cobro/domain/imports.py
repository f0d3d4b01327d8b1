"""Account import: a validated row, a problem found in a row, and what an import changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

REQUIRED_COLUMNS: tuple[str, ...] = (
    "account_ref",
    "debtor_name",
    "phone",
    "country",
    "invoice_ref",
    "amount",
    "currency",
    "due_date",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "email",
    "language",
    "timezone",
    "issued_on",
    "payment_link",
    "consent",
    "consent_at",
    "consent_source",
    "national_id",
    "birth_date",
)
CANONICAL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True, slots=True, order=True)
class RowProblem:
    """Something wrong with one row of an import file. Line 1 is the header."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return self.message
        return f"row {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One valid row of an account import: a debtor, their account and one invoice."""

    line: int
    account_ref: str
    debtor_name: str
    phone: str
    country: str
    invoice_ref: str
    amount_minor: int
    currency: str
    due_date: date
    language: str
    time_zone: str
    time_zone_source: str
    time_zone_candidates: str  # space-separated zone names
    email: str | None = None
    issued_on: date | None = None
    payment_link: str | None = None
    consent_method: str | None = None
    consent_at: datetime | None = None
    consent_source: str | None = None
    national_id: str | None = None
    birth_date: date | None = None


@dataclass(frozen=True, slots=True)
class ImportCounts:
    """How many records an import created, updated or left as they were."""

    debtors_created: int = 0
    debtors_updated: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    invoices_created: int = 0
    invoices_updated: int = 0
    invoices_unchanged: int = 0
    invoices_settled: int = 0
    rows: int = 0


@dataclass(frozen=True, slots=True)
class ZoneNote:
    """A note that rows of one country got a guessed zone because the country has several."""

    country: str
    zone: str
    rows: int
    first_line: int

    def __str__(self) -> str:
        return (
            f"{self.rows} row(s) from {self.country} (first: row {self.first_line}) have no timezone and "
            f"{self.country} has several zones: used {self.zone}; add a timezone column to be exact"
        )
