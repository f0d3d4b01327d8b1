"""The wording linter: each category in each language, accents and case, exceptions, and the catalogue."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cobro.domain.template_catalogue import load_catalogue
from cobro.domain.wording import (
    Severity,
    WordingCategory,
    blocking,
    lint_language,
    lint_macro,
    lint_template,
    lint_text,
)
from cobro.entrypoints.cli.templates import app as templates_cli

CASES = [
    # (category, language, text, the phrase as the text writes it)
    (WordingCategory.THREAT, "es", "Si no paga, procederemos al embargo de sus bienes.", "embargo"),
    (WordingCategory.THREAT, "en", "Pay today or we will garnish your wages.", "garnish"),
    (WordingCategory.THREAT, "pt", "Sem o pagamento, haverá penhora dos seus bens.", "penhora"),
    (WordingCategory.THREAT, "it", "Senza pagamento procederemo al pignoramento.", "pignoramento"),
    (WordingCategory.INSULT, "es", "Usted es un moroso.", "moroso"),
    (WordingCategory.INSULT, "en", "Only a deadbeat ignores an invoice.", "deadbeat"),
    (WordingCategory.INSULT, "pt", "Você é um caloteiro.", "caloteiro"),
    (WordingCategory.INSULT, "it", "Lei è un bugiardo.", "bugiardo"),
    (WordingCategory.FALSE_URGENCY, "es", "Es su última oportunidad para pagar.", "última oportunidad"),
    (WordingCategory.FALSE_URGENCY, "en", "This is your last chance to pay.", "last chance"),
    (WordingCategory.FALSE_URGENCY, "pt", "É a sua última chance de pagar.", "última chance"),
    (WordingCategory.FALSE_URGENCY, "it", "È la sua ultima possibilità di pagare.", "ultima possibilità"),
    (WordingCategory.LEGAL_CLAIM, "es", "Iniciaremos acciones legales en su contra.", "acciones legales"),
    (WordingCategory.LEGAL_CLAIM, "en", "We will take legal action against you.", "legal action"),
    (WordingCategory.LEGAL_CLAIM, "pt", "Entraremos com uma ação judicial.", "ação judicial"),
    (WordingCategory.LEGAL_CLAIM, "it", "Riceverà un decreto ingiuntivo.", "decreto ingiuntivo"),
    (
        WordingCategory.THIRD_PARTY_DISCLOSURE,
        "es",
        "Si no paga, avisaremos a tu familia.",
        "avisaremos a tu familia",
    ),
    (WordingCategory.THIRD_PARTY_DISCLOSURE, "en", "We will contact your employer.", "your employer"),
    (WordingCategory.THIRD_PARTY_DISCLOSURE, "pt", "Vamos falar com seu empregador.", "seu empregador"),
    (
        WordingCategory.THIRD_PARTY_DISCLOSURE,
        "it",
        "Dovremo contattare il tuo datore di lavoro.",
        "datore di lavoro",
    ),
]


@pytest.mark.parametrize(("category", "language", "text", "phrase"), CASES)
def test_each_category_is_flagged_in_each_language_with_the_phrase_and_a_reason(
    category: WordingCategory, language: str, text: str, phrase: str
) -> None:
    findings = [f for f in lint_text(text, language) if f.category is category]
    assert [f.phrase for f in findings] == [phrase]
    assert findings[0].severity is Severity.BLOCK
    assert findings[0].language == language
    assert len(findings[0].reason) > 20


def test_matching_ignores_case_and_accents_and_reports_the_words_as_written() -> None:
    findings = lint_text("Le esperan la CARCEL y la Policia.", "es")
    assert [(f.category, f.phrase) for f in findings] == [
        (WordingCategory.THREAT, "CARCEL"),
        (WordingCategory.THREAT, "Policia"),
    ]
    assert [f.phrase for f in lint_text("We’ll sue you.", "en")] == ["We’ll sue"]


def test_phrases_match_whole_words_only() -> None:
    assert lint_text("El demandado no es usted; le escribimos por su factura.", "es") == []
    assert lint_text("Of course, you can pay in instalments.", "en") == []


def test_exceptions_are_not_flagged_but_the_word_alone_still_is() -> None:
    assert lint_text("Sin embargo, puede pagar en cuotas.", "es") == []
    assert lint_text("A nuestro juicio, un plan de pagos le conviene.", "es") == []
    [finding] = lint_text("Sin embargo, habrá un embargo.", "es")
    assert (finding.category, finding.phrase) == (WordingCategory.THREAT, "embargo")


def test_plain_urgency_only_warns_while_an_invented_deadline_blocks() -> None:
    [warning] = lint_text("Please reply urgently.", "en")
    assert (warning.category, warning.severity, warning.phrase) == (
        WordingCategory.FALSE_URGENCY,
        Severity.WARN,
        "urgently",
    )
    assert blocking([warning]) == []
    [block] = lint_text("Act now, before it's too late!", "en")[:1]
    assert block.severity is Severity.BLOCK


def test_template_languages_use_their_base_language_rules() -> None:
    assert lint_language("pt_BR") == "pt"
    assert [f.phrase for f in lint_text("Vamos negativar o seu nome.", "pt_BR")] == ["Vamos negativar"]
    with pytest.raises(ValueError, match="no wording rules"):
        lint_text("Bonjour", "fr")


def test_a_template_is_linted_in_every_text_including_button_labels() -> None:
    entry = next(e for e in load_catalogue() if e.key == ("cobro_overdue_notice", "en"))
    buttons = (*entry.buttons[:-1], replace(entry.buttons[-1], label="Last chance"))
    findings = lint_template(replace(entry, header="Legal action", buttons=buttons))
    assert [(f.where, f.phrase) for f in findings] == [
        ("header", "Legal action"),
        ("button 4 (OPT_OUT)", "Last chance"),
    ]


def test_agent_macros_follow_the_same_rules() -> None:
    text = "Hola, si no paga hoy avisaremos a su familia."
    assert [f.phrase for f in lint_macro(text, "es")] == ["avisaremos a su familia"]
    assert lint_macro(text, "es")[0].where == "macro"


def test_the_whole_catalogue_passes_the_linter_without_a_blocking_finding() -> None:
    findings = {e.key: lint_template(e) for e in load_catalogue()}
    assert {key: f for key, f in findings.items() if blocking(f)} == {}
    assert len(findings) == 60


def test_the_lint_command_flags_a_file_and_exits_non_zero(tmp_path: Path) -> None:
    text = tmp_path / "macro.txt"
    text.write_text("Si no paga, iremos a juicio.", encoding="utf-8")
    result = CliRunner().invoke(templates_cli, ["lint", "--file", str(text), "--language", "es"])
    assert result.exit_code != 0
    assert "juicio" in result.output
    assert "1 blocking" in result.output
    clean = tmp_path / "ok.txt"
    clean.write_text("Hola, ¿le ayudamos con un plan de pagos?", encoding="utf-8")
    ok = CliRunner().invoke(templates_cli, ["lint", "--file", str(clean), "--language", "es"])
    assert ok.exit_code == 0, ok.output
    assert "0 blocking" in ok.output
