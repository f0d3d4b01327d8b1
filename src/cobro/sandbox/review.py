"""Meta's template review, as far as rules can tell it: format rules, then phrase rules kept as data.

References (Meta's WhatsApp Business Platform docs): templates/guidelines ("common rejection reasons":
variables at the start or end of the body, adjacent variables, missing examples, too many variables for the
length, content that breaks the Business or Commerce policy, content that does not fit its category) and
the `rejected_reason` / webhook `reason` values of message_template_status_update: ABUSIVE_CONTENT,
CATEGORY_NOT_AVAILABLE, INCORRECT_CATEGORY, INVALID_FORMAT, NONE, PROMOTIONAL, SCAM, TAG_CONTENT_MISMATCH.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cobro.sandbox.template_rules import CATEGORIES, VARIABLE

if TYPE_CHECKING:
    from cobro.sandbox.templates import Template

REJECTED_REASONS = (
    "ABUSIVE_CONTENT",
    "CATEGORY_NOT_AVAILABLE",
    "INCORRECT_CATEGORY",
    "INVALID_FORMAT",
    "NONE",
    "PROMOTIONAL",
    "SCAM",
    "TAG_CONTENT_MISMATCH",
)
# Meta publishes no number for "too many variables for its length"; two words of fixed text per variable
# lets "Hola {{1}}, tu pago de {{2}} vence el {{3}}." through and refuses "Hola {{1}}, debes {{2}}.".
MIN_FIXED_WORDS_PER_VARIABLE = 2
LANGUAGE_NAMES = {"es": "Spanish", "en": "English", "pt": "Portuguese", "it": "Italian"}
PHRASES_FILE = Path(__file__).with_name("review_phrases.yaml")

_ADJACENT = re.compile(r"(\{\{[^{}]*\}\})\s*(\{\{[^{}]*\}\})")
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """Review's verdict: APPROVED or REJECTED, Meta's reason, words naming what decided it."""

    status: str
    reason: str
    detail: str
    category: str | None = None  # set when review moved the template to another category


@dataclass(frozen=True, slots=True)
class PhraseRule:
    """One phrase rule of review_phrases.yaml, compiled: a pattern per language."""

    name: str
    reason: str
    applies_to: frozenset[str]
    recategorise_to: str | None
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    originals: dict[str, str]
    exceptions: re.Pattern[str] | None = None


def fold(text: str) -> str:
    """Lowercase without accents, so "Cárcel" and "carcel" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _phrase_pattern(phrase: str) -> str:
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    # A boundary only where the phrase has a word character at that end: "% off" must match "20% off".
    left = r"(?<!\w)" if _WORD.match(phrase[0]) else ""
    right = r"(?!\w)" if _WORD.match(phrase[-1]) else ""
    return left + body + right


