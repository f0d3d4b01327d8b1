"""The intent classifier: a linear model over character and word n-grams of the normalised text.

Trained in-process from `data/train.tsv` (es, en, pt, it; one model for all four languages) the first time it
is used, in about two seconds, with fixed seeds: two trainings give the same predictions. Nothing is
downloaded and nothing is stored on disk.

Text is normalised first (`normalise`): lower case, accents stripped, a letter repeated three times or more
squeezed to one ("holaaa" -> "hola"), every digit mapped to 0 ("pago el 15" -> "pago el 00"), spaces
collapsed. Features are TF-IDF (sublinear) character n-grams of 2-5 inside word boundaries, which carry
misspellings, missing accents and shared roots across the languages, and word 1-2 grams (emoji and
punctuation count as words). The model is a `LinearSVC`; its decision scores become probabilities with a
softmax whose temperature is fitted on out-of-fold scores of the training set (3 folds): roughly calibrated,
a little confident on wording it has not seen (out of fold, readings at 0.9-0.97 are right 88% of the time,
at 0.7-0.8 68%). Training also sees copies of the requests with a greeting before or a thank-you after
(`courtesied`), so "hola, ya pagué" stays already_paid.

One message is scored without scikit-learn's per-call overhead: the fitted vectorisers' own analysers
produce the n-grams, and the message's few non-zero features index rows of the transposed coefficients
(`TfidfBlock`), about 0.1 ms a message; `classify_many` uses scikit-learn's batch transform, same numbers.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from cobro.domain.conversation.intents import LANGUAGES, Intent

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAIN_FILE = DATA_DIR / "train.tsv"  # the only file training reads; data/eval.tsv is for evaluation only
HEADER = ("lang", "intent", "text")
SEED = 20261123
_SVC_C = 1.0  # chosen by 5-fold cross-validation on train.tsv (0.3-2 are within 0.01 macro-F1)
_TEMPERATURES = np.geomspace(0.25, 64.0, 161)  # the grid searched for the softmax temperature
_WORD_TOKENS = r"(?u)\b\w+\b|[^\w\s]"  # words of any length, and each emoji or punctuation mark alone

_REPEATS = re.compile(r"(.)\1{2,}")
_DIGIT = re.compile(r"\d")


def normalise(text: str) -> str:
    """The text the models read: lower case, no accents, letters repeated 3+ times squeezed to one, digits
    as 0, single spaces (`"¡Holaaa! Pagué el 15"` -> `"¡hola! pague el 00"`)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_DIGIT.sub("0", _REPEATS.sub(r"\1", stripped)).split())


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message of a corpus file."""

    language: str
    intent: Intent
    text: str


class CorpusError(ValueError):
    """A corpus file that is missing or not in the `lang<TAB>intent<TAB>text` format (names the line)."""


def read_examples(path: Path | str) -> list[Example]:
    """The examples of a TSV file with the header `lang<TAB>intent<TAB>text`, one message a line; blank
    lines are skipped. Raises CorpusError naming the file and the first bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read it ({exc})") from None
    if not lines or tuple(c.strip().lower() for c in lines[0].split("\t")) != HEADER:
        raise CorpusError(f"{path}: line 1: expected the header 'lang<TAB>intent<TAB>text'")
    intents = {i.value for i in Intent}
    examples = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != 3:
            raise CorpusError(f"{path}: line {number}: expected 3 tab-separated columns, found {len(cells)}")
        language, intent, text = (c.strip() for c in cells)
        if language not in LANGUAGES:
            raise CorpusError(f"{path}: line {number}: unknown language {language!r} (one of {LANGUAGES})")
        if intent not in intents:
            raise CorpusError(f"{path}: line {number}: unknown intent {intent!r}")
        if not text:
            raise CorpusError(f"{path}: line {number}: empty text")
        examples.append(Example(language, Intent(intent), text))
    if not examples:
        raise CorpusError(f"{path}: no examples after the header")
    return examples


@cache
def training_examples() -> tuple[Example, ...]:
    """The packaged training corpus (read once per process)."""
    return tuple(read_examples(TRAIN_FILE))


