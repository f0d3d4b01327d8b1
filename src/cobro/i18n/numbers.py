"""Amounts and dates written the way a locale writes them ('1.234,56', '31/12/2026'), parsed with babel."""

from __future__ import annotations

import contextlib
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
    """Parses a decimal amount: the locale's own format first when one is given ('1.500' is 1500 in es_ES),
    then plain '1234.56'."""
    text = text.strip()
    value = Decimal("NaN")
    if locale is not None:
        with contextlib.suppress(NumberFormatError, InvalidOperation):
            value = Decimal(babel_parse_decimal(text, locale=load_locale(locale), strict=True))
    if not value.is_finite():  # babel reads "NaN" and "Infinity" as numbers: they are not amounts
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
    if value.is_finite():
        return value
    raise ValueError("not a number in this locale's format" if locale else "not a number")


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
