from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobro.domain.money import Currency, CurrencyMismatch, Money
from cobro.i18n.currencies import find_currency

EUR = Currency("EUR", 2)
JPY = Currency("JPY", 0)


def test_money_refuses_a_float():
    with pytest.raises(TypeError):
        Money(12.5, "EUR")  # type: ignore[arg-type]


def test_money_converts_to_and_from_minor_units():
    assert Money(Decimal("120.50"), "EUR").to_minor(EUR) == 12050
    assert Money.from_minor(12050, EUR) == Money(Decimal("120.50"), "EUR")


def test_money_refuses_more_decimals_than_the_currency_has():
    with pytest.raises(ValueError, match="0 decimal places"):
        Money(Decimal("10.5"), "JPY").to_minor(JPY)


def test_adding_two_currencies_is_refused():
    with pytest.raises(CurrencyMismatch):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")


def test_currency_minor_units_come_from_cldr():
    assert find_currency("eur") == Currency("EUR", 2)
    assert find_currency("JPY") == Currency("JPY", 0)
    assert find_currency("KWD") == Currency("KWD", 3)
    assert find_currency("XYZ") is None
    assert find_currency("euro") is None


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["EUR", "JPY", "KWD", "CLP"]))
def test_minor_units_round_trip_exactly(minor, code):
    currency = find_currency(code)
    assert currency is not None
    assert Money.from_minor(minor, currency).to_minor(currency) == minor


def test_an_amount_with_more_digits_than_decimal_arithmetic_carries_is_refused_with_a_value_error():
    eur = Currency("EUR", 2)
    with pytest.raises(ValueError, match="too many digits"):
        Money(Decimal("1" + "0" * 26), "EUR").to_minor(eur)
