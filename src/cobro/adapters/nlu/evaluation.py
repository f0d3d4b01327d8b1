"""How well the reader does on a labelled set: intent accuracy and macro-F1 (overall and per language),
language-detection accuracy, the confusion matrix, and how confidence separates right from wrong.

Language is detected here without a stored language (no fallback), so the figure is the detector's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score  # type: ignore[import-untyped]

from cobro.adapters.nlu.classifier import Example
from cobro.adapters.nlu.reader import NluReader
from cobro.domain.conversation.intents import LANGUAGES, Intent, Reading

ABBREVIATIONS: dict[Intent, str] = {
    Intent.CHECK_BALANCE: "BAL",
    Intent.PAY_NOW: "PAY",
    Intent.PAYMENT_PLAN: "PLN",
    Intent.MORE_TIME: "TIM",
    Intent.PROMISE_TO_PAY: "PRM",
    Intent.ALREADY_PAID: "PD",
    Intent.DISPUTE: "DSP",
    Intent.HARDSHIP: "HRD",
    Intent.WRONG_NUMBER: "WRN",
    Intent.OPT_OUT: "OPT",
    Intent.TALK_TO_AGENT: "AGT",
    Intent.GREETING: "HI",
    Intent.THANKS: "THX",
    Intent.OTHER: "OTH",
}
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # confidence thresholds shown by format_report


@dataclass(frozen=True, slots=True)
class Prediction:
    """One labelled message and how it was read."""

    example: Example
    reading: Reading

    @property
    def correct(self) -> bool:
        """Whether the intent read is the labelled one."""
        return self.reading.intent == self.example.intent


@dataclass(frozen=True, slots=True)
class LanguageFigures:
    """The figures of the messages labelled with one language."""

    language: str
    count: int
    accuracy: float
    macro_f1: float
    language_accuracy: float


@dataclass(frozen=True, slots=True)
class ThresholdFigures:
    """What a confidence threshold would do: the share of messages under it (the bot would ask), the
    accuracy of those at or above it, and the share of the wrong readings it would catch."""

    threshold: float
    asked: float
    accuracy_above: float
    errors_caught: float


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of one evaluation. `confusion[i][j]` counts messages labelled `labels[i]` read as
    `labels[j]`."""

    count: int
    accuracy: float
    macro_f1: float
    language_accuracy: float
    by_language: tuple[LanguageFigures, ...]
    labels: tuple[Intent, ...]
    confusion: tuple[tuple[int, ...], ...]
    predictions: tuple[Prediction, ...]

    def threshold(self, threshold: float) -> ThresholdFigures:
        """The effect of asking a clarifying question below `threshold`."""
        above = [p for p in self.predictions if p.reading.confidence >= threshold]
        wrong = [p for p in self.predictions if not p.correct]
        caught = sum(1 for p in wrong if p.reading.confidence < threshold)
        return ThresholdFigures(
            threshold=threshold,
            asked=1 - len(above) / self.count,
            accuracy_above=sum(p.correct for p in above) / len(above) if above else 1.0,
            errors_caught=caught / len(wrong) if wrong else 1.0,
        )


def _macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return float(f1_score(truth, predicted, average="macro", zero_division=0))


def evaluate(rows: Iterable[Example], reader: NluReader | None = None) -> Report:
    """Reads every labelled message (language without fallback) and computes the figures."""
    reader = reader or NluReader()
    predictions = tuple(Prediction(e, reader.read(e.text)) for e in rows)
    if not predictions:
        raise ValueError("nothing to evaluate")
    truth = [p.example.intent.value for p in predictions]
    predicted = [p.reading.intent.value for p in predictions]
    languages_right = [p.reading.language == p.example.language for p in predictions]
    by_language = []
    for language in LANGUAGES:
        rows_of = [i for i, p in enumerate(predictions) if p.example.language == language]
        if not rows_of:
            continue
        t = [truth[i] for i in rows_of]
        q = [predicted[i] for i in rows_of]
        by_language.append(
            LanguageFigures(
                language=language,
                count=len(rows_of),
                accuracy=float(accuracy_score(t, q)),
                macro_f1=_macro_f1(t, q),
                language_accuracy=sum(languages_right[i] for i in rows_of) / len(rows_of),
            )
        )
    labels = tuple(Intent)
    matrix = confusion_matrix(truth, predicted, labels=[i.value for i in labels])
    return Report(
        count=len(predictions),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=_macro_f1(truth, predicted),
        language_accuracy=sum(languages_right) / len(predictions),
        by_language=tuple(by_language),
        labels=labels,
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
        predictions=predictions,
    )


def format_report(report: Report) -> str:
    """The report as text: the figures, the confidence thresholds, the confusion matrix."""
    lines = [
        f"messages: {report.count}",
        f"intent accuracy: {report.accuracy:.3f}",
        f"intent macro-F1: {report.macro_f1:.3f}",
        f"language accuracy: {report.language_accuracy:.3f}",
        "by language:",
    ]
    lines += [
        f"  {f.language}: {f.count} messages, accuracy {f.accuracy:.3f}, macro-F1 {f.macro_f1:.3f}, "
        f"language accuracy {f.language_accuracy:.3f}"
        for f in report.by_language
    ]
    lines.append("confidence threshold (below it the bot would ask):")
    for t in THRESHOLDS:
        f = report.threshold(t)
        lines.append(
            f"  {t:.1f}: {f.asked:6.1%} asked, accuracy of the rest {f.accuracy_above:.3f}, "
            f"{f.errors_caught:6.1%} of the errors caught"
        )
    lines.append("confusion matrix (rows: labelled intent, columns: intent read):")
    width = max(len(i.value) for i in report.labels)
    lines.append(" " * (width + 2) + "".join(f"{ABBREVIATIONS[i]:>5}" for i in report.labels))
    for label, row in zip(report.labels, report.confusion, strict=True):
        cells = "".join(f"{v if v else '.':>5}" for v in row)
        lines.append(f"  {label.value:<{width}}{cells}")
    lines.append("  " + ", ".join(f"{ABBREVIATIONS[i]}={i.value}" for i in report.labels))
    return "\n".join(lines)
