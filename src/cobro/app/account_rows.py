"""Turns one raw CSV row (column -> text) into a validated AccountRow, or the list of what is wrong with it."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Protocol

from cobro.domain.accounts import ConsentMethod, Creditor, TimeZoneSource
from cobro.domain.imports import REQUIRED_COLUMNS, AccountRow, RowProblem
from cobro.domain.masking import mask_name, mask_phone, mask_value
from cobro.domain.money import Money
from cobro.i18n.currencies import find_currency
from cobro.i18n.numbers import parse_amount, parse_day
from cobro.i18n.phones import InvalidPhone, country_zones, parse_phone, zones_for

_TRUE = {"1", "true", "yes", "y", "si", "sí", "s", "sim", "oui", "x"}
_FALSE = {"0", "false", "no", "n", "não", "nao", ""}
_METHODS = {m.value for m in ConsentMethod}
_LANGUAGES = {"es", "en", "pt", "it"}
_MAX_TEXT = 200


# The largest amount an invoice may carry: in minor units it must fit the database's BIGINT (9.2e18) for a
# currency with three decimals, and stay within decimal arithmetic's 28 digits.
MAX_AMOUNT = Decimal(10) ** 15


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _masked(column: str, value: str) -> str:
    if column == "phone":
        return mask_phone(value)
    if column == "debtor_name":
        return mask_name(value)
    if column in {"amount", "email", "national_id", "birth_date"}:
        return mask_value(value)
    return value.strip()[:40]


class RowValidator:
    """Validates rows for one creditor, reading amounts and dates in an optional locale."""

    def __init__(self, creditor: Creditor, locale: str | None = None, consent_source: str = "import") -> None:
        self.creditor = creditor
        self.locale = locale
        self.consent_source = consent_source

    def validate(self, line: int, raw: Mapping[str, str]) -> AccountRow | list[RowProblem]:
        """The valid row, or every problem found in it (each naming the line and column)."""
        problems: list[RowProblem] = []

        def bad(column: str, what: str, show_value: bool = True) -> None:
            value = raw.get(column) or ""
            shown = f" ({_masked(column, value)!r})" if show_value and value.strip() else ""
            problems.append(RowProblem(line, column, what + shown))

        text = {k: (v or "").strip() for k, v in raw.items()}
        for column in REQUIRED_COLUMNS:
            if not text.get(column):
                problems.append(RowProblem(line, column, "missing value"))
        for column, value in text.items():
            if len(value) > _MAX_TEXT and column != "payment_link":
                bad(column, f"longer than {_MAX_TEXT} characters", show_value=False)

        country = text.get("country", "").upper()
        if country and country not in country_zones():
            bad("country", "not an ISO 3166 country code")
            country = ""

        currency = None
        if text.get("currency"):
            currency = find_currency(text["currency"])
            if currency is None:
                bad("currency", "unknown currency")

        amount_minor = 0
        if text.get("amount"):
            try:
                amount = parse_amount(text["amount"], self.locale)
            except ValueError as exc:
                bad("amount", str(exc))
            else:
                if amount <= 0:
                    bad("amount", "must be greater than zero")
                elif amount >= MAX_AMOUNT:
                    bad("amount", "is too large (at most 999,999,999,999,999.99)")
                elif currency is not None:
                    try:
                        amount_minor = Money(amount, currency.code).to_minor(currency)
                    except ValueError as exc:
                        bad("amount", str(exc))

        due_date = self._day(text, "due_date", bad)
        issued_on = self._day(text, "issued_on", bad)
        birth_date = self._day(text, "birth_date", bad)
        if due_date and issued_on and issued_on > due_date:
            bad("issued_on", "is after the due date")

        phone = None
        if text.get("phone") and country:
            try:
                phone = parse_phone(text["phone"], country)
            except InvalidPhone as exc:
                bad("phone", str(exc))

        language = (text.get("language") or self.creditor.language).lower()[:2]
        if text.get("language") and language not in _LANGUAGES:
            bad("language", "not one of es, en, pt, it")

        zone, zone_source, candidates = "", TimeZoneSource.FILE, ""
        if text.get("timezone"):
            if text["timezone"] not in _zone_names():
                bad("timezone", "unknown time zone (use an IANA name such as America/Mexico_City)")
            zone, candidates = text["timezone"], text["timezone"]
        elif phone is not None:
            options = zones_for(phone.region, phone.zones)
            if options:
                zone, candidates = options[0], " ".join(options)
                zone_source = TimeZoneSource.PHONE if phone.zones else TimeZoneSource.COUNTRY

        consent_method, consent_at = self._consent(text, bad)

        email = text.get("email") or None
        if email and ("@" not in email or " " in email):
            bad("email", "not an e-mail address")
        link = text.get("payment_link") or None
        if link and not link.startswith(("https://", "http://")):
            bad("payment_link", "not an http(s) link")

        if problems:
            return problems
        assert currency is not None
        assert due_date is not None
        assert phone is not None
        return AccountRow(
            line=line,
            account_ref=text["account_ref"],
            debtor_name=" ".join(text["debtor_name"].split()),
            phone=phone.e164,
            country=country,
            invoice_ref=text["invoice_ref"],
            amount_minor=amount_minor,
            currency=currency.code,
            due_date=due_date,
            language=language,
            time_zone=zone,
            time_zone_source=zone_source.value,
            time_zone_candidates=candidates,
            email=email,
            issued_on=issued_on,
            payment_link=link,
            consent_method=consent_method,
            consent_at=consent_at,
            consent_source=(text.get("consent_source") or self.consent_source) if consent_method else None,
            national_id=text.get("national_id") or None,
            birth_date=birth_date,
        )

    def _day(self, text: Mapping[str, str], column: str, bad: _Bad) -> date | None:
        if not text.get(column):
            return None
        try:
            return parse_day(text[column], self.locale)
        except ValueError as exc:
            bad(column, str(exc))
            return None

    def _consent(self, text: Mapping[str, str], bad: _Bad) -> tuple[str | None, datetime | None]:
        value = text.get("consent", "").lower()
        method: str | None
        if value in _METHODS:
            method = value
        elif value in _TRUE:
            method = ConsentMethod.IMPORTED.value
        elif value in _FALSE:
            method = None
        else:
            bad("consent", f"not yes/no or one of {', '.join(sorted(_METHODS))}")
            method = None
        at = None
        if text.get("consent_at"):
            try:
                at = datetime.fromisoformat(text["consent_at"])
            except ValueError:
                bad("consent_at", "not an ISO date-time")
            else:
                at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        return method, at


class _Bad(Protocol):
    """Records a problem in one column of the row being validated."""

    def __call__(self, column: str, what: str, show_value: bool = True) -> None: ...
