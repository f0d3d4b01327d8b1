"""The template store: creation checked like Meta's, listing with cursors, deletion, review and admin status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cobro.sandbox.errors import GraphError
from cobro.sandbox.templates import Template, TemplateStore

BODY = {"type": "BODY", "text": "Hola, tu pago vence pronto. Gracias por tu atención."}


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid template submission with fields replaced by `overrides`."""
    base: dict[str, Any] = {
        "name": "recordatorio_pago",
        "language": "es_MX",
        "category": "UTILITY",
        "components": [BODY],
    }
    base.update(overrides)
    return base


def refusal(store: TemplateStore, submitted: Any) -> GraphError:
    with pytest.raises(GraphError) as caught:
        store.create(submitted, 0.0)
    return caught.value


def buttons(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return [BODY, {"type": "BUTTONS", "buttons": list(items)}]


def quick(text: str = "Pagar") -> dict[str, Any]:
    return {"type": "QUICK_REPLY", "text": text}


def url(text: str = "Ver") -> dict[str, Any]:
    return {
        "type": "URL",
        "text": text,
        "url": "https://pay.example/{{1}}",
        "example": ["https://pay.example/a"],
    }


def phone(text: str = "Llamar") -> dict[str, Any]:
    return {"type": "PHONE_NUMBER", "text": text, "phone_number": "+525512345678"}


def test_a_new_template_is_pending_and_answers_id_status_and_category() -> None:
    template = TemplateStore().create(payload(), 1000.0)
    assert template.creation_answer() == {"id": template.id, "status": "PENDING", "category": "UTILITY"}
    assert template.created_at == 1000.0
    assert template.id.isdigit()


def test_the_graph_object_carries_meta_fields() -> None:
    graph = TemplateStore().create(payload(), 0.0).to_graph()
    assert set(graph) == {
        "name",
        "parameter_format",
        "components",
        "language",
        "status",
        "category",
        "id",
        "rejected_reason",
    }
    assert graph["rejected_reason"] == "NONE"
    assert graph["parameter_format"] == "POSITIONAL"
    assert graph["components"] == [BODY]


def test_a_name_of_512_characters_is_allowed() -> None:
    assert TemplateStore().create(payload(name="a" * 512), 0.0).name == "a" * 512


def test_a_name_of_513_characters_is_refused_with_the_character_limit_subcode() -> None:
    error = refusal(TemplateStore(), payload(name="a" * 513))
    assert (error.code, error.subcode) == (100, 2388040)


@pytest.mark.parametrize("name", ["Recordatorio", "recordatorio-pago", "recordatorio pago", "pago!", ""])
def test_a_name_with_other_than_lowercase_letters_digits_and_underscores_is_refused(name: str) -> None:
    assert refusal(TemplateStore(), payload(name=name)).code == 100


@pytest.mark.parametrize("language", ["es", "es_MX", "en", "en_US", "pt_BR", "pt_PT", "it"])
def test_a_known_language_code_is_accepted(language: str) -> None:
    assert TemplateStore().create(payload(language=language), 0.0).language == language


@pytest.mark.parametrize("language", ["es-MX", "spanish", "xx", None])
def test_an_unknown_language_code_is_refused(language: Any) -> None:
    assert refusal(TemplateStore(), payload(language=language)).code == 100


def test_the_category_is_read_in_any_case() -> None:
    assert TemplateStore().create(payload(category="marketing"), 0.0).category == "MARKETING"


def test_an_unknown_category_is_refused() -> None:
    assert refusal(TemplateStore(), payload(category="TRANSACTIONAL")).code == 100


def test_a_header_of_60_characters_is_allowed() -> None:
    header = {"type": "HEADER", "format": "TEXT", "text": "h" * 60}
    assert TemplateStore().create(payload(components=[header, BODY]), 0.0).shape.header_text == "h" * 60


def test_a_header_of_61_characters_is_refused() -> None:
    header = {"type": "HEADER", "format": "TEXT", "text": "h" * 61}
    assert refusal(TemplateStore(), payload(components=[header, BODY])).subcode == 2388040


def test_a_header_with_two_variables_is_refused_and_with_one_allowed() -> None:
    one = {"type": "HEADER", "format": "TEXT", "text": "Hola {{1}}"}
    two = {"type": "HEADER", "format": "TEXT", "text": "Hola {{1}} {{2}}"}
    assert TemplateStore().create(payload(components=[one, BODY]), 0.0).shape.header_variables == ("1",)
    assert refusal(TemplateStore(), payload(components=[two, BODY])).code == 100


def test_a_header_that_is_not_text_is_refused_with_the_header_format_subcode() -> None:
    header = {"type": "HEADER", "format": "IMAGE"}
    assert refusal(TemplateStore(), payload(components=[header, BODY])).subcode == 2388047


def test_a_template_without_a_body_is_refused() -> None:
    assert refusal(TemplateStore(), payload(components=[{"type": "FOOTER", "text": "x"}])).code == 100


def test_a_template_with_two_bodies_is_refused() -> None:
    assert refusal(TemplateStore(), payload(components=[BODY, BODY])).code == 100


def test_a_body_of_1024_characters_is_allowed_and_1025_refused() -> None:
    assert TemplateStore().create(payload(components=[{"type": "BODY", "text": "b" * 1024}]), 0.0)
    assert (
        refusal(TemplateStore(), payload(components=[{"type": "BODY", "text": "b" * 1025}])).subcode
        == 2388040
    )


def test_a_footer_of_60_characters_is_allowed_and_61_refused() -> None:
    assert TemplateStore().create(payload(components=[BODY, {"type": "FOOTER", "text": "f" * 60}]), 0.0)
    assert (
        refusal(TemplateStore(), payload(components=[BODY, {"type": "FOOTER", "text": "f" * 61}])).code == 100
    )


def test_a_footer_with_a_variable_is_refused() -> None:
    assert (
        refusal(TemplateStore(), payload(components=[BODY, {"type": "FOOTER", "text": "De {{1}}"}])).code
        == 100
    )


def test_ten_quick_replies_are_allowed_and_an_eleventh_refused() -> None:
    ten = [quick(f"Opción {i}") for i in range(10)]
    assert len(TemplateStore().create(payload(components=buttons(*ten)), 0.0).shape.buttons) == 10
    assert refusal(TemplateStore(), payload(components=buttons(*ten, quick("Otra")))).code == 100


def test_two_url_buttons_are_allowed_and_a_third_refused() -> None:
    assert TemplateStore().create(payload(components=buttons(url("A"), url("B"))), 0.0)
    assert refusal(TemplateStore(), payload(components=buttons(url("A"), url("B"), url("C")))).code == 100


def test_one_phone_number_button_is_allowed_and_a_second_refused() -> None:
    assert TemplateStore().create(payload(components=buttons(phone("A"))), 0.0)
    assert refusal(TemplateStore(), payload(components=buttons(phone("A"), phone("B")))).code == 100


def test_more_than_ten_buttons_in_all_are_refused() -> None:
    mixed = [quick(f"Q{i}") for i in range(8)] + [url("A"), url("B"), phone()]
    assert refusal(TemplateStore(), payload(components=buttons(*mixed))).code == 100


def test_a_button_text_of_25_characters_is_allowed_and_26_refused() -> None:
    assert TemplateStore().create(payload(components=buttons(quick("t" * 25))), 0.0)
    assert refusal(TemplateStore(), payload(components=buttons(quick("t" * 26)))).subcode == 2388040


def test_a_url_variable_anywhere_but_the_end_is_refused() -> None:
    middle = {"type": "URL", "text": "Ver", "url": "https://pay.example/{{1}}/go"}
    assert refusal(TemplateStore(), payload(components=buttons(middle))).code == 100


def test_positional_variables_must_run_in_sequence_from_one() -> None:
    assert (
        refusal(TemplateStore(), payload(components=[{"type": "BODY", "text": "A {{1}} y {{3}} z"}])).code
        == 100
    )
    assert refusal(TemplateStore(), payload(components=[{"type": "BODY", "text": "A {{2}} z"}])).code == 100


def test_a_named_variable_in_a_positional_template_is_refused() -> None:
    error = refusal(TemplateStore(), payload(components=[{"type": "BODY", "text": "Hola {{nombre}}, hola"}]))
    assert "NAMED" in (error.user_msg or "")


def test_a_named_template_takes_named_variables() -> None:
    body = {"type": "BODY", "text": "Hola {{nombre}}, debes {{monto}} hoy."}
    template = TemplateStore().create(payload(parameter_format="NAMED", components=[body]), 0.0)
    assert template.shape.body_variables == ("nombre", "monto")
    assert template.parameter_format == "NAMED"


def test_a_numbered_variable_in_a_named_template_is_refused() -> None:
    body = {"type": "BODY", "text": "Hola {{1}}, hola"}
    assert refusal(TemplateStore(), payload(parameter_format="NAMED", components=[body])).code == 100


def test_the_same_name_and_language_twice_is_refused_as_meta_answers() -> None:
    store = TemplateStore()
    store.create(payload(), 0.0)
    error = refusal(store, payload())
    assert (error.code, error.subcode, error.user_title) == (
        100,
        2388024,
        "Content in this language already exists",
    )
    envelope = error.envelope()["error"]
    assert envelope["error_subcode"] == 2388024
    assert "Spanish (MEX)" in envelope["error_user_msg"]


def test_the_same_name_in_another_language_is_a_new_template() -> None:
    store = TemplateStore()
    first, second = store.create(payload(), 0.0), store.create(payload(language="en_US"), 0.0)
    assert first.id != second.id
    assert store.find("recordatorio_pago", "en_US") is second


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert refusal(TemplateStore(), ["not", "an", "object"]).code == 100


def filled(count: int) -> TemplateStore:
    store = TemplateStore()
    for i in range(count):
        store.create(payload(name=f"plantilla_{i}"), float(i))
    return store


def test_a_list_page_carries_cursors_and_next_only_when_there_is_more() -> None:
    store = filled(3)
    first = store.list(limit=2, url="http://sandbox/v23.0/1/message_templates")
    assert [t["name"] for t in first["data"]] == ["plantilla_0", "plantilla_1"]
    assert set(first["paging"]["cursors"]) == {"before", "after"}
    assert first["paging"]["next"].startswith("http://sandbox/v23.0/1/message_templates?limit=2&after=")
    second = store.list(limit=2, after=first["paging"]["cursors"]["after"])
    assert [t["name"] for t in second["data"]] == ["plantilla_2"]
    assert "next" not in second["paging"]


def test_a_list_filters_by_name_and_status() -> None:
    store = filled(3)
    store.set_status("plantilla_1", "es_MX", "APPROVED")
    assert [t["name"] for t in store.list(status="approved")["data"]] == ["plantilla_1"]
    assert [t["name"] for t in store.list(name="plantilla_2")["data"]] == ["plantilla_2"]


def test_an_empty_list_has_no_paging() -> None:
    assert TemplateStore().list() == {"data": []}


@pytest.mark.parametrize("cursor", ["not-a-cursor", "dHBsOjk5OQ"])
def test_a_cursor_the_store_did_not_give_is_refused(cursor: str) -> None:
    with pytest.raises(GraphError) as caught:
        filled(2).list(after=cursor)
    assert caught.value.code == 100


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(GraphError):
        filled(1).list(limit=0)


def test_delete_by_name_removes_every_language() -> None:
    store = TemplateStore()
    store.create(payload(), 0.0)
    store.create(payload(language="en"), 0.0)
    assert store.delete("recordatorio_pago") == 2
    assert len(store) == 0


def test_delete_with_hsm_id_removes_only_that_language() -> None:
    store = TemplateStore()
    store.create(payload(), 0.0)
    english = store.create(payload(language="en"), 0.0)
    assert store.delete("recordatorio_pago", english.id) == 1
    assert store.find("recordatorio_pago", "en") is None
    assert store.find("recordatorio_pago", "es_MX") is not None


def test_deleting_what_is_not_there_is_refused_with_code_100() -> None:
    store = TemplateStore()
    with pytest.raises(GraphError) as caught:
        store.delete("nada")
    assert caught.value.code == 100


def test_review_waits_for_the_delay_then_reports_what_changed() -> None:
    store = TemplateStore()
    store.create(payload(), 100.0)
    assert store.review_due(100.5, 1.0) == []
    changed = store.review_due(101.0, 1.0)
    assert [(t.status, t.rejected_reason) for t in changed] == [("APPROVED", "NONE")]
    assert store.review_due(200.0, 1.0) == []


def test_review_takes_an_aware_datetime_as_well_as_epoch_seconds() -> None:
    store = TemplateStore()
    store.create(payload(), datetime(2026, 1, 1, tzinfo=UTC))
    assert len(store.review_due(datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC), 2.0)) == 1


