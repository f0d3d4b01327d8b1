"""ISO 4217 currencies and their minor units, from CLDR through babel (no hand-written table)."""

from __future__ import annotations

from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from cobro.domain.money import Currency


@cache
def _known() -> frozenset[str]:
    return frozenset(list_currencies())


def find_currency(code: str) -> Currency | None:
    """The currency for an ISO 4217 code ('EUR', 'mxn'), or None when it is not a currency."""
    code = code.strip().upper()
    if len(code) != 3 or code not in _known():
        return None
    return _currency(code)


@cache
def _currency(code: str) -> Currency:
    return Currency(code=code, minor_units=int(get_currency_precision(code)))
