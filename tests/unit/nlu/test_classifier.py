"""The intent classifier on the packaged corpus: quality on the held-out eval set, tricky messages,
determinism, the corpus files themselves, and the reader that puts language and intent together."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score  # type: ignore[import-untyped]

from cobro.adapters.nlu import NluReader, default_reader
from cobro.adapters.nlu import classifier as classifier_module
from cobro.adapters.nlu.classifier import (
    DATA_DIR,
    TRAIN_FILE,
    CorpusError,
    Example,
    IntentClassifier,
    default_classifier,
    normalise,
    read_examples,
    training_examples,
)
from cobro.adapters.nlu.evaluation import evaluate, format_report
from cobro.domain.conversation.intents import LANGUAGES, Entities, Intent, Reading

EVAL_FILE = DATA_DIR / "eval.tsv"


@pytest.fixture(scope="session")
def classifier() -> IntentClassifier:
    """The process's classifier, trained once for the whole session."""
    return default_classifier().train()


@pytest.fixture(scope="session")
def eval_examples() -> list[Example]:
    return read_examples(EVAL_FILE)


# --- the corpus -----------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case, no accents, single spaces: how near-copies are compared."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"\s+", " ", "".join(c for c in folded if not unicodedata.combining(c))).strip()


def test_no_eval_text_appears_in_train(eval_examples: list[Example]) -> None:
    train = {_plain(e.text) for e in training_examples()}
    shared = [e.text for e in eval_examples if _plain(e.text) in train]
    assert shared == []


@pytest.mark.parametrize(("path", "minimum"), [(TRAIN_FILE, 40), (EVAL_FILE, 12)])
def test_every_language_and_intent_has_enough_examples(path: Path, minimum: int) -> None:
    counts = Counter((e.language, e.intent) for e in read_examples(path))
    thin = {
        key: n for key in ((lang, i) for lang in LANGUAGES for i in Intent) if (n := counts[key]) < minimum
    }
    assert thin == {}