def test_a_rejected_template_shows_its_reason_in_the_graph_object() -> None:
    store = TemplateStore()
    store.create(payload(components=[{"type": "BODY", "text": "Pague o irá a la cárcel, señor."}]), 0.0)
    (template,) = store.review_due(10.0, 1.0)
    assert template.to_graph()["status"] == "REJECTED"
    assert template.to_graph()["rejected_reason"] == "ABUSIVE_CONTENT"


def test_allow_category_change_turns_a_selling_utility_into_marketing() -> None:
    store = TemplateStore()
    body = {"type": "BODY", "text": "Aprovecha un descuento en tu deuda esta semana."}
    store.create(payload(components=[body], allow_category_change=True), 0.0)
    (template,) = store.review_due(10.0, 1.0)
    assert (template.status, template.category, template.previous_category) == (
        "APPROVED",
        "MARKETING",
        "UTILITY",
    )
    assert template.to_graph()["previous_category"] == "UTILITY"


@pytest.mark.parametrize("status", ["PAUSED", "DISABLED", "APPROVED"])
def test_an_operator_can_set_a_template_status(status: str) -> None:
    store = TemplateStore()
    store.create(payload(), 0.0)
    assert store.set_status("recordatorio_pago", "es_MX", status).status == status


def test_an_operator_rejects_with_one_of_meta_reasons() -> None:
    store = TemplateStore()
    store.create(payload(), 0.0)
    assert store.set_status("recordatorio_pago", "es_MX", "REJECTED", "SCAM").rejected_reason == "SCAM"
    with pytest.raises(GraphError):
        store.set_status("recordatorio_pago", "es_MX", "REJECTED", "BAD_VIBES")


def test_an_unknown_status_or_template_is_refused_by_set_status() -> None:
    store = TemplateStore()
    store.create(payload(), 0.0)
    with pytest.raises(GraphError):
        store.set_status("recordatorio_pago", "es_MX", "PENDING")
    with pytest.raises(GraphError):
        store.set_status("nada", "es_MX", "PAUSED")


def test_a_template_built_by_hand_computes_its_shape() -> None:
    template = Template(
        "1", "x", "es", "UTILITY", "APPROVED", [{"type": "BODY", "text": "Hola {{1}}, adiós."}]
    )
    assert template.shape.body_variables == ("1",)
