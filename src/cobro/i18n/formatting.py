"""Amounts and dates written for a debtor: the locale from their language and country, formatted by babel."""

from __future__ import annotations

from datetime import date
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency

from cobro.domain.money import Money


@cache
def debtor_locale(language: str, country: str | None = None) -> str:
    """The babel locale for a debtor: 'es' + 'MX' -> 'es_MX', 'pt' + 'BR' -> 'pt_BR'; a pair CLDR does not
    know ('it' + 'MX') falls back to the language's own default ('it' -> 'it')."""
    base = language.replace("-", "_").split("_")[0].lower()
    candidates = [f"{base}_{country.upper()}"] if country else []
    candidates.append(base)
    for name in candidates:
        try:
            return str(Locale.parse(name))
        except (UnknownLocaleError, ValueError):
            continue
    raise ValueError(f"no locale for language {language!r}")


def format_amount(money: Money, locale: str) -> str:
    """The amount with its currency as the locale writes it: '$1,250.50' (es_MX), 'R$ 1.250,50' (pt_BR)."""
    # Ledger amounts come from minor units, so babel's rounding to the currency's digits changes nothing.
    return str(format_currency(money.amount, money.currency, locale=locale))


def format_long_date(day: date, locale: str) -> str:
    """A calendar date in the locale's long form: '30 de noviembre de 2026' (es_MX), 'November 30, 2026'."""
    return str(format_date(day, format="long", locale=locale))
