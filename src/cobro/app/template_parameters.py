"""A catalogue template filled in for one debtor: its body parameters from ledger values, and a preview.

The parameters are plain values (TemplateParameter); the WhatsApp adapter maps them to the Cloud API's
text and currency parameters (adapters/whatsapp/template_payloads.py). Amounts and dates are written by
babel in the debtor's locale (language + country: es_MX, pt_BR, it_IT, en_US).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from cobro.domain.errors import InvalidInput
from cobro.domain.money import Money
from cobro.domain.template_catalogue import ParameterKind, TemplateEntry
from cobro.i18n.formatting import debtor_locale, format_amount, format_long_date

_VARIABLE = re.compile(r"\{\{([0-9]+)\}\}")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class TemplateValues:
    """What the ledger knows for one message; a template uses the values its parameters name."""

    debtor_name: str
    creditor_name: str
    language: str  # the debtor's ISO 639-1 language
    country: str | None = None  # the debtor's ISO 3166-1 country, for the locale
    amount: Money | None = None  # the outstanding amount (an instalment reminder: the instalment's)
    invoice_reference: str | None = None
    due_date: date | None = None  # the invoice's due date (an instalment reminder: the instalment's)
    payment_link: str | None = None
    days_overdue: int | None = None
    paid_amount: Money | None = None  # a receipt: the payment received
    remaining_amount: Money | None = None  # a receipt: what is still open after it (zero when paid off)
    promise_date: date | None = None  # the date the debtor promised to pay

    @property
    def locale(self) -> str:
        """The babel locale amounts and dates are written in."""
        return debtor_locale(self.language, self.country)


@dataclass(frozen=True, slots=True)
class TemplateParameter:
    """One body parameter: `text` as the debtor reads it; an amount (amount, paid_amount, remaining_amount)
    also carries its currency and amount_1000 (the amount times 1,000, exact) for the Cloud API's currency
    parameter."""

    kind: ParameterKind
    text: str
    currency_code: str | None = None
    amount_1000: int | None = None

    @property
    def is_currency(self) -> bool:
        """True for an amount, sent as a currency parameter with `text` as its fallback."""
        return self.currency_code is not None


class MissingTemplateValue(InvalidInput):
    """The template needs a value the ledger did not give (e.g. no payment link on the invoice)."""


def render_parameters(entry: TemplateEntry, values: TemplateValues) -> list[TemplateParameter]:
    """The body parameters of `entry` in order ({{1}} first), formatted for the debtor's locale."""
    locale = values.locale
    return [_parameter(kind, values, locale, entry) for kind in entry.parameters]


def preview_text(entry: TemplateEntry, values: TemplateValues) -> str:
    """The body as the debtor will read it, with every variable replaced by its formatted value."""
    texts = [p.text for p in render_parameters(entry, values)]
    return _VARIABLE.sub(lambda m: texts[int(m.group(1)) - 1], entry.body)


def _parameter(
    kind: ParameterKind, values: TemplateValues, locale: str, entry: TemplateEntry
) -> TemplateParameter:
    amounts = {
        ParameterKind.AMOUNT: values.amount,
        ParameterKind.PAID_AMOUNT: values.paid_amount,
        ParameterKind.REMAINING_AMOUNT: values.remaining_amount,
    }
    if kind in amounts:
        money = _required(amounts[kind], kind, entry)
        thousandths = money.amount * 1000
        if thousandths != thousandths.to_integral_value():
            raise InvalidInput(f"{money.amount} {money.currency} has more than three decimals")
        return TemplateParameter(kind, format_amount(money, locale), money.currency, int(thousandths))
    dates = {ParameterKind.DUE_DATE: values.due_date, ParameterKind.PROMISE_DATE: values.promise_date}
    if kind in dates:
        return TemplateParameter(kind, format_long_date(_required(dates[kind], kind, entry), locale))
    if kind is ParameterKind.DAYS_OVERDUE:
        return TemplateParameter(kind, str(_required(values.days_overdue, kind, entry)))
    text = {
        ParameterKind.DEBTOR_NAME: values.debtor_name,
        ParameterKind.CREDITOR_NAME: values.creditor_name,
        ParameterKind.INVOICE_REFERENCE: values.invoice_reference,
        ParameterKind.PAYMENT_LINK: values.payment_link,
    }[kind]
    # Meta refuses a text parameter with a newline, a tab or more than four spaces in a row (132018).
    return TemplateParameter(kind, " ".join(_required(text, kind, entry).split()))


def _required(value: _T | None, kind: ParameterKind, entry: TemplateEntry) -> _T:
    if value is None or value == "":
        raise MissingTemplateValue(
            f"template {entry.name} ({entry.language}) needs {kind.value}, and it is missing"
        )
    return value