def load_rules(path: Path = PHRASES_FILE) -> tuple[PhraseRule, ...]:
    """Reads and checks the phrase rules file; a malformed file fails at import, not at review."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules: list[PhraseRule] = []
    for name, spec in raw.items():
        reason, applies_to = spec["reason"], frozenset(spec["applies_to"])
        if reason not in REJECTED_REASONS or not applies_to <= set(CATEGORIES):
            raise ValueError(f"{path.name}: rule {name!r} has an unknown reason or category")
        patterns: list[tuple[str, re.Pattern[str]]] = []
        originals: dict[str, str] = {}
        for language, phrases in spec["phrases"].items():
            if language not in LANGUAGE_NAMES or not all(isinstance(p, str) and p for p in phrases):
                raise ValueError(f"{path.name}: rule {name!r} has a bad phrase list for {language!r}")
            folded = sorted({" ".join(fold(p).split()) for p in phrases}, key=len, reverse=True)
            originals.update({" ".join(fold(p).split()): p for p in phrases})
            pattern = re.compile("|".join(_phrase_pattern(p) for p in folded))
            patterns.append((language, pattern))
        harmless = [" ".join(fold(p).split()) for p in spec.get("except") or []]
        exceptions = re.compile("|".join(_phrase_pattern(p) for p in harmless)) if harmless else None
        rules.append(
            PhraseRule(
                name, reason, applies_to, spec.get("recategorise_to"), tuple(patterns), originals, exceptions
            )
        )
    return tuple(rules)


RULES = load_rules()


def _components(template: Template) -> dict[str, dict[str, Any]]:
    return {str(c.get("type", "")).upper(): c for c in template.components}


def _texts(template: Template) -> list[tuple[str, str]]:
    shape = template.shape
    texts = [("header", shape.header_text), ("body", shape.body_text), ("footer", shape.footer_text)]
    for index, button in enumerate(shape.buttons):
        texts.append((f"button {index}", button.text))
        texts.append((f"url of button {index}", button.url))
    return [(where, text) for where, text in texts if text]


def _format_problem(template: Template) -> str | None:
    body = template.shape.body_text.strip()
    first, last = VARIABLE.match(body), re.search(r"\{\{[^{}]*\}\}$", body)
    if first:
        return f"The body starts with the variable {first.group(0)}: put words before it."
    if last:
        return f"The body ends with the variable {last.group(0)}: put words after it."
    for where, text in (("header", template.shape.header_text), ("body", body)):
        adjacent = _ADJACENT.search(text or "")
        if adjacent:
            return (
                f"The {where} has the variables {adjacent.group(1)} and {adjacent.group(2)} side by side: "
                "put words between them."
            )
    missing = _missing_example(template)
    if missing:
        return missing
    count = len(template.shape.body_variables)
    fixed_words = sum(1 for word in VARIABLE.sub(" ", body).split() if _WORD.search(word))
    if count and fixed_words < MIN_FIXED_WORDS_PER_VARIABLE * count:
        return (
            f"The body has {count} variables for {fixed_words} words of fixed text: too many variables for "
            "its length. Remove variables or write more text."
        )
    return None


def _missing_example(template: Template) -> str | None:
    components, shape, named = _components(template), template.shape, template.parameter_format == "NAMED"
    for where, variables in (("HEADER", shape.header_variables), ("BODY", shape.body_variables)):
        if not variables:
            continue
        example = components[where].get("example") or {}
        prefix = "header_text" if where == "HEADER" else "body_text"
        if named:
            given = {
                p.get("param_name")
                for p in example.get(f"{prefix}_named_params") or []
                if isinstance(p, dict) and p.get("example")
            }
            absent = [v for v in variables if v not in given]
        else:
            values = example.get(prefix)
            values = values if isinstance(values, list) else []
            row = values[0] if where == "BODY" and values and isinstance(values[0], list) else values
            absent = list(variables[len([v for v in row if isinstance(v, str) and v]) :])
        if absent:
            shown = ", ".join(f"{{{{{v}}}}}" for v in absent)
            key = f"example.{prefix}_named_params" if named else f"example.{prefix}"
            return f"The {where.lower()} has no example value for {shown}: add them in {key}."
    buttons = components.get("BUTTONS", {}).get("buttons", [])
    for index, button in enumerate(shape.buttons):
        if button.url_variable and not buttons[index].get("example"):
            return f"URL button {index} has a variable and no example URL: add it in example."
    return None


def _phrase_hit(template: Template, rule: PhraseRule) -> str | None:
    for where, text in _texts(template):
        folded = fold(text)
        if rule.exceptions is not None:
            folded = rule.exceptions.sub(" ", folded)
        for language, pattern in rule.patterns:
            match = pattern.search(folded)
            if match:
                phrase = rule.originals.get(" ".join(match.group(0).split()), match.group(0))
                return f"the {where} says '{phrase}' ({LANGUAGE_NAMES[language]})"
    return None


def review(template: Template) -> ReviewResult:
    """Approves or rejects a template the way Meta's review would, naming what decided it."""
    problem = _format_problem(template)
    if problem:
        return ReviewResult("REJECTED", "INVALID_FORMAT", problem)
    for rule in RULES:
        if template.category not in rule.applies_to:
            continue
        hit = _phrase_hit(template, rule)
        if hit is None:
            continue
        if rule.recategorise_to and template.allow_category_change:
            return ReviewResult(
                "APPROVED", "NONE", f"Approved as {rule.recategorise_to}: {hit}.", rule.recategorise_to
            )
        return ReviewResult("REJECTED", rule.reason, f"Rejected ({rule.name}): {hit}.")
    return ReviewResult("APPROVED", "NONE", "Approved.")