class TfidfBlock:
    """A fitted TfidfVectorizer (sublinear tf, l2 norm) applied to one text in plain Python: the indices
    and weights of its non-zero features, exactly as `transform` computes them."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.analyse: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf: np.ndarray = vectorizer.idf_

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(indices, weights) of `text`'s known n-grams, or None when it has none."""
        vocabulary = self.vocabulary
        counts = Counter(i for g in self.analyse(text) if (i := vocabulary.get(g)) is not None)
        if not counts:
            return None
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights = (np.log(tf) + 1.0) * self.idf[index]
        return index, weights / math.sqrt(float(weights @ weights))


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=False)


def _word_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=False, token_pattern=_WORD_TOKENS
    )


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probabilities: np.ndarray = shifted / shifted.sum(axis=-1, keepdims=True)
    return probabilities


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature (a scale on the decision scores) with the least log loss on `scores`."""
    rows = np.arange(len(truth))
    best, best_loss = 1.0, math.inf
    for t in _TEMPERATURES:
        scaled = scores * t
        top = scaled.max(axis=1)
        log_z = top + np.log(np.exp(scaled - top[:, None]).sum(axis=1))
        loss = float(np.mean(log_z - scaled[rows, truth]))
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


# Courtesies that do not change what a message asks: training adds copies of the examples with one of these
# before ("hola, ya pagué") or after ("ya pagué, gracias"), so that a greeting or a thank-you around a request
# does not outweigh the request. Greeting, thanks and other examples are not courtesied (a greeting around
# small talk is still small talk, but "hola, que tal el dia" must stay a greeting).
_OPENINGS = {
    "es": ("hola", "buenas tardes", "buen dia", "buenas", "hola buenas noches", "hola que tal"),
    "en": ("hi", "hello", "good morning", "hey", "good afternoon", "hi there"),
    "pt": ("oi", "ola", "bom dia", "boa tarde", "oi tudo bem", "boa noite"),
    "it": ("ciao", "buongiorno", "salve", "buonasera", "ciao buongiorno", "salve a lei"),
}
_CLOSINGS = {
    "es": ("gracias", "muchas gracias", "saludos", "gracias!"),
    "en": ("thanks", "thank you", "cheers", "thanks!"),
    "pt": ("obrigado", "obrigada", "valeu", "obg"),
    "it": ("grazie", "grazie mille", "saluti", "grazie!"),
}
_PLAIN = (Intent.GREETING, Intent.THANKS, Intent.OTHER)


def courtesied(examples: Sequence[Example]) -> list[tuple[int, Example]]:
    """The examples, each with its position, then for two in three of the others (by position, so the same
    every time) a copy with an opening greeting or a closing thank-you, tagged with its source's position."""
    rows = list(enumerate(examples))
    for i, e in enumerate(examples):
        if e.intent in _PLAIN or i % 3 == 2:
            continue
        if i % 3 == 0:
            opening = _OPENINGS[e.language][(i // 3) % len(_OPENINGS[e.language])]
            rows.append((i, Example(e.language, e.intent, f"{opening}, {e.text}")))
        else:
            closing = _CLOSINGS[e.language][(i // 3) % len(_CLOSINGS[e.language])]
            rows.append((i, Example(e.language, e.intent, f"{e.text}, {closing}")))
    return rows


class _IntentModel:
    """The fitted vectorisers, the linear model as arrays, and the softmax temperature."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.classes = tuple(Intent)
        class_index = {c: i for i, c in enumerate(self.classes)}
        missing = sorted({c.value for c in self.classes} - {e.intent.value for e in examples})
        if missing:
            raise ValueError(f"training examples lack intents: {', '.join(missing)}")
        rows = courtesied(examples)
        source = np.array([i for i, _ in rows])
        y = np.array([class_index[e.intent] for _, e in rows])
        self.vectorizers = (_char_vectorizer(), _word_vectorizer())
        texts = [normalise(e.text) for _, e in rows]
        x = sp.hstack([v.fit_transform(texts) for v in self.vectorizers], format="csr")
        svc = LinearSVC(C=_SVC_C, random_state=SEED).fit(x, y)
        self.coef_t: np.ndarray = np.ascontiguousarray(svc.coef_.T)  # (features, classes): a row a feature
        self.intercept: np.ndarray = np.array(svc.intercept_, dtype=np.float64)
        held_scores, held_truth = self._out_of_fold_scores(x, y, source, examples)
        self.temperature = _fit_temperature(held_scores, held_truth)
        sizes = [len(v.vocabulary_) for v in self.vectorizers]
        offsets = np.cumsum([0, *sizes[:-1]])
        self.blocks = tuple((TfidfBlock(v), int(o)) for v, o in zip(self.vectorizers, offsets, strict=True))

    def _out_of_fold_scores(
        self, x: sp.csr_matrix, y: np.ndarray, source: np.ndarray, examples: Sequence[Example]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decision scores of each original example by a model fitted without it or its copies (3 folds)."""
        strata = [f"{e.language}:{e.intent.value}" for e in examples]
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
        original = np.flatnonzero(
            np.arange(len(source)) < len(examples)
        )  # rows i < len(examples) are originals
        scores = np.zeros((len(examples), len(self.classes)))
        for fit_sources, held_sources in folds.split(np.zeros(len(examples)), strata):
            fit_rows = np.flatnonzero(np.isin(source, fit_sources))
            svc = LinearSVC(C=_SVC_C, random_state=SEED).fit(x[fit_rows], y[fit_rows])
            scores[held_sources] = svc.decision_function(x[original[held_sources]])
        return scores, y[original]

    def scores_of(self, text: str) -> np.ndarray:
        """The decision scores of one normalised text (the fast path)."""
        scores = self.intercept.copy()
        for block, offset in self.blocks:
            found = block.features(text)
            if found is not None:
                index, weights = found
                scores += weights @ self.coef_t[index + offset]
        return scores

    def scores_of_many(self, texts: list[str]) -> np.ndarray:
        """The decision scores of many normalised texts (scikit-learn's batch transform)."""
        x = sp.hstack([v.transform(texts) for v in self.vectorizers], format="csr")
        scores: np.ndarray = np.asarray(x @ self.coef_t) + self.intercept
        return scores


class IntentClassifier:
    """Classifies a debtor's free text into one `Intent` with a probability.

    `examples` default to the packaged training corpus. The model is trained on the first call (or by
    `train()`), once, under a lock, and kept for the life of the object; `default_classifier()` shares one
    per process. Safe to call from several threads once trained.
    """

    def __init__(self, examples: Iterable[Example] | None = None) -> None:
        self._examples = None if examples is None else tuple(examples)
        self._model: _IntentModel | None = None
        self._lock = threading.Lock()

    def train(self) -> IntentClassifier:
        """Trains now (a no-op when already trained); returns self."""
        self._trained()
        return self

    def _trained(self) -> _IntentModel:
        model = self._model
        if model is None:
            with self._lock:
                if self._model is None:
                    examples = training_examples() if self._examples is None else self._examples
                    self._model = _IntentModel(examples)
                model = self._model
        return model

    def classify(self, text: str) -> tuple[Intent, float]:
        """The most likely intent of `text` and its probability (0..1). An empty message is OTHER, 1.0."""
        normalised = normalise(text)
        if not normalised:
            return Intent.OTHER, 1.0
        model = self._trained()
        return self._top(model, model.scores_of(normalised))

    def classify_many(self, texts: Iterable[str]) -> list[tuple[Intent, float]]:
        """`classify` of each text, in order, in one batch."""
        normalised = [normalise(t) for t in texts]
        if not normalised:
            return []
        model = self._trained()
        scores = model.scores_of_many(normalised)
        return [
            (Intent.OTHER, 1.0) if not n else self._top(model, row)
            for n, row in zip(normalised, scores, strict=True)
        ]

    def probabilities(self, text: str) -> dict[Intent, float]:
        """Every intent's probability for `text`, most likely first."""
        model = self._trained()
        p = _softmax(model.scores_of(normalise(text)) * model.temperature)
        order = np.argsort(-p, kind="stable")
        return {model.classes[i]: float(p[i]) for i in order}

    @staticmethod
    def _top(model: _IntentModel, scores: np.ndarray) -> tuple[Intent, float]:
        p = _softmax(scores * model.temperature)
        best = int(np.argmax(p))
        return model.classes[best], float(p[best])


@cache
def default_classifier() -> IntentClassifier:
    """The process's classifier on the packaged corpus (trained on first use)."""
    return IntentClassifier()
