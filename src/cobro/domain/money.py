"""Money as an exact decimal amount in one currency; never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation


class CurrencyMismatch(ValueError):
    """Raised when money in two currencies is combined."""


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency and the number of digits after its decimal point (its minor units)."""

    code: str
    minor_units: int

    def quantum(self) -> Decimal:
        """The smallest amount this currency can express, e.g. Decimal('0.01')."""
        return Decimal(1).scaleb(-self.minor_units)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal, never a float")
        if not self.amount.is_finite():
            raise ValueError("Money.amount must be finite")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def is_zero(self) -> bool:
        """True when the amount is exactly zero."""
        return self.amount == 0

    def is_negative(self) -> bool:
        """True when the amount is below zero."""
        return self.amount < 0

    def to_minor(self, currency: Currency) -> int:
        """The amount in minor units (cents); refuses amounts finer than the currency allows."""
        if currency.code != self.currency:
            raise CurrencyMismatch(f"{self.currency} is not {currency.code}")
        try:
            exact = self.amount == self.amount.quantize(currency.quantum(), rounding=ROUND_HALF_EVEN)
        except InvalidOperation:  # more digits than decimal arithmetic carries: no money is that large
            raise ValueError(f"{self.amount} has too many digits") from None
        if not exact:
            raise ValueError(f"{self.currency} has {currency.minor_units} decimal places")
        return int(self.amount.scaleb(currency.minor_units))

    @classmethod
    def from_minor(cls, minor: int, currency: Currency) -> Money:
        """Builds money from an integer count of minor units."""
        return cls(Decimal(minor).scaleb(-currency.minor_units), currency.code)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")
