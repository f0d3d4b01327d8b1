"""Parsing a send: every limit at its boundary and every refusal with Meta's code and details."""

from __future__ import annotations

from typing import Any

import pytest

from cobro.sandbox.errors import GraphError
from cobro.sandbox.outbound import MarkRead, OutboundMessage, parse_send
from cobro.sandbox.templates import TemplateStore

REMINDER_BODY = "Tu saldo de {{1}} vence el {{2}}. Paga antes para evitar recargos."


def approved_store() -> TemplateStore:
    """A store with the templates these tests send: approved ones, and one in each other status."""
    store = TemplateStore()
    store.create(
        {
            "name": "recordatorio",
            "language": "es_MX",
            "category": "UTILITY",
            "components": [
                {
                    "type": "HEADER",
                    "format": "TEXT",
                    "text": "Hola {{1}}",
                    "example": {"header_text": ["Ana"]},
                },
                {"type": "BODY", "text": REMINDER_BODY, "example": {"body_text": [["$10", "lunes"]]}},
                {"type": "FOOTER", "text": "Cobro"},
                {
                    "type": "BUTTONS",
                    "buttons": [
                        {"type": "QUICK_REPLY", "text": "Pagar ahora"},
                        {"type": "URL", "text": "Ver saldo", "url": "https://pay.example/{{1}}"},
                        {"type": "PHONE_NUMBER", "text": "Llamar", "phone_number": "+525512345678"},
                    ],
                },
            ],
        },
        0.0,
    )
    plain = [{"type": "BODY", "text": "Tu estado de cuenta está listo. Gracias por tu atención."}]
    named = [{"type": "BODY", "text": "Hola {{nombre}}, tu saldo de {{monto}} vence pronto."}]
    store.create({"name": "aviso", "language": "es_MX", "category": "UTILITY", "components": plain}, 0.0)
    store.create(
        {
            "name": "nombrado",
            "language": "es_MX",
            "category": "UTILITY",
            "parameter_format": "NAMED",
            "components": named,
        },
        0.0,
    )
    for name in ("recordatorio", "aviso", "nombrado"):
        store.set_status(name, "es_MX", "APPROVED")
    for name, status in (
        ("pendiente", None),
        ("rechazada", "REJECTED"),
        ("pausada", "PAUSED"),
        ("apagada", "DISABLED"),
    ):
        store.create({"name": name, "language": "es_MX", "category": "UTILITY", "components": plain}, 0.0)
        if status:
            store.set_status(name, "es_MX", status, "SCAM" if status == "REJECTED" else "NONE")
    return store


STORE = approved_store()


