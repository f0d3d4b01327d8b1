"""Which of the bot's four languages (es, en, pt, it) a debtor's message is in.

Two opinions, averaged: lingua (`lingua-language-detector`), restricted to Spanish, English, Portuguese
and Italian with its models preloaded, knows the languages at large; a character n-gram naive Bayes trained
on the `lang` column of the intent corpus (data/train.tsv) knows how debtors write to a collection bot:
"quanto devo pagar" (pt) against "quanto devo pagare" (it), "vc", "pq", "cmq", "xq", voseo. Lingua's
probabilities are flat on a few words and the corpus model's are sharp on the corpus's own style, so each
covers the other: out of fold on train.tsv lingua alone is right on 93.2% of the messages, the corpus model
on 94.6%, their average on 95.4%; on eval.tsv 97.0%, 99.0% and 98.9% (docs/decisions/0035).

A message of one word or less ("ok", "si", "grazie", "👍"), or one whose top probability is under
`AMBIGUOUS_BELOW`, takes the debtor's stored language when one is given (`fallback=True`): a Portuguese
debtor who writes "ok" is still answered in Portuguese.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
from lingua import Language, LanguageDetectorBuilder
from lingua import LanguageDetector as LinguaDetector
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.naive_bayes import MultinomialNB  # type: ignore[import-untyped]

from cobro.adapters.nlu.classifier import Example, TfidfBlock, normalise, training_examples
from cobro.domain.conversation.intents import LANGUAGES

AMBIGUOUS_BELOW = 0.6  # a top probability under this is a guess: the stored language wins when given
LINGUA_WEIGHT = 0.5  # share of lingua in the average (the rest is the corpus model); 0.4-0.6 are as good
_LINGUA = {
    Language.SPANISH: "es",
    Language.ENGLISH: "en",
    Language.PORTUGUESE: "pt",
    Language.ITALIAN: "it",
}
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A message's language, how sure, and whether the stored language was used instead of the text."""

    language: str  # one of LANGUAGES
    confidence: float  # the averaged probability of `language` (0..1)
    fallback: bool = False


def fallback_code(language: str | None) -> str | None:
    """A stored language as one of LANGUAGES ("pt-BR" -> "pt", "ES" -> "es"), or None when it is none."""
    if not language:
        return None
    code = language.strip().lower()[:2]
    return code if code in LANGUAGES else None


def word_count(text: str) -> int:
    """How many words of letters `text` has (digits, emoji and punctuation are not words)."""
    return len(_WORD.findall(text))


class _CorpusModel:
    """Character 1-4 gram naive Bayes over the corpus's `lang` column, scored without scikit-learn's per-call
    overhead."""

    def __init__(self, examples: Iterable[Example]) -> None:
        rows = list(examples)
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, lowercase=False
        )
        x = vectorizer.fit_transform([normalise(e.text) for e in rows])
        model = MultinomialNB(alpha=0.1).fit(x, [e.language for e in rows])
        self.languages: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        self.block = TfidfBlock(vectorizer)
        self.log_prob_t = np.ascontiguousarray(model.feature_log_prob_.T)
        self.log_prior = model.class_log_prior_.copy()

    def probabilities(self, normalised: str) -> dict[str, float]:
        """P(language | text) for each of the corpus's languages."""
        scores = self.log_prior.copy()
        found = self.block.features(normalised)
        if found is not None:
            index, weights = found
            scores += weights @ self.log_prob_t[index]
        p = np.exp(scores - scores.max())
        p /= p.sum()
        return {lang: float(v) for lang, v in zip(self.languages, p, strict=True)}


class _Models:
    def __init__(self, examples: Iterable[Example]) -> None:
        self.corpus = _CorpusModel(examples)
        self.lingua: LinguaDetector = (
            LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()
        )


class LanguageDetector:
    """Detects es, en, pt or it (built on first use, once, under a lock; `default_detector()` shares one per
    process). `examples` default to the packaged training corpus."""

    def __init__(self, examples: Iterable[Example] | None = None) -> None:
        self._examples = None if examples is None else tuple(examples)
        self._models: _Models | None = None
        self._lock = threading.Lock()

    def build(self) -> LanguageDetector:
        """Trains the corpus model and loads lingua's models now; returns self."""
        self._built()
        return self

    def _built(self) -> _Models:
        models = self._models
        if models is None:
            with self._lock:
                if self._models is None:
                    examples = training_examples() if self._examples is None else self._examples
                    self._models = _Models(examples)
                models = self._models
        return models

    def probabilities(self, text: str) -> dict[str, float]:
        """Each language's averaged probability, most likely first (lingua's share goes to the corpus
        model when lingua has no opinion, as for a text without letters)."""
        models = self._built()
        corpus = models.corpus.probabilities(normalise(text))
        # lingua's values can differ in the last bit from one call to the next: rounded, they repeat exactly
        values = models.lingua.compute_language_confidence_values(text)
        lingua = {_LINGUA[c.language]: round(c.value, 9) for c in values}
        weight = LINGUA_WEIGHT if sum(lingua.values()) > 0 else 0.0
        mixed = {
            lang: weight * lingua.get(lang, 0.0) + (1 - weight) * corpus.get(lang, 0.0) for lang in LANGUAGES
        }
        return dict(sorted(mixed.items(), key=lambda kv: (-kv[1], LANGUAGES.index(kv[0]))))

    def detect(self, text: str, fallback_language: str | None = None) -> LanguageGuess:
        """The language of `text`; the stored `fallback_language` instead when the text has at most one word
        or no language reaches AMBIGUOUS_BELOW (only when a fallback is given and is one of LANGUAGES)."""
        probabilities = self.probabilities(text)
        best, confidence = next(iter(probabilities.items()))
        stored = fallback_code(fallback_language)
        if stored is not None and (word_count(text) <= 1 or confidence < AMBIGUOUS_BELOW):
            return LanguageGuess(stored, probabilities[stored], fallback=True)
        return LanguageGuess(best, confidence)


@cache
def default_detector() -> LanguageDetector:
    """The process's language detector on the packaged corpus (built on first use)."""
    return LanguageDetector()
