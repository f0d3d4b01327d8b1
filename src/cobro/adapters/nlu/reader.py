"""`NluReader`: the `MessageReader` port (app/ports.py) over the intent classifier, the language detector and
the entity extractor (entities.py)."""

from __future__ import annotations

from datetime import date

from cobro.adapters.nlu.classifier import IntentClassifier, default_classifier
from cobro.adapters.nlu.language import LanguageDetector, default_detector
from cobro.domain.conversation.intents import Entities, Reading


class NluReader:
    """Reads a debtor's free text offline and deterministically: language, intent with its probability,
    entities. The classifier and the detector default to the process-wide ones (trained on first use;
    `warm_up` trains them up front, 2-3 s)."""

    def __init__(
        self, classifier: IntentClassifier | None = None, detector: LanguageDetector | None = None
    ) -> None:
        self.classifier = classifier or default_classifier()
        self.detector = detector or default_detector()

    def warm_up(self) -> None:
        """Trains the classifier, builds the detector and compiles the entity readers now, so the first
        message is not the slow one."""
        from cobro.adapters.nlu.entities import warm_up as warm_up_entities

        self.classifier.train()
        self.detector.build()
        warm_up_entities()

    def read(self, text: str, fallback_language: str | None = None) -> Reading:
        """The message's language (`fallback_language` when it is one word or ambiguous), intent and
        confidence."""
        guess = self.detector.detect(text, fallback_language)
        intent, confidence = self.classifier.classify(text)
        return Reading(
            language=guess.language,
            intent=intent,
            confidence=confidence,
            language_confidence=guess.confidence,
            language_fallback=guess.fallback,
        )

    def entities(self, text: str, language: str, zone: str, today: date) -> Entities:
        """Dates, amounts and reference numbers in `text` (delegates to entities.extract_entities)."""
        from cobro.adapters.nlu.entities import extract_entities  # imported late: a module of its own

        return extract_entities(text, language, zone, today)

    def birth_date(self, text: str, language: str) -> date | None:
        """A date of birth as written, or None (delegates to entities.parse_birth_date)."""
        from cobro.adapters.nlu.entities import parse_birth_date

        return parse_birth_date(text, language)