def send(**fields: Any) -> dict[str, Any]:
    """A text send to a Mexican number, with fields replaced (None removes one)."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+5215512345678",
        "type": "text",
        "text": {"body": "Hola"},
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def reminder_components(
    header: list[Any] | None = None, body: list[Any] | None = None, url_suffix: str | None = "tok123"
) -> list[dict[str, Any]]:
    components: list[dict[str, Any]] = [
        {"type": "header", "parameters": header if header is not None else [text("María")]},
        {
            "type": "body",
            "parameters": body if body is not None else [text("$1,250.00"), text("15 de noviembre")],
        },
    ]
    if url_suffix is not None:
        components.append(
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [text(url_suffix)]}
        )
    return components


def template_send(name: str = "recordatorio", code: str = "es_MX", components: Any = None) -> dict[str, Any]:
    content: dict[str, Any] = {"name": name, "language": {"code": code}}
    if components is not None:
        content["components"] = components
    return send(type="template", text=None, template=content)


def refusal(body: Any) -> GraphError:
    with pytest.raises(GraphError) as caught:
        parse_send(body, STORE)
    return caught.value


def accepted(body: dict[str, Any]) -> OutboundMessage:
    parsed = parse_send(body, STORE)
    assert isinstance(parsed, OutboundMessage)
    return parsed


def interactive_buttons(*buttons: dict[str, Any], **fields: Any) -> dict[str, Any]:
    content = {
        "type": "button",
        "body": {"text": "¿Cómo quieres pagar?"},
        "action": {"buttons": list(buttons)},
    }
    content.update(fields)
    return send(type="interactive", text=None, interactive=content)


def reply(button_id: str, title: str) -> dict[str, Any]:
    return {"type": "reply", "reply": {"id": button_id, "title": title}}


def interactive_list(*sections: dict[str, Any], button: str = "Opciones") -> dict[str, Any]:
    content = {
        "type": "list",
        "body": {"text": "Elige un plan"},
        "action": {"button": button, "sections": list(sections)},
    }
    return send(type="interactive", text=None, interactive=content)


def rows(count: int, prefix: str = "r") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i}", "title": f"Plan {i}"} for i in range(count)]


# the envelope


def test_a_text_send_parses_to_an_outbound_message() -> None:
    message = accepted(send(context={"message_id": "wamid.ABC"}, biz_opaque_callback_data="outbox:7"))
    assert (message.type, message.content, message.recipient, message.recipient_kind) == (
        "text",
        {"body": "Hola"},
        "5215512345678",
        "phone",
    )
    assert (message.context_id, message.biz_opaque_callback_data, message.template) == (
        "wamid.ABC",
        "outbox:7",
        None,
    )


def test_a_missing_messaging_product_is_refused_with_code_100() -> None:
    error = refusal(send(messaging_product=None))
    assert (error.code, error.message) == (100, "(#100) The parameter messaging_product is required.")


def test_a_messaging_product_other_than_whatsapp_is_refused() -> None:
    assert refusal(send(messaging_product="sms")).code == 100


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert refusal(["whatsapp"]).code == 100


def test_a_send_without_to_or_recipient_is_refused() -> None:
    error = refusal(send(to=None))
    assert error.message == "(#100) The parameter to is required."


@pytest.mark.parametrize("to", ["+52 1 (55) 1234-5678", "5215512345678", "+52.1.55.1234.5678", 5215512345678])
def test_to_may_carry_a_plus_and_separators_and_recipient_keeps_the_digits(to: Any) -> None:
    message = accepted(send(to=to))
    assert message.recipient == "5215512345678"
    assert message.to == str(to)


@pytest.mark.parametrize("to", ["1234567", "123456789012345"])
def test_to_of_seven_to_fifteen_digits_is_allowed(to: str) -> None:
    assert accepted(send(to=to)).recipient == to


@pytest.mark.parametrize("to", ["123456", "1234567890123456", "+52 abc 1234", "", True])
def test_to_that_is_not_a_phone_number_is_refused(to: Any) -> None:
    assert refusal(send(to=to)).code == 100


def test_a_business_scoped_user_id_in_recipient_addresses_the_person() -> None:
    message = accepted(send(to=None, recipient="US.13491208655302741918"))
    assert (message.to, message.recipient, message.recipient_kind) == (
        "US.13491208655302741918",
        "US.13491208655302741918",
        "user_id",
    )


def test_a_parent_business_scoped_user_id_is_accepted() -> None:
    message = accepted(send(to=None, recipient="US.ENT.11815799212886844830"))
    assert message.recipient_kind == "parent_user_id"


def test_with_both_to_and_recipient_to_takes_precedence() -> None:
    message = accepted(send(recipient="MX.1234567890"))
    assert (message.recipient_kind, message.recipient, message.user_id) == (
        "phone",
        "5215512345678",
        "MX.1234567890",
    )


@pytest.mark.parametrize("recipient", ["13491208655302741918", "us.123", "US.", "USA.123", 123])
def test_a_recipient_that_is_not_a_business_scoped_user_id_is_refused(recipient: Any) -> None:
    assert refusal(send(to=None, recipient=recipient)).code == 100


def test_a_recipient_type_other_than_individual_is_refused() -> None:
    assert refusal(send(recipient_type="group")).code == 100


def test_a_send_without_type_is_a_text() -> None:
    assert accepted(send(type=None)).type == "text"


@pytest.mark.parametrize("kind", ["image", "sticker", "reaction"])
def test_a_cloud_api_type_the_sandbox_does_not_serve_is_refused_with_131051(kind: str) -> None:
    error = refusal(send(type=kind, **{kind: {"id": "1"}}))
    assert (error.code, error.message) == (131051, "(#131051) Unsupported message type")
    assert kind in (error.details or "")


def test_an_unknown_type_is_refused_with_131051() -> None:
    error = refusal(send(type="hologram"))
    assert error.code == 131051
    assert "not a Cloud API message type" in (error.details or "")


def test_a_type_without_its_object_is_refused() -> None:
    assert refusal(send(text=None)).message == "(#100) The parameter text is required."


def test_a_context_without_message_id_is_refused() -> None:
    assert refusal(send(context={})).message == "(#100) The parameter context['message_id'] is required."


def test_biz_opaque_callback_data_of_512_characters_is_allowed_and_513_refused() -> None:
    assert accepted(send(biz_opaque_callback_data="x" * 512)).biz_opaque_callback_data == "x" * 512
    assert refusal(send(biz_opaque_callback_data="x" * 513)).code == 100


# text


def test_a_text_body_of_4096_characters_is_allowed_and_4097_refused() -> None:
    assert accepted(send(text={"body": "a" * 4096}))
    error = refusal(send(text={"body": "a" * 4097}))
    assert error.code == 100
    assert "4096" in (error.details or "")


def test_a_text_without_body_is_refused_naming_the_field() -> None:
    assert (
        refusal(send(text={"preview_url": True})).message == "(#100) The parameter text['body'] is required."
    )


def test_preview_url_must_be_a_boolean() -> None:
    assert accepted(send(text={"body": "https://x.example", "preview_url": True}))
    assert refusal(send(text={"body": "x", "preview_url": "yes"})).code == 100


# mark as read


def test_a_read_receipt_parses_to_mark_read() -> None:
    parsed = parse_send({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}, STORE)
    assert parsed == MarkRead("wamid.X", False)


def test_a_read_receipt_with_a_typing_indicator_says_so() -> None:
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.X",
        "typing_indicator": {"type": "text"},
    }
    assert parse_send(body, STORE) == MarkRead("wamid.X", True)


@pytest.mark.parametrize(
    "body",
    [
        {"messaging_product": "whatsapp", "status": "delivered", "message_id": "wamid.X"},
        {"messaging_product": "whatsapp", "status": "read"},
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.X",
            "typing_indicator": {"type": "x"},
        },
    ],
)
def test_a_malformed_read_receipt_is_refused_with_code_100(body: dict[str, Any]) -> None:
    assert refusal(body).code == 100


# interactive reply buttons


def test_three_reply_buttons_are_allowed() -> None:
    message = accepted(interactive_buttons(reply("A", "Uno"), reply("B", "Dos"), reply("C", "Tres")))
    assert message.type == "interactive"


def test_a_fourth_reply_button_is_refused_with_131009() -> None:
    error = refusal(interactive_buttons(*(reply(str(i), f"Botón {i}") for i in range(4))))
    assert (error.code, error.message) == (131009, "(#131009) Parameter value is not valid")
    assert "has 4 buttons" in (error.details or "")


def test_no_reply_buttons_are_refused() -> None:
    assert refusal(interactive_buttons()).code == 131009


def test_a_button_id_of_256_characters_is_allowed_and_257_refused() -> None:
    assert accepted(interactive_buttons(reply("i" * 256, "Pagar")))
    error = refusal(interactive_buttons(reply("i" * 257, "Pagar")))
    assert "['reply']['id'] length invalid: 257 characters. Min length: 1, Max length: 256" in (
        error.details or ""
    )


def test_a_button_title_of_20_characters_is_allowed_and_21_refused() -> None:
    assert accepted(interactive_buttons(reply("A", "t" * 20)))
    error = refusal(interactive_buttons(reply("A", "t" * 21)))
    assert (error.code, "Max length: 20" in (error.details or "")) == (131009, True)


def test_an_empty_button_title_is_refused() -> None:
    assert refusal(interactive_buttons(reply("A", ""))).code == 131009


def test_duplicate_button_ids_are_refused() -> None:
    error = refusal(interactive_buttons(reply("A", "Uno"), reply("A", "Dos")))
    assert "duplicate button id 'A'" in (error.details or "")


def test_duplicate_button_titles_are_refused() -> None:
    error = refusal(interactive_buttons(reply("A", "Pagar"), reply("B", "Pagar")))
    assert "duplicate button title 'Pagar'" in (error.details or "")


def test_a_button_that_is_not_a_reply_is_refused() -> None:
    assert refusal(interactive_buttons({"type": "url", "reply": {"id": "A", "title": "B"}})).code == 131009


def test_a_missing_button_title_is_refused_naming_the_path() -> None:
    error = refusal(interactive_buttons({"type": "reply", "reply": {"id": "A"}}))
    assert (
        error.message
        == "(#100) The parameter interactive['action']['buttons'][0]['reply']['title'] is required."
    )


def test_an_interactive_body_of_1024_characters_is_allowed_and_1025_refused() -> None:
    assert accepted(interactive_buttons(reply("A", "B"), body={"text": "b" * 1024}))
    assert refusal(interactive_buttons(reply("A", "B"), body={"text": "b" * 1025})).code == 131009


def test_an_interactive_footer_of_60_characters_is_allowed_and_61_refused() -> None:
    assert accepted(interactive_buttons(reply("A", "B"), footer={"text": "f" * 60}))
    assert refusal(interactive_buttons(reply("A", "B"), footer={"text": "f" * 61})).code == 131009


def test_an_interactive_text_header_of_60_characters_is_allowed_and_61_refused() -> None:
    assert accepted(interactive_buttons(reply("A", "B"), header={"type": "text", "text": "h" * 60}))
    assert (
        refusal(interactive_buttons(reply("A", "B"), header={"type": "text", "text": "h" * 61})).code
        == 131009
    )


def test_a_media_header_is_refused_as_unsupported() -> None:
    header = {"type": "image", "image": {"link": "https://x.example/a.png"}}
    assert refusal(interactive_buttons(reply("A", "B"), header=header)).code == 131051


def test_an_interactive_without_body_is_refused() -> None:
    error = refusal(interactive_buttons(reply("A", "B"), body=None))
    assert error.message == "(#100) The parameter interactive['body'] is required."


def test_an_interactive_type_the_sandbox_does_not_serve_is_refused() -> None:
    assert refusal(send(type="interactive", text=None, interactive={"type": "product_list"})).code == 131051


# interactive lists


def test_a_list_with_ten_rows_in_all_is_allowed() -> None:
    assert accepted(
        interactive_list({"title": "A", "rows": rows(6, "a")}, {"title": "B", "rows": rows(4, "b")})
    )


def test_an_eleventh_row_is_refused() -> None:
    error = refusal(
        interactive_list({"title": "A", "rows": rows(6, "a")}, {"title": "B", "rows": rows(5, "b")})
    )
    assert (error.code, "more than 10 rows" in (error.details or "")) == (131009, True)


def test_ten_sections_are_allowed_and_an_eleventh_refused() -> None:
    ten = [{"title": f"S{i}", "rows": rows(1, f"s{i}")} for i in range(10)]
    assert accepted(interactive_list(*ten))
    assert refusal(interactive_list(*ten, {"title": "S10", "rows": rows(1, "x")})).code == 131009


def test_a_list_button_of_20_characters_is_allowed_and_21_refused() -> None:
    assert accepted(interactive_list({"rows": rows(1)}, button="b" * 20))
    assert refusal(interactive_list({"rows": rows(1)}, button="b" * 21)).code == 131009


@pytest.mark.parametrize(("field", "limit"), [("id", 200), ("title", 24), ("description", 72)])
def test_row_fields_are_allowed_at_their_limit_and_refused_one_past(field: str, limit: int) -> None:
    at_limit = {"id": "r1", "title": "Plan", field: "x" * limit}
    past = {"id": "r1", "title": "Plan", field: "x" * (limit + 1)}
    assert accepted(interactive_list({"rows": [at_limit]}))
    error = refusal(interactive_list({"rows": [past]}))
    assert (error.code, f"Max length: {limit}" in (error.details or "")) == (131009, True)


def test_a_section_title_of_24_characters_is_allowed_and_25_refused() -> None:
    assert accepted(interactive_list({"title": "s" * 24, "rows": rows(1)}))
    assert refusal(interactive_list({"title": "s" * 25, "rows": rows(1)})).code == 131009


def test_a_section_title_is_required_with_more_than_one_section() -> None:
    assert accepted(interactive_list({"rows": rows(1)}))
    error = refusal(interactive_list({"rows": rows(1, "a")}, {"title": "B", "rows": rows(1, "b")}))
    assert error.message == "(#100) The parameter interactive['action']['sections'][0]['title'] is required."


def test_duplicate_row_ids_are_refused() -> None:
    error = refusal(interactive_list({"title": "A", "rows": rows(1)}, {"title": "B", "rows": rows(1)}))
    assert "duplicate row id 'r0'" in (error.details or "")


def test_a_section_without_rows_is_refused() -> None:
    assert refusal(interactive_list({"title": "A", "rows": []})).code == 131009


# templates


def test_a_template_send_carries_the_template_and_the_values() -> None:
    message = accepted(template_send(components=reminder_components()))
    assert message.template is not None
    assert message.template.name == "recordatorio"
    assert message.values is not None
    assert message.values.body == {"1": "$1,250.00", "2": "15 de noviembre"}
    assert message.values.url_suffixes == {1: "tok123"}


def test_an_unknown_template_is_refused_with_132001_and_http_404() -> None:
    error = refusal(template_send(name="inexistente"))
    assert (error.code, error.http_status) == (132001, 404)
    assert error.message == "(#132001) Template name does not exist in the translation"
    assert error.details == "template name (inexistente) does not exist in es_MX"


def test_a_template_in_another_language_is_refused_with_132001() -> None:
    assert refusal(template_send(name="aviso", code="en_US")).code == 132001


@pytest.mark.parametrize(
    ("name", "code"), [("pendiente", 132001), ("rechazada", 132001), ("pausada", 132015), ("apagada", 132016)]
)
def test_a_template_that_is_not_approved_is_refused_as_meta_does(name: str, code: int) -> None:
    error = refusal(template_send(name=name))
    assert error.code == code
    assert name in (error.details or "")


def test_a_template_without_language_code_is_refused() -> None:
    body = send(type="template", text=None, template={"name": "aviso", "language": {}})
    assert refusal(body).message == "(#100) The parameter template['language']['code'] is required."


def test_a_template_without_variables_needs_no_components() -> None:
    assert accepted(template_send(name="aviso")).template is not None


def test_too_few_body_parameters_are_refused_with_132000() -> None:
    error = refusal(template_send(components=reminder_components(body=[text("$1")])))
    assert error.code == 132000
    assert (
        error.details
        == "body: number of localizable_params (1) does not match the expected number of params (2)"
    )


def test_too_many_body_parameters_are_refused_with_132000() -> None:
    assert (
        refusal(template_send(components=reminder_components(body=[text("a"), text("b"), text("c")]))).code
        == 132000
    )


def test_a_missing_header_parameter_is_refused_with_132000() -> None:
    error = refusal(template_send(components=reminder_components(header=[])))
    assert (error.code, (error.details or "").startswith("header:")) == (132000, True)


def test_parameters_for_a_template_without_variables_are_refused_with_132000() -> None:
    components = [{"type": "body", "parameters": [text("sobra")]}]
    assert refusal(template_send(name="aviso", components=components)).code == 132000


def test_a_named_template_takes_parameter_names() -> None:
    params = [
        {"type": "text", "parameter_name": "monto", "text": "$5"},
        {"type": "text", "parameter_name": "nombre", "text": "Ana"},
    ]
    message = accepted(template_send(name="nombrado", components=[{"type": "body", "parameters": params}]))
    assert message.values is not None
    assert message.values.body == {"monto": "$5", "nombre": "Ana"}


def test_positional_parameters_for_a_named_template_are_refused_with_132012() -> None:
    components = [{"type": "body", "parameters": [text("Ana"), text("$5")]}]
    error = refusal(template_send(name="nombrado", components=components))
    assert error.code == 132012
    assert "NAMED" in (error.details or "")


def test_an_unknown_parameter_name_is_refused_with_132012() -> None:
    params = [
        {"type": "text", "parameter_name": "nombre", "text": "Ana"},
        {"type": "text", "parameter_name": "deuda", "text": "$5"},
    ]
    assert (
        refusal(template_send(name="nombrado", components=[{"type": "body", "parameters": params}])).code
        == 132012
    )


def test_a_parameter_name_in_a_positional_template_is_refused_with_132012() -> None:
    body = [{"type": "text", "parameter_name": "x", "text": "$1"}, text("lunes")]
    assert refusal(template_send(components=reminder_components(body=body))).code == 132012


@pytest.mark.parametrize("value", ["línea\nnueva", "con\ttab", "cinco     espacios"])
def test_a_text_parameter_with_a_newline_tab_or_five_spaces_is_refused_with_132018(value: str) -> None:
    error = refusal(template_send(components=reminder_components(body=[text(value), text("lunes")])))
    assert error.code == 132018
    assert "Param text cannot have new-line/tab characters or more than 4 consecutive spaces" in (
        error.details or ""
    )


def test_four_spaces_in_a_row_are_allowed() -> None:
    assert accepted(
        template_send(components=reminder_components(body=[text("cuatro    espacios"), text("lunes")]))
    )


def test_an_empty_text_parameter_is_refused_with_131008() -> None:
    error = refusal(template_send(components=reminder_components(body=[text(""), text("lunes")])))
    assert (error.code, "missing text value" in (error.details or "")) == (131008, True)


def test_a_text_parameter_without_text_is_refused_as_meta_words_it() -> None:
    error = refusal(template_send(components=reminder_components(body=[{"type": "text"}, text("lunes")])))
    assert error.details == "Parameter 'text' is mandatory for component parameter type 'text'"


CURRENCY = {
    "type": "currency",
    "currency": {"fallback_value": "$1,250.00", "code": "MXN", "amount_1000": 1250000},
}
DATE = {"type": "date_time", "date_time": {"fallback_value": "15 de noviembre"}}


def test_currency_and_date_time_parameters_fill_in_their_fallback_values() -> None:
    message = accepted(template_send(components=reminder_components(body=[CURRENCY, DATE])))
    assert message.values is not None
    assert message.values.body == {"1": "$1,250.00", "2": "15 de noviembre"}


@pytest.mark.parametrize(
    "currency",
    [
        {"code": "MXN", "amount_1000": 1},
        {"fallback_value": "$1", "code": "pesos", "amount_1000": 1},
        {"fallback_value": "$1", "code": "MXN", "amount_1000": "1000"},
    ],
)
def test_a_malformed_currency_is_refused_with_code_100(currency: dict[str, Any]) -> None:
    body = [{"type": "currency", "currency": currency}, DATE]
    assert refusal(template_send(components=reminder_components(body=body))).code == 100


def test_a_date_time_without_fallback_value_is_refused() -> None:
    body = [CURRENCY, {"type": "date_time", "date_time": {}}]
    assert refusal(template_send(components=reminder_components(body=body))).code == 100


def test_an_image_parameter_for_a_text_variable_is_refused_with_132012() -> None:
    body = [{"type": "image", "image": {"link": "https://x.example/a.png"}}, DATE]
    assert refusal(template_send(components=reminder_components(body=body))).code == 132012


def test_a_filled_body_of_1024_characters_is_allowed_and_1025_refused_with_132005() -> None:
    fixed = len(REMINDER_BODY) - len("{{1}}") - len("{{2}}")
    room = 1024 - fixed - len("lunes")
    assert accepted(template_send(components=reminder_components(body=[text("x" * room), text("lunes")])))
    error = refusal(
        template_send(components=reminder_components(body=[text("x" * (room + 1)), text("lunes")]))
    )
    assert (error.code, error.message) == (132005, "(#132005) Translated text too long")


def test_a_filled_header_of_60_characters_is_allowed_and_61_refused_with_132005() -> None:
    room = 60 - len("Hola ")
    assert accepted(template_send(components=reminder_components(header=[text("n" * room)])))
    assert (
        refusal(template_send(components=reminder_components(header=[text("n" * (room + 1))]))).code == 132005
    )


def test_a_url_button_variable_left_out_is_refused_with_131008() -> None:
    error = refusal(template_send(components=reminder_components(url_suffix=None)))
    assert error.code == 131008
    assert error.details == "buttons: Button at index 1 of type Url requires a parameter"


def test_a_quick_reply_payload_is_kept_by_index() -> None:
    quick = {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "PAY_NOW"}],
    }
    message = accepted(template_send(components=[*reminder_components(), quick]))
    assert message.values is not None
    assert message.values.payloads == {0: "PAY_NOW"}


def test_a_button_index_the_template_does_not_have_is_refused_with_131009() -> None:
    extra = {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "7",
        "parameters": [{"type": "payload", "payload": "X"}],
    }
    assert refusal(template_send(components=[*reminder_components(), extra])).code == 131009


def test_a_button_sub_type_unlike_the_template_button_is_refused_with_132012() -> None:
    extra = {"type": "button", "sub_type": "url", "index": "0", "parameters": [text("x")]}
    assert refusal(template_send(components=[*reminder_components(), extra])).code == 132012


def test_a_quick_reply_given_a_text_parameter_is_refused_with_132012() -> None:
    extra = {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [text("x")]}
    assert refusal(template_send(components=[*reminder_components(), extra])).code == 132012


def test_a_button_given_two_parameters_is_refused_with_132000() -> None:
    extra = {"type": "button", "sub_type": "url", "index": "1", "parameters": [text("a"), text("b")]}
    components = [*reminder_components(url_suffix=None), extra]
    assert refusal(template_send(components=components)).code == 132000


def test_an_unknown_component_type_is_refused_with_code_100() -> None:
    assert refusal(template_send(components=[{"type": "footer", "parameters": []}])).code == 100


def test_every_refusal_renders_as_meta_envelope_with_details() -> None:
    envelope = refusal(template_send(name="inexistente")).envelope()["error"]
    assert envelope["code"] == 132001
    assert envelope["type"] == "OAuthException"
    assert envelope["error_data"] == {
        "messaging_product": "whatsapp",
        "details": "template name (inexistente) does not exist in es_MX",
    }
