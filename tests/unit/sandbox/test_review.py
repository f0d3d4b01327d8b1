"""Template review: the format rules and the phrase rules, in Spanish, English, Portuguese and Italian."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cobro.sandbox.review import REJECTED_REASONS, fold, load_rules, review
from cobro.sandbox.templates import Template


def template(
    body: str,
    *,
    category: str = "UTILITY",
    example: Any = None,
    extra: list[dict[str, Any]] | None = None,
    parameter_format: str = "POSITIONAL",
) -> Template:
    """A template as the store keeps it, with example values made up unless `example` is given."""
    component: dict[str, Any] = {"type": "BODY", "text": body}
    variables = sorted({part.split("}}")[0] for part in body.split("{{")[1:]})
    if example is not None:
        component["example"] = example
    elif variables and parameter_format == "POSITIONAL":
        component["example"] = {"body_text": [[f"ej{v}" for v in variables]]}
    elif variables:
        component["example"] = {
            "body_text_named_params": [{"param_name": v, "example": "x"} for v in variables]
        }
    return Template(
        "1", "t", "es_MX", category, "PENDING", [component, *(extra or [])], parameter_format=parameter_format
    )


def test_a_clean_template_is_approved() -> None:
    result = review(template("Hola {{1}}, tu pago de {{2}} vence el {{3}}. Gracias."))
    assert (result.status, result.reason) == ("APPROVED", "NONE")


def test_meta_rejection_reasons_are_the_documented_ones() -> None:
    assert set(REJECTED_REASONS) == {
        "ABUSIVE_CONTENT",
        "CATEGORY_NOT_AVAILABLE",
        "INCORRECT_CATEGORY",
        "INVALID_FORMAT",
        "NONE",
        "PROMOTIONAL",
        "SCAM",
        "TAG_CONTENT_MISMATCH",
    }


def test_a_body_starting_with_a_variable_is_rejected_as_invalid_format() -> None:
    result = review(template("{{1}}, tu pago vence pronto y te esperamos."))
    assert (result.status, result.reason) == ("REJECTED", "INVALID_FORMAT")
    assert "starts with the variable {{1}}" in result.detail


def test_a_body_ending_with_a_variable_is_rejected_as_invalid_format() -> None:
    result = review(template("Hola, tu pago vence pronto, te esperamos el día {{1}}"))
    assert result.reason == "INVALID_FORMAT"
    assert "ends with the variable {{1}}" in result.detail


def test_a_variable_followed_by_punctuation_at_the_end_is_fine() -> None:
    assert review(template("Hola, tu pago vence pronto, te esperamos el día {{1}}.")).status == "APPROVED"


@pytest.mark.parametrize(
    "body", ["Hola, tu saldo {{1}}{{2}} vence pronto hoy.", "Hola, tu saldo {{1}} {{2}} vence pronto hoy."]
)
def test_adjacent_variables_are_rejected_as_invalid_format(body: str) -> None:
    result = review(template(body))
    assert result.reason == "INVALID_FORMAT"
    assert "{{1}} and {{2}} side by side" in result.detail


def test_a_body_variable_without_an_example_is_rejected_as_invalid_format() -> None:
    result = review(template("Hola {{1}}, tu pago vence pronto.", example={}))
    assert result.reason == "INVALID_FORMAT"
    assert "no example value for {{1}}" in result.detail


def test_too_few_examples_for_the_variables_are_rejected() -> None:
    result = review(template("Hola {{1}}, tu pago de {{2}} vence pronto.", example={"body_text": [["Ana"]]}))
    assert "no example value for {{2}}" in result.detail


def test_a_header_variable_without_an_example_is_rejected() -> None:
    header = {"type": "HEADER", "format": "TEXT", "text": "Aviso para {{1}}"}
    result = review(template("Hola, tu pago vence pronto.", extra=[header]))
    assert result.reason == "INVALID_FORMAT"
    assert "header has no example" in result.detail


def test_a_named_variable_without_a_named_example_is_rejected() -> None:
    result = review(
        template(
            "Hola {{nombre}}, tu pago vence pronto.",
            example={"body_text": [["Ana"]]},
            parameter_format="NAMED",
        )
    )
    assert "body_text_named_params" in result.detail


def test_a_named_template_with_named_examples_is_approved() -> None:
    assert (
        review(template("Hola {{nombre}}, tu pago vence pronto.", parameter_format="NAMED")).status
        == "APPROVED"
    )


def test_a_url_button_variable_without_an_example_is_rejected() -> None:
    buttons = {
        "type": "BUTTONS",
        "buttons": [{"type": "URL", "text": "Pagar", "url": "https://p.example/{{1}}"}],
    }
    result = review(template("Hola, tu pago vence pronto.", extra=[buttons]))
    assert (result.reason, "URL button 0" in result.detail) == ("INVALID_FORMAT", True)


def test_too_many_variables_for_the_length_are_rejected() -> None:
    result = review(template("Hola {{1}}, debes {{2}}."))
    assert result.reason == "INVALID_FORMAT"
    assert "too many variables for its length" in result.detail


ABUSIVE = [
    ("Si no paga iniciaremos una demanda en su contra.", "demanda", "Spanish"),
    ("Procederemos al embargo de sus bienes.", "embargo", "Spanish"),
    ("Usted puede terminar en la cárcel por esto.", "cárcel", "Spanish"),
    ("Presentaremos una denuncia ante el juez.", "denuncia", "Spanish"),
    ("No sea idiota y pague su deuda hoy.", "idiota", "Spanish"),
    ("We will file a lawsuit if you do not pay.", "lawsuit", "English"),
    ("You may face arrest over this debt.", "arrest", "English"),
    ("Pay now or you could go to jail.", "jail", "English"),
    ("Only an idiot ignores this reminder.", "idiot", "English"),
    ("Abriremos um processo contra você amanhã.", "processo", "Portuguese"),
    ("Isso pode levar à prisão do devedor.", "prisão", "Portuguese"),
    ("Avvieremo il pignoramento dello stipendio.", "pignoramento", "Italian"),
    ("Presenteremo querela contro di lei domani.", "querela", "Italian"),
]


@pytest.mark.parametrize(("body", "phrase", "language"), ABUSIVE)
def test_threatening_or_abusive_wording_is_rejected_naming_the_phrase(
    body: str, phrase: str, language: str
) -> None:
    result = review(template(body))
    assert (result.status, result.reason) == ("REJECTED", "ABUSIVE_CONTENT")
    assert f"'{phrase}' ({language})" in result.detail


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ("Non fare l'idiota, paga oggi il saldo.", "idiota"),
        ("Sono previste azioni: carcere per i debitori.", "carcere"),
    ],
)
def test_italian_threats_are_rejected(body: str, phrase: str) -> None:
    result = review(template(body))
    assert result.reason == "ABUSIVE_CONTENT"
    assert phrase in result.detail


def test_phrases_match_without_accents_or_case() -> None:
    assert review(template("USTED IRÁ A LA CARCEL si no paga hoy.")).reason == "ABUSIVE_CONTENT"
    assert review(template("Usted irá a la Cárcel si no paga hoy.")).reason == "ABUSIVE_CONTENT"


def test_phrases_match_whole_words_only() -> None:
    assert review(template("Su expediente de demandado sigue abierto, gracias.")).status == "APPROVED"


def test_sin_embargo_is_not_a_seizure() -> None:
    assert review(template("Sin embargo, todavía puede pagar en cuotas, gracias.")).status == "APPROVED"


def test_abusive_wording_in_the_footer_or_a_button_is_found() -> None:
    footer = {"type": "FOOTER", "text": "Evite la cárcel"}
    assert "footer" in review(template("Hola, tu pago vence pronto.", extra=[footer])).detail
    buttons = {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Evitar la demanda"}]}
    assert "button 0" in review(template("Hola, tu pago vence pronto.", extra=[buttons])).detail


MARKETING = [
    ("Tenemos una oferta especial para saldar tu cuenta.", "oferta", "Spanish"),
    ("Obtén un descuento si pagas esta semana.", "descuento", "Spanish"),
    ("Get a discount when you settle this week.", "discount", "English"),
    ("Settle today and get 20% off your balance.", "% off", "English"),
    ("Buy now and we close your account today.", "buy now", "English"),
    ("Ganhe um desconto ao pagar esta semana.", "desconto", "Portuguese"),
    ("Approfitta dello sconto se paghi entro venerdì.", "sconto", "Italian"),
]


@pytest.mark.parametrize(("body", "phrase", "language"), MARKETING)
def test_marketing_content_in_a_utility_template_is_rejected_as_incorrect_category(
    body: str, phrase: str, language: str
) -> None:
    result = review(template(body))
    assert (result.status, result.reason) == ("REJECTED", "INCORRECT_CATEGORY")
    assert f"'{phrase}' ({language})" in result.detail


@pytest.mark.parametrize(("body", "phrase", "language"), MARKETING)
def test_marketing_content_in_a_marketing_template_is_approved(body: str, phrase: str, language: str) -> None:
    assert review(template(body, category="MARKETING")).status == "APPROVED"


def test_a_shortened_link_is_rejected_as_a_scam() -> None:
    buttons = {
        "type": "BUTTONS",
        "buttons": [{"type": "URL", "text": "Pagar", "url": "https://bit.ly/pago"}],
    }
    result = review(template("Hola, tu pago vence pronto.", extra=[buttons]))
    assert (result.reason, "bit.ly" in result.detail) == ("SCAM", True)


def test_fold_drops_accents_and_case() -> None:
    assert fold("Prisão CÁRCEL Più") == "prisao carcel piu"


def test_a_phrase_file_with_an_unknown_reason_fails_to_load(tmp_path: Path) -> None:
    bad = tmp_path / "phrases.yaml"
    bad.write_text(
        "x:\n  reason: RUDE\n  applies_to: [UTILITY]\n  phrases:\n    es: [malo]\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="unknown reason"):
        load_rules(bad)
