"""Message models check WhatsApp's limits when built and produce Meta's JSON exactly.

Expected payloads are written by hand from Meta's reference pages, not produced by the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from cobro.adapters.whatsapp import (
    ButtonsMessage,
    CurrencyParam,
    InvalidMessage,
    ListMessage,
    ListRow,
    ListSection,
    ReplyButton,
    TemplateDefinition,
    TemplateMessage,
    TextMessage,
    TextParam,
)
from cobro.domain.money import Money


def test_a_template_without_variables_sends_no_components() -> None:
    payload = TemplateMessage(to="+5215512345678", name="hola", language="es").to_payload()
    assert payload["template"] == {"name": "hola", "language": {"code": "es"}}


def test_named_parameters_carry_their_parameter_name() -> None:
    assert TextParam("María", name="first_name").to_payload() == {
        "type": "text",
        "text": "María",
        "parameter_name": "first_name",
    }


def test_a_currency_parameter_comes_from_domain_money_exactly() -> None:
    param = CurrencyParam.from_money(Money(Decimal("0.1") + Decimal("0.2"), "MXN"), "$0.30")
    assert param.amount_1000 == 300


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(InvalidMessage, match="Decimal"):
        CurrencyParam(1250.5, "MXN", "$1,250.50")  # type: ignore[arg-type]


def test_an_amount_finer_than_a_thousandth_is_refused() -> None:
    with pytest.raises(InvalidMessage, match="three decimals"):
        CurrencyParam(Decimal("1.2345"), "MXN", "$1.23")


def test_a_reply_buttons_message_is_exactly_metas_shape() -> None:
    message = ButtonsMessage(
        to="+5215512345678",
        header="Tu saldo",
        body="¿Cómo quieres pagar?",
        footer="Banco Ejemplo",
        buttons=(ReplyButton("PAY_NOW", "Pagar ahora"), ReplyButton("PLAN", "Plan de pagos")),
    )
    payload = json.loads(message.to_json())
    assert payload["interactive"] == {
        "type": "button",
        "header": {"type": "text", "text": "Tu saldo"},
        "body": {"text": "¿Cómo quieres pagar?"},
        "footer": {"text": "Banco Ejemplo"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "PAY_NOW", "title": "Pagar ahora"}},
                {"type": "reply", "reply": {"id": "PLAN", "title": "Plan de pagos"}},
            ]
        },
    }
    assert payload["type"] == "interactive"


def test_a_list_message_is_exactly_metas_shape() -> None:
    message = ListMessage(
        to="+5215512345678",
        body="Elige un plan",
        button="Opciones",
        sections=(
            ListSection(
                title="Planes",
                rows=(ListRow("PLAN_3", "3 cuotas", "3 pagos de $416.83"), ListRow("PLAN_1", "Pago único")),
            ),
        ),
    )
    payload = json.loads(message.to_json())
    assert payload["interactive"] == {
        "type": "list",
        "body": {"text": "Elige un plan"},
        "action": {
            "button": "Opciones",
            "sections": [
                {
                    "title": "Planes",
                    "rows": [
                        {"id": "PLAN_3", "title": "3 cuotas", "description": "3 pagos de $416.83"},
                        {"id": "PLAN_1", "title": "Pago único"},
                    ],
                }
            ],
        },
    }


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (
            lambda: ButtonsMessage(
                to="1", body="b", buttons=tuple(ReplyButton(str(i), "t") for i in range(4))
            ),
            "three",
        ),
        (lambda: ReplyButton("id", "x" * 21), "at most 20"),
        (lambda: TextMessage(to="1", body="x" * 4097), "at most 4096"),
        (lambda: ListRow("id", "x" * 25), "at most 24"),
        (
            lambda: ListMessage(
                to="1",
                body="b",
                button="B",
                sections=(ListSection(tuple(ListRow(str(i), "t") for i in range(11))),),
            ),
            "1-10 rows",
        ),
        (lambda: TextMessage(to="1", body="b", biz_opaque_callback_data="x" * 513), "at most 512"),
    ],
)
def test_a_message_over_whatsapps_limits_is_refused_before_sending(
    build: Callable[[], Any], limit: str
) -> None:
    with pytest.raises(InvalidMessage, match=limit):
        build()


def test_a_template_name_with_capitals_is_refused() -> None:
    with pytest.raises(InvalidMessage, match="lowercase"):
        TemplateDefinition(name="Recordatorio", language="es", category="UTILITY", components=[])
