"""What the phone shows: templates filled in, interactive buttons and lists, texts, and what the phone sends."""

from __future__ import annotations

from typing import Any

import pytest

from cobro.sandbox.errors import GraphError
from cobro.sandbox.outbound import OutboundMessage, parse_send
from cobro.sandbox.render import render, render_inbound
from tests.unit.sandbox.test_outbound import (
    CURRENCY,
    DATE,
    STORE,
    reminder_components,
    send,
    template_send,
    text,
)


def rendered(body: dict[str, Any]) -> dict[str, Any]:
    message = parse_send(body, STORE)
    assert isinstance(message, OutboundMessage)
    return render(message)


def test_a_template_shows_currency_and_date_time_by_their_fallback_values() -> None:
    shown = rendered(template_send(components=reminder_components(body=[CURRENCY, DATE])))
    assert shown["header"] == "Hola María"
    assert shown["body"] == "Tu saldo de $1,250.00 vence el 15 de noviembre. Paga antes para evitar recargos."
    assert shown["footer"] == "Cobro"
    assert shown["list"] is None


def test_a_template_shows_its_buttons_with_the_url_filled_in() -> None:
    shown = rendered(template_send(components=reminder_components(url_suffix="tok123")))
    assert shown["buttons"] == [
        {"kind": "quick_reply", "id": "Pagar ahora", "title": "Pagar ahora", "url": None},
        {"kind": "url", "id": None, "title": "Ver saldo", "url": "https://pay.example/tok123"},
        {"kind": "phone_number", "id": None, "title": "Llamar", "url": "tel:+525512345678"},
    ]


def test_a_quick_reply_shows_the_payload_sent_for_its_index_as_its_id() -> None:
    quick = {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "PAY_NOW"}],
    }
    shown = rendered(template_send(components=[*reminder_components(), quick]))
    assert shown["buttons"][0]["id"] == "PAY_NOW"


def test_a_named_template_fills_in_by_name() -> None:
    params = [
        {"type": "text", "parameter_name": "nombre", "text": "Ana"},
        {"type": "text", "parameter_name": "monto", "text": "$5"},
    ]
    shown = rendered(template_send(name="nombrado", components=[{"type": "body", "parameters": params}]))
    assert shown["body"] == "Hola Ana, tu saldo de $5 vence pronto."


def test_a_template_without_variables_shows_its_text() -> None:
    shown = rendered(template_send(name="aviso"))
    assert shown == {
        "header": None,
        "body": "Tu estado de cuenta está listo. Gracias por tu atención.",
        "footer": None,
        "buttons": [],
        "list": None,
    }


def test_a_text_shows_its_body() -> None:
    assert rendered(send(text={"body": "Hola Ana"})) == {
        "header": None,
        "body": "Hola Ana",
        "footer": None,
        "buttons": [],
        "list": None,
    }


def test_interactive_buttons_show_as_reply_buttons() -> None:
    interactive = {
        "type": "button",
        "header": {"type": "text", "text": "Tu deuda"},
        "body": {"text": "¿Cómo quieres pagar?"},
        "footer": {"text": "Cobro"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "PAY_NOW", "title": "Pagar ahora"}}]},
    }
    shown = rendered(send(type="interactive", text=None, interactive=interactive))
    assert (shown["header"], shown["body"], shown["footer"]) == ("Tu deuda", "¿Cómo quieres pagar?", "Cobro")
    assert shown["buttons"] == [{"kind": "reply", "id": "PAY_NOW", "title": "Pagar ahora", "url": None}]


def test_a_list_shows_its_button_sections_and_rows() -> None:
    interactive = {
        "type": "list",
        "body": {"text": "Elige un plan"},
        "action": {
            "button": "Planes",
            "sections": [
                {
                    "rows": [
                        {"id": "PLAN_3", "title": "3 cuotas", "description": "Sin interés"},
                        {"id": "PLAN_6", "title": "6 cuotas"},
                    ]
                }
            ],
        },
    }
    shown = rendered(send(type="interactive", text=None, interactive=interactive))
    assert shown["buttons"] == []
    assert shown["list"] == {
        "button": "Planes",
        "sections": [
            {
                "title": "",
                "rows": [
                    {"id": "PLAN_3", "title": "3 cuotas", "description": "Sin interés"},
                    {"id": "PLAN_6", "title": "6 cuotas", "description": None},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("kind", "payload", "body"),
    [
        ("text", "Ya pagué", "Ya pagué"),
        ("button_reply", {"id": "PAY_NOW", "title": "Pagar ahora"}, "Pagar ahora"),
        ("list_reply", {"id": "PLAN_3", "title": "3 cuotas", "description": "x"}, "3 cuotas"),
        ("button", {"payload": "PAY_NOW", "text": "Pagar ahora"}, "Pagar ahora"),
        ("reaction", {"message_id": "wamid.X", "emoji": "👍"}, "👍"),
        ("image", {"caption": "Comprobante"}, "Comprobante"),
    ],
)
def test_what_the_phone_sends_shows_its_text_or_tapped_title(kind: str, payload: Any, body: str) -> None:
    assert render_inbound(kind, payload) == {
        "header": None,
        "body": body,
        "footer": None,
        "buttons": [],
        "list": None,
    }


def test_an_image_without_caption_shows_an_empty_body() -> None:
    assert render_inbound("image", {})["body"] == ""


def test_something_the_phone_cannot_send_is_refused() -> None:
    with pytest.raises(GraphError):
        render_inbound("video", {"id": "1"})


def test_render_does_not_change_the_parsed_content() -> None:
    body = template_send(components=reminder_components(body=[text("$1"), text("lunes")]))
    message = parse_send(body, STORE)
    assert isinstance(message, OutboundMessage)
    before = repr(message.content)
    render(message)
    assert repr(message.content) == before