def test_training_reads_only_the_training_file(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[Path] = []

    def spy(path: Path | str) -> list[Example]:
        read.append(Path(path))
        return read_examples(path)

    monkeypatch.setattr(classifier_module, "read_examples", spy)
    examples = training_examples.__wrapped__()  # the uncached function: reads the file again
    assert read == [TRAIN_FILE]
    assert len(examples) == len(training_examples())


def test_read_examples_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("lang\tintent\ttext\nes\tpay_now\tquiero pagar\nes\tpay_now\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.tsv: line 3: expected 3 tab-separated columns, found 2"):
        read_examples(path)
    path.write_text("lang\tintent\ttext\nes\tpay_later\tluego\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"line 2: unknown intent 'pay_later'"):
        read_examples(path)
    path.write_text("lang\tintent\ttext\nfr\tpay_now\tje paie\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"line 2: unknown language 'fr'"):
        read_examples(path)
    path.write_text("language,intent,text\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="line 1: expected the header"):
        read_examples(path)
    with pytest.raises(CorpusError, match="no such file"):
        read_examples(tmp_path / "missing.tsv")


def test_normalise() -> None:
    assert normalise("  ¡Holaaa!   Pagué el 15 ") == "¡hola! pague el 00"
    assert normalise("PODÉS pagar EN CUOTAS?") == "podes pagar en cuotas?"
    assert normalise("ll rr ss") == "ll rr ss"  # doubled letters are words' own, only 3+ are squeezed


# --- quality on the held-out set ------------------------------------------------------------------------


def test_macro_f1_on_eval_overall_and_in_every_language(
    classifier: IntentClassifier, eval_examples: list[Example]
) -> None:
    predicted = [i for i, _ in classifier.classify_many(e.text for e in eval_examples)]
    truth = [e.intent for e in eval_examples]
    assert f1_score(truth, predicted, average="macro") >= 0.95
    for language in LANGUAGES:
        rows = [k for k, e in enumerate(eval_examples) if e.language == language]
        f1 = f1_score([truth[k] for k in rows], [predicted[k] for k in rows], average="macro")
        assert f1 >= 0.95, language


TRICKY = [
    # "cancelar" is to pay off in Latin America, and to end a contract everywhere
    ("ya cancelé la deuda el mes pasado", Intent.ALREADY_PAID),
    ("cancelé el servicio hace un año y me siguen cobrando", Intent.DISPUTE),
    ("vos me podés pasar el cbu así te transfiero?", Intent.PAY_NOW),
    ("te pago el viernes 20 sin falta", Intent.PROMISE_TO_PAY),
    ("necesito unos días más para pagar", Intent.MORE_TIME),
    ("podría pagar 300 por mes?", Intent.PAYMENT_PLAN),
    ("me quedé sin laburo y no llego a fin de mes", Intent.HARDSHIP),
    ("no soy yo, no conozco a ningún Raúl", Intent.WRONG_NUMBER),
    ("sí, soy yo", Intent.OTHER),  # confirming who they are is not a wrong number
    ("xq me cobran esto si nunca lo pedí?", Intent.DISPUTE),
    ("necesito hablar con una persona, no con un bot", Intent.TALK_TO_AGENT),
    (
        "Hola buenas tardes, mire le cuento que me quedé sin trabajo, no voy a poder pagar este mes",
        Intent.HARDSHIP,
    ),
    ("I'll pay next Friday", Intent.PROMISE_TO_PAY),
    ("can I pay in 3 installments?", Intent.PAYMENT_PLAN),
    ("I was charged twice for the same bill", Intent.DISPUTE),
    ("who is Mark? wrong number", Intent.WRONG_NUMBER),
    ("I paid it yesterday, here is the receipt", Intent.ALREADY_PAID),
    ("hello, i was wondering if i could pay in installments", Intent.PAYMENT_PLAN),
    ("vc pode me mandar o boleto?", Intent.PAY_NOW),
    ("quanto devo pagar?", Intent.CHECK_BALANCE),
    ("pago dia 10", Intent.PROMISE_TO_PAY),
    ("posso parcelar em 5x?", Intent.PAYMENT_PLAN),
    ("é possível pagar às prestações?", Intent.PAYMENT_PLAN),
    ("o meu telemóvel não é desta pessoa", Intent.WRONG_NUMBER),
    ("pq vcs tão cobrando isso? nunca contratei", Intent.DISPUTE),
    ("cmq nn posso pagare adesso, mi date tempo?", Intent.MORE_TIME),
    ("pago il 15 del mese prossimo", Intent.PROMISE_TO_PAY),
    ("ho già fatto il bonifico ieri sera", Intent.ALREADY_PAID),
    ("buongiorno, vorrei sapere quanto devo ancora", Intent.CHECK_BALANCE),
    ("che tempo fa a roma?", Intent.OTHER),
    ("ya pagué, gracias", Intent.ALREADY_PAID),
    ("grazie mille!", Intent.THANKS),
]


@pytest.mark.parametrize(("text", "intent"), TRICKY)
def test_tricky_messages(classifier: IntentClassifier, text: str, intent: Intent) -> None:
    assert classifier.classify(text)[0] == intent


def test_confidence_is_a_probability(classifier: IntentClassifier) -> None:
    probabilities = classifier.probabilities("puedo pagar en cuotas?")
    assert set(probabilities) == set(Intent)
    assert sum(probabilities.values()) == pytest.approx(1.0)
    intent, confidence = classifier.classify("puedo pagar en cuotas?")
    assert next(iter(probabilities)) == intent == Intent.PAYMENT_PLAN
    assert confidence == pytest.approx(probabilities[intent])
    assert 0.5 < confidence <= 1.0
    _, unsure = classifier.classify("asdkjh qwe")
    assert unsure < confidence


def test_empty_message_is_other(classifier: IntentClassifier) -> None:
    assert classifier.classify("   ") == (Intent.OTHER, 1.0)
    assert classifier.classify_many(["", "hola"])[0] == (Intent.OTHER, 1.0)
    assert classifier.classify_many([]) == []


def test_one_message_and_a_batch_agree(classifier: IntentClassifier, eval_examples: list[Example]) -> None:
    texts = [e.text for e in eval_examples[::7]]
    one = [classifier.classify(t) for t in texts]
    many = classifier.classify_many(texts)
    assert [i for i, _ in one] == [i for i, _ in many]
    assert np.allclose([p for _, p in one], [p for _, p in many], atol=1e-9)


def test_two_trainings_give_identical_predictions(eval_examples: list[Example]) -> None:
    texts = [e.text for e in eval_examples]
    first = IntentClassifier(training_examples()).classify_many(texts)
    second = IntentClassifier(training_examples()).classify_many(texts)
    assert first == second


def test_training_needs_every_intent() -> None:
    examples = [Example("es", Intent.GREETING, "hola"), Example("es", Intent.THANKS, "gracias")]
    with pytest.raises(ValueError, match="training examples lack intents: already_paid"):
        IntentClassifier(examples).train()


# --- the reader and the evaluation ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def reader(classifier: IntentClassifier) -> NluReader:
    return default_reader()


def test_reader_reads_language_and_intent(reader: NluReader) -> None:
    reading = reader.read("perdi o emprego e tô sem grana", fallback_language="es")
    assert reading == Reading(
        language="pt",
        intent=Intent.HARDSHIP,
        confidence=reading.confidence,
        language_confidence=reading.language_confidence,
        language_fallback=False,
    )
    assert reading.confidence > 0.9
    short = reader.read("grazie", fallback_language="pt")
    assert (short.language, short.intent, short.language_fallback) == ("pt", Intent.THANKS, True)


def test_reader_entities_and_birth_date_delegate_to_the_entities_module(reader: NluReader) -> None:
    from cobro.adapters.nlu import entities

    today = date(2026, 11, 23)
    found = reader.entities("te pago el 15", "es", "America/Argentina/Buenos_Aires", today)
    assert isinstance(found, Entities)
    assert found == entities.extract_entities("te pago el 15", "es", "America/Argentina/Buenos_Aires", today)
    assert reader.birth_date("15/03/1985", "es") == entities.parse_birth_date("15/03/1985", "es")


def test_evaluation_report(reader: NluReader) -> None:
    rows = [
        Example("es", Intent.CHECK_BALANCE, "cuanto debo?"),
        Example("en", Intent.PAY_NOW, "send me the payment link"),
        Example("pt", Intent.GREETING, "bom dia"),
        Example("it", Intent.GREETING, "ho perso il lavoro"),  # labelled wrong on purpose: read as hardship
    ]
    report = evaluate(rows, reader)
    assert (report.count, report.accuracy, report.language_accuracy) == (4, 0.75, 1.0)
    assert [f.language for f in report.by_language] == ["es", "en", "pt", "it"]
    assert report.by_language[3].accuracy == 0.0
    greeting, hardship = list(Intent).index(Intent.GREETING), list(Intent).index(Intent.HARDSHIP)
    assert report.confusion[greeting][hardship] == 1
    assert sum(map(sum, report.confusion)) == 4
    text = format_report(report)
    assert "intent accuracy: 0.750" in text
    assert "BAL  PAY  PLN" in text
    assert re.search(r"  greeting\s+(\.\s+){7}1(\s+\.){3}\s+1(\s+\.){2}$", text, re.MULTILINE)
