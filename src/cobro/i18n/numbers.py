"""Amounts and dates written the way a locale writes them ('1.234,56', '31/12/2026'), parsed with babel."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import parse_date as babel_parse_date
from babel.numbers import NumberFormatError
from babel.numbers import parse_decimal as babel_parse_decimal


class UnknownLocale(ValueError):
    """A locale name babel does not know."""


@cache
def load_locale(name: str) -> Locale:
    """The babel Locale for 'es_MX' or 'pt-BR'; raises UnknownLocale otherwise."""
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise UnknownLocale(f"unknown locale {name!r}") from exc


def parse_amount(text: str, locale: str | None) -> Decimal:
    """Parses a decimal amount: plain '1234.56' always, and the locale's own format when one is given."""
    text = text.strip()
    try:
        value = Decimal(text)
        if value.is_finite():
            return value
    except InvalidOperation:
        pass
    if locale is None:
        raise ValueError("not a number")
    try:
        return Decimal(babel_parse_decimal(text, locale=load_locale(locale), strict=True))
    except (NumberFormatError, InvalidOperation) as exc:
        raise ValueError("not a number in this locale's format") from exc


def parse_day(text: str, locale: str | None) -> date:
    """Parses a calendar date: ISO 'YYYY-MM-DD' always, and the locale's short format when one is given."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        if locale is None or not any(sep in text for sep in "/.-"):
            raise ValueError("not a date (expected YYYY-MM-DD)") from None
    try:
        return babel_parse_date(text, locale=load_locale(locale))
    except (ValueError, IndexError) as exc:
        raise ValueError("not a date in this locale's format") from exc
