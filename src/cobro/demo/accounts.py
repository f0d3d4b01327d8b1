"""Generates account rows (canonical CSV columns) across countries, languages, amounts and debt ages."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import phonenumbers
from faker import Faker

from cobro.domain.imports import CANONICAL_COLUMNS


@dataclass(frozen=True)
class Market:
    """A country debtors live in: its locale for names, language, currency and mobile number shape."""

    country: str
    faker_locale: str
    language: str
    currency: str
    mobile: str  # national mobile pattern, '#' is a random digit
    weight: int
    zones: tuple[str, ...] = ()


MARKETS: tuple[Market, ...] = (
    Market("MX", "es_MX", "es", "MXN", "55########", 18, ("America/Mexico_City", "America/Tijuana")),
    Market("ES", "es_ES", "es", "EUR", "6########", 12),
    Market("CO", "es_CO", "es", "COP", "30########", 10),
    Market("PE", "es_ES", "es", "PEN", "9########", 6),
    Market("CL", "es_CL", "es", "CLP", "9########", 6),
    Market("AR", "es_AR", "es", "ARS", "911########", 5),
    Market("US", "en_US", "en", "USD", "415#######", 12, ("America/New_York", "America/Chicago")),
    Market("GB", "en_GB", "en", "GBP", "7700######", 6),
    Market("BR", "pt_BR", "pt", "BRL", "119########", 12),
    Market("PT", "pt_PT", "pt", "EUR", "91#######", 5),
    Market("IT", "it_IT", "it", "EUR", "33########", 8),
)

# Days past due (negative: before the due date) that land in each escalation stage, and how often.
AGE_BANDS: tuple[tuple[int, int, int], ...] = (
    (-5, -1, 15),  # friendly reminder before due
    (1, 2, 12),  # first overdue notice
    (7, 10, 15),  # follow-up with a payment-plan offer
    (20, 30, 15),  # final notice
    (31, 90, 23),  # 30-90 days
    (91, 400, 20),  # 90+ days
)
# Amount bands in euros-equivalent; scaled per currency below.
AMOUNT_BANDS: tuple[tuple[int, int, int], ...] = ((10, 100, 40), (100, 1_000, 45), (1_000, 20_000, 15))
EUR_RATE = {
    "MXN": 20,
    "EUR": 1,
    "COP": 4500,
    "PEN": 4,
    "CLP": 1000,
    "ARS": 1000,
    "USD": 1,
    "GBP": 1,
    "BRL": 6,
}
WHOLE_UNITS = {"CLP", "COP"}  # usually billed in whole units even where minor units exist


class AccountRowGenerator:
    """Yields canonical CSV rows (column -> text) with a fixed random seed."""

    def __init__(self, seed: int, today: date, fakers: dict[str, Faker] | None = None) -> None:
        self.random = random.Random(seed)
        self.today = today
        self.fakers = fakers or {}
        self._phones: set[str] = set()
        self._weights = [m.weight for m in MARKETS]

    def debtors(self, count: int, prefix: str = "A") -> Iterator[dict[str, str]]:
        """Rows for `count` debtors: one or two accounts each, one to three invoices per account."""
        for n in range(1, count + 1):
            yield from self._debtor_rows(n, prefix)

    def _faker(self, market: Market) -> Faker:
        faker = self.fakers.get(market.faker_locale)
        if faker is None:
            faker = Faker(market.faker_locale)
            faker.seed_instance(self.random.randrange(1 << 30))
            self.fakers[market.faker_locale] = faker
        return faker

    def _debtor_rows(self, n: int, prefix: str) -> Iterator[dict[str, str]]:
        rnd = self.random
        market = rnd.choices(MARKETS, self._weights)[0]
        name = self._faker(market).name()
        phone = self._phone(market)
        language = "es" if market.country == "US" and rnd.random() < 0.2 else market.language
        consent = rnd.random() < 0.92
        base = {
            "debtor_name": name,
            "phone": phone,
            "country": market.country,
            "language": language,
            "timezone": rnd.choice(market.zones) if market.zones and rnd.random() < 0.7 else "",
            "email": f"debtor{prefix}{n}@example.com" if rnd.random() < 0.6 else "",
            "consent": "yes" if consent else "no",
            "consent_at": (self.today - timedelta(days=rnd.randint(60, 900))).isoformat() + "T10:00:00+00:00"
            if consent
            else "",
            "consent_source": rnd.choice(["contract", "web_form", "app"]) if consent else "",
            "national_id": str(rnd.randint(10_000_000, 99_999_999)),
            "birth_date": date(rnd.randint(1950, 2003), rnd.randint(1, 12), rnd.randint(1, 28)).isoformat(),
        }
        for a in range(1, 2 if rnd.random() < 0.85 else 3):
            account_ref = f"{prefix}{n:07d}-{a}"
            for i in range(1, rnd.choice((1, 1, 1, 2, 2, 3)) + 1):
                yield self._invoice_row(base, market, account_ref, f"INV-{prefix}{n:07d}-{a}-{i}")

    def _invoice_row(
        self, base: dict[str, str], market: Market, account_ref: str, invoice_ref: str
    ) -> dict[str, str]:
        rnd = self.random
        low, high, _ = rnd.choices(AGE_BANDS, [w for *_, w in AGE_BANDS])[0]
        due = self.today - timedelta(days=rnd.randint(low, high))
        low_eur, high_eur, _ = rnd.choices(AMOUNT_BANDS, [w for *_, w in AMOUNT_BANDS])[0]
        rate = EUR_RATE[market.currency]
        amount = Decimal(rnd.uniform(low_eur * rate, high_eur * rate))
        amount = amount.quantize(Decimal(1) if market.currency in WHOLE_UNITS else Decimal("0.01"))
        row = dict.fromkeys(CANONICAL_COLUMNS, "")
        row.update(base)
        row.update(
            account_ref=account_ref,
            invoice_ref=invoice_ref,
            amount=str(amount),
            currency=market.currency,
            due_date=due.isoformat(),
            issued_on=(due - timedelta(days=30)).isoformat(),
            payment_link=f"https://pay.example.com/{invoice_ref}",
        )
        return row

    def _phone(self, market: Market) -> str:
        """A valid, unused mobile number, written the way people type them (spaces, with or without +)."""
        rnd = self.random
        while True:
            national = "".join(str(rnd.randrange(10)) if ch == "#" else ch for ch in market.mobile)
            number = phonenumbers.parse(national, market.country)
            if not phonenumbers.is_valid_number(number):
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 in self._phones:
                continue
            self._phones.add(e164)
            style = rnd.random()
            if style < 0.5:
                return e164
            if style < 0.8:
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
