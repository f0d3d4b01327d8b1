"""Language detection: lingua restricted to es/en/pt/it averaged with the corpus model, and the debtor's
stored language for one-word or ambiguous messages."""

from __future__ import annotations

import pytest

from cobro.adapters.nlu.classifier import DATA_DIR, Example, read_examples
from cobro.adapters.nlu.language import (
    AMBIGUOUS_BELOW,
    LanguageDetector,
    LanguageGuess,
    default_detector,
    fallback_code,
    word_count,
)
from cobro.domain.conversation.intents import LANGUAGES


@pytest.fixture(scope="session")
def detector() -> LanguageDetector:
    """The process's detector, built once for the whole session."""
    return default_detector().build()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("quanto devo pagar", "pt"),  # lingua alone says Italian
        ("quanto devo pagare", "it"),
        ("vos tenés que llamarme, no puedo pagar ahora", "es"),
        ("cmq nn posso pagare adesso", "it"),
        ("vc pode me mandar o boleto pq preciso pagar hj", "pt"),
        ("o meu telemóvel não é desta pessoa", "pt"),
        ("i'll pay on friday, promise", "en"),
        ("ya cancelé la deuda, fijate", "es"),
        ("xq me cobran esto?", "es"),
        ("ho già fatto il bonifico ieri sera", "it"),
        ("can you stop texting me", "en"),
    ],
)
def test_detects_the_language(detector: LanguageDetector, text: str, language: str) -> None:
    guess = detector.detect(text)
    assert (guess.language, guess.fallback) == (language, False)
    assert guess.confidence == pytest.approx(detector.probabilities(text)[language])
    assert guess.confidence == max(detector.probabilities(text).values())


@pytest.mark.parametrize(
    ("text", "stored"), [("ok", "pt"), ("si", "es"), ("hola", "pt"), ("grazie", "en"), ("👍", "it")]
)
def test_one_word_takes_the_stored_language(detector: LanguageDetector, text: str, stored: str) -> None:
    guess = detector.detect(text, fallback_language=stored)
    assert guess == LanguageGuess(stored, guess.confidence, fallback=True)
    assert 0.0 <= guess.confidence <= 1.0


def test_one_word_without_a_stored_language_is_a_guess(detector: LanguageDetector) -> None:
    obrigado = detector.detect("obrigado")
    assert (obrigado.language, obrigado.fallback) == ("pt", False)
    assert obrigado.confidence > 0.9
    assert detector.detect("grazie").language == "it"


@pytest.mark.parametrize(
    ("text", "language", "stored"),
    [
        ("no puedo pagar este mes porque perdí el trabajo", "es", "en"),
        ("vc pode me mandar o boleto pq preciso pagar hj", "pt", "es"),
        ("cmq nn posso pagare adesso", "it", "pt"),
        ("quanto devo pagare", "it", "pt"),
        ("i'll pay on friday, promise", "en", "it"),
    ],
)
def test_a_clear_message_beats_the_stored_language(
    detector: LanguageDetector, text: str, language: str, stored: str
) -> None:
    guess = detector.detect(text, fallback_language=stored)
    assert (guess.language, guess.fallback) == (language, False)
    assert guess.confidence >= AMBIGUOUS_BELOW


def test_an_ambiguous_message_takes_the_stored_language(detector: LanguageDetector) -> None:
    text = "ok, entendido"  # Spanish and Portuguese alike
    assert max(detector.probabilities(text).values()) < AMBIGUOUS_BELOW
    assert detector.detect(text, fallback_language="es") == LanguageGuess(
        "es", detector.probabilities(text)["es"], fallback=True
    )
    assert detector.detect(text, fallback_language="pt").language == "pt"


def test_a_stored_language_outside_the_four_is_ignored(detector: LanguageDetector) -> None:
    assert detector.detect("grazie", fallback_language="fr") == detector.detect("grazie")
    assert detector.detect("ok", fallback_language="pt-BR").language == "pt"


def test_probabilities_cover_the_four_languages(detector: LanguageDetector) -> None:
    probabilities = detector.probabilities("quanto devo pagar")
    assert set(probabilities) == set(LANGUAGES)
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert next(iter(probabilities)) == "pt"
    assert set(detector.probabilities("123 !!")) == set(LANGUAGES)  # no letters: the corpus model alone


def test_language_accuracy_on_eval(detector: LanguageDetector) -> None:
    examples: list[Example] = read_examples(DATA_DIR / "eval.tsv")
    right = sum(detector.detect(e.text).language == e.language for e in examples)
    assert right / len(examples) >= 0.97
    with_stored = sum(detector.detect(e.text, e.language).language == e.language for e in examples)
    assert with_stored / len(examples) >= 0.99


def test_helpers() -> None:
    assert [fallback_code(c) for c in ("pt-BR", "ES", " it ", "fr", "", None)] == [
        "pt",
        "es",
        "it",
        None,
        None,
        None,
    ]
    assert [word_count(t) for t in ("ok", "ok!! 👍", "pago el 15", "123", "vc pode?")] == [1, 1, 2, 0, 2]
