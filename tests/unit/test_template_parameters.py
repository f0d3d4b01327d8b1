"""Template parameters from ledger values: amounts and dates in the debtor's locale, and the preview."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cobro.adapters.whatsapp import CurrencyParam, TextParam
from cobro.adapters.whatsapp.template_payloads import definition_for, template_message
from cobro.app.template_parameters import (
    MissingTemplateValue,
    TemplateValues,
    preview_text,
    render_parameters,
)
from cobro.domain.money import Money
from cobro.domain.template_catalogue import ParameterKind, find_entry, load_catalogue
from cobro.i18n.formatting import debtor_locale

CATALOGUE = load_catalogue()
NBSP = "\xa0"


def values(language: str, country: str, currency: str, **extra: object) -> TemplateValues:
    fields: dict[str, object] = {
        "debtor_name": "Ana  Pérez",
        "creditor_name": "Tienda Sol",
        "language": language,
        "country": country,
        "amount": Money(Decimal("1250.50"), currency),
        "invoice_reference": "F-1001",
        "due_date": date(2026, 11, 30),
        "payment_link": "https://pay.example.com/F-1001",
    }
    fields.update(extra)
    return TemplateValues(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "template_language", "country", "currency", "amount", "due"),
    [
        ("es", "es", "MX", "MXN", "$1,250.50", "30 de noviembre de 2026"),
        ("pt", "pt_BR", "BR", "BRL", f"R${NBSP}1.250,50", "30 de novembro de 2026"),
        ("it", "it", "IT", "EUR", f"1.250,50{NBSP}€", "30 novembre 2026"),
        ("en", "en", "US", "USD", "$1,250.50", "November 30, 2026"),
    ],
)
def test_amounts_and_dates_are_written_in_the_debtors_locale(
    language: str, template_language: str, country: str, currency: str, amount: str, due: str
) -> None:
    entry = find_entry(CATALOGUE, "cobro_overdue_notice", template_language)
    assert entry is not None
    params = {p.kind: p for p in render_parameters(entry, values(language, country, currency))}
    assert params[ParameterKind.AMOUNT].text == amount
    assert (params[ParameterKind.AMOUNT].currency_code, params[ParameterKind.AMOUNT].amount_1000) == (
        currency,
        1250500,
    )
    assert params[ParameterKind.DUE_DATE].text == due
    assert params[ParameterKind.DUE_DATE].currency_code is None


def test_parameters_follow_the_entrys_order_and_text_loses_runs_of_spaces() -> None:
    entry = find_entry(CATALOGUE, "cobro_reminder_before_due", "es")
    assert entry is not None
    params = render_parameters(entry, values("es", "MX", "MXN"))
    assert [p.kind for p in params] == list(entry.parameters)
    assert params[0].text == "Ana Pérez"  # Meta refuses more than four spaces, tabs or newlines in a row


def test_the_preview_is_the_body_the_debtor_reads() -> None:
    entry = find_entry(CATALOGUE, "cobro_reminder_before_due", "es")
    assert entry is not None
    preview = preview_text(entry, values("es", "MX", "MXN"))
    assert preview.startswith(
        "Hola Ana Pérez, le escribimos de Tienda Sol para recordarle que la factura F-1001 "
    )
    assert "por $1,250.50 vence el 30 de noviembre de 2026." in preview
    assert "{{" not in preview


def test_a_missing_value_names_the_template_and_the_parameter() -> None:
    entry = find_entry(CATALOGUE, "cobro_overdue_notice", "en")
    assert entry is not None
    with pytest.raises(MissingTemplateValue, match=r"cobro_overdue_notice \(en\) needs payment_link"):
        render_parameters(entry, values("en", "US", "USD", payment_link=None))


def test_the_right_party_check_needs_only_the_debtors_name() -> None:
    entry = find_entry(CATALOGUE, "cobro_right_party_check", "en")
    assert entry is not None
    bare = TemplateValues(debtor_name="Jane", creditor_name="Sunrise Store", language="en", country="US")
    assert preview_text(entry, bare) == (
        "Hello, are we speaking with Jane? We have a message for you. Please confirm with one of the buttons."
    )


def test_a_country_babel_does_not_pair_with_the_language_falls_back_to_the_language() -> None:
    assert debtor_locale("it", "MX") == "it"
    assert debtor_locale("es", "CO") == "es_CO"
    assert debtor_locale("pt", None) == "pt"


def test_the_send_carries_a_currency_parameter_and_the_quick_reply_payloads() -> None:
    entry = find_entry(CATALOGUE, "cobro_overdue_notice", "pt_BR")
    assert entry is not None
    message = template_message(
        entry, render_parameters(entry, values("pt", "BR", "BRL")), to="+5511999990000"
    )
    currency = message.body[3]
    assert isinstance(currency, CurrencyParam)
    assert currency.to_payload()["currency"] == {
        "fallback_value": f"R${NBSP}1.250,50",
        "code": "BRL",
        "amount_1000": 1250500,
    }
    assert isinstance(message.body[0], TextParam)
    payload = message.to_payload()["template"]
    assert payload["language"] == {"code": "pt_BR"}
    buttons = [c for c in payload["components"] if c["type"] == "button"]
    assert [b["parameters"][0]["payload"] for b in buttons] == [b.payload for b in entry.buttons]


def test_the_definition_submits_header_body_examples_and_button_labels() -> None:
    entry = find_entry(CATALOGUE, "cobro_plan_options", "it")
    assert entry is not None
    components = definition_for(entry).components
    assert [c["type"] for c in components] == ["HEADER", "BODY", "BUTTONS"]
    assert components[1]["example"] == {"body_text": [list(entry.examples)]}
    assert [b["text"] for b in components[2]["buttons"]] == [b.label for b in entry.buttons]


def test_a_receipt_carries_the_paid_and_the_remaining_amount_as_currency_parameters() -> None:
    entry = find_entry(CATALOGUE, "cobro_payment_receipt", "pt_BR")
    assert entry is not None
    receipt = values(
        "pt",
        "BR",
        "BRL",
        paid_amount=Money(Decimal("500.00"), "BRL"),
        remaining_amount=Money(Decimal("0.00"), "BRL"),
    )
    params = {p.kind: p for p in render_parameters(entry, receipt)}
    paid, remaining = params[ParameterKind.PAID_AMOUNT], params[ParameterKind.REMAINING_AMOUNT]
    assert (paid.text, paid.currency_code, paid.amount_1000) == (f"R${NBSP}500,00", "BRL", 500000)
    assert (remaining.text, remaining.currency_code, remaining.amount_1000) == (f"R${NBSP}0,00", "BRL", 0)
    message = template_message(entry, render_parameters(entry, receipt), to="+5511999990000")
    assert [type(p).__name__ for p in message.body] == [
        "TextParam",
        "TextParam",
        "CurrencyParam",
        "TextParam",
        "CurrencyParam",
    ]
    preview = preview_text(entry, receipt)
    assert f"pagamento de R${NBSP}500,00, que já registramos na fatura F-1001" in preview
    assert f"O saldo restante agora é de R${NBSP}0,00." in preview


def test_a_receipt_without_the_paid_amount_names_it() -> None:
    entry = find_entry(CATALOGUE, "cobro_payment_receipt", "en")
    assert entry is not None
    with pytest.raises(MissingTemplateValue, match=r"cobro_payment_receipt \(en\) needs paid_amount"):
        render_parameters(entry, values("en", "US", "USD", remaining_amount=Money(Decimal("1"), "USD")))


def test_the_promise_date_is_written_like_the_due_date() -> None:
    entry = find_entry(CATALOGUE, "cobro_promise_followup", "es")
    assert entry is not None
    followup = values("es", "MX", "MXN", promise_date=date(2026, 12, 15))
    params = {p.kind: p for p in render_parameters(entry, followup)}
    assert params[ParameterKind.PROMISE_DATE].text == "15 de diciembre de 2026"
    assert params[ParameterKind.PROMISE_DATE].currency_code is None
    assert "Nos comentó que pagaría $1,250.50 el 15 de diciembre de 2026 y todavía" in preview_text(
        entry, followup
    )
    with pytest.raises(MissingTemplateValue, match="needs promise_date"):
        render_parameters(entry, values("es", "MX", "MXN"))
