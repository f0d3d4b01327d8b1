"""The wording linter: threats, insults, false urgency, legal claims and third-party disclosure in a text.

Standard library only. The phrases live in wording_phrases.toml beside this module, per category and
language (es, en, pt, it). Matching is case- and accent-insensitive and on word boundaries; exceptions
("sin embargo") are blanked out first. A finding names the phrase exactly as the text wrote it, so a person
sees what to change. Severity "block" stops a template's submission; "warn" is reported only (see the TOML
header for why plain urgency words warn while invented deadlines block).
"""

from __future__ import annotations

import enum
import itertools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cobro.domain.template_catalogue import TemplateEntry

PHRASES_FILE = Path(__file__).with_name("wording_phrases.toml")
LINT_LANGUAGES = ("es", "en", "pt", "it")

_ALTERNATIVES = re.compile(r"\[([^\[\]]+)\]")
_WORD = re.compile(r"\w")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


class WordingCategory(enum.StrEnum):
    """What kind of problem a phrase is."""

    THREAT = "threat"
    INSULT = "insult"
    FALSE_URGENCY = "false_urgency"
    LEGAL_CLAIM = "legal_claim"
    THIRD_PARTY_DISCLOSURE = "third_party_disclosure"


class Severity(enum.StrEnum):
    """BLOCK stops a template's submission; WARN is reported for a person to judge."""

    BLOCK = "block"
    WARN = "warn"


@dataclass(frozen=True, slots=True)
class WordingFinding:
    """One flagged phrase: its category and severity, the words as the text wrote them, and why."""

    category: WordingCategory
    severity: Severity
    phrase: str  # as it appears in the text, original case and accents
    language: str  # the linted language: es, en, pt, it
    reason: str
    where: str = "text"  # for templates: header, body, footer, button 0 (PAY_NOW), ...

    @property
    def blocks(self) -> bool:
        """True when this finding stops a template's submission."""
        return self.severity is Severity.BLOCK

    def describe(self) -> str:
        """One line for people: where, the phrase, the category and the reason."""
        return (
            f"{self.where} says '{self.phrase}' ({self.category.value}, {self.severity.value}): {self.reason}"
        )


@dataclass(frozen=True, slots=True)
class _Rule:
    category: WordingCategory
    severity: Severity
    reason: str
    pattern: re.Pattern[str]
    exceptions: re.Pattern[str] | None


def fold(text: str) -> tuple[str, list[int]]:
    """The text lowercased without accents, and for each folded character the index it came from."""
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text.translate(_APOSTROPHES)):
        decomposed = unicodedata.normalize("NFKD", char)
        for part in "".join(c for c in decomposed if not unicodedata.combining(c)).casefold():
            folded.append(part)
            origins.append(index)
    return "".join(folded), origins


def expand(phrase: str) -> list[str]:
    """Every phrase a '[a|b]' pattern stands for: 'call [your|his] boss' -> two phrases."""
    parts = _ALTERNATIVES.split(phrase)
    # split() alternates literal text and the inside of a bracket group.
    choices = [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


def _pattern(phrases: list[str]) -> re.Pattern[str] | None:
    folded = sorted({fold(p)[0] for phrase in phrases for p in expand(phrase)}, key=len, reverse=True)
    alternatives = []
    for phrase in folded:
        body = r"\s+".join(re.escape(word) for word in phrase.split())
        left = r"(?<!\w)" if _WORD.match(phrase[0]) else ""
        right = r"(?!\w)" if _WORD.match(phrase[-1]) else ""
        alternatives.append(left + body + right)
    return re.compile("|".join(alternatives)) if alternatives else None


@cache
def _rules(path: Path = PHRASES_FILE) -> dict[str, tuple[_Rule, ...]]:
    """The compiled rules per language; a malformed file fails on first use with the category named."""
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    by_language: dict[str, list[_Rule]] = {language: [] for language in LINT_LANGUAGES}
    for name, spec in raw.items():
        category = WordingCategory(name)
        severity = Severity(spec["severity"])
        exceptions = spec.get("exceptions", {})
        for language in LINT_LANGUAGES:
            harmless = _pattern(exceptions.get(language, []))
            lists = [(severity, spec.get("phrases", {}).get(language, []))]
            lists.append((Severity.WARN, spec.get("warn_phrases", {}).get(language, [])))
            for level, phrases in lists:
                pattern = _pattern(phrases)
                if pattern is not None:
                    rule = _Rule(category, level, spec["reason"], pattern, harmless)
                    by_language[language].append(rule)
    return {language: tuple(rules) for language, rules in by_language.items()}


def lint_language(language: str) -> str:
    """The linter's language for a template or debtor language: 'pt_BR' -> 'pt', 'es-MX' -> 'es'."""
    base = language.replace("-", "_").split("_")[0].lower()
    if base not in LINT_LANGUAGES:
        raise ValueError(f"no wording rules for language {language!r}; known: {', '.join(LINT_LANGUAGES)}")
    return base


def lint_text(text: str, language: str, where: str = "text") -> list[WordingFinding]:
    """Every flagged phrase in `text`, in order of appearance (the same words once per category)."""
    lang = lint_language(language)
    folded, origins = fold(text)
    findings: list[WordingFinding] = []
    seen: set[tuple[WordingCategory, str]] = set()
    hits: list[tuple[int, WordingFinding]] = []
    for rule in _rules()[lang]:
        searched = folded
        if rule.exceptions is not None:
            # Blank the harmless phrases with spaces of the same length, so positions still map back.
            searched = rule.exceptions.sub(lambda m: " " * len(m.group(0)), folded)
        for match in rule.pattern.finditer(searched):
            start, end = origins[match.start()], origins[match.end() - 1] + 1
            phrase = text[start:end]
            key = (rule.category, fold(phrase)[0])
            if key in seen:
                continue
            seen.add(key)
            finding = WordingFinding(rule.category, rule.severity, phrase, lang, rule.reason, where)
            hits.append((start, finding))
    findings.extend(finding for _, finding in sorted(hits, key=lambda hit: hit[0]))
    return findings


def lint_template(entry: TemplateEntry) -> list[WordingFinding]:
    """Every flagged phrase in a template's header, body, footer and button labels."""
    return [finding for where, text in entry.texts() for finding in lint_text(text, entry.language, where)]


def lint_macro(text: str, language: str) -> list[WordingFinding]:
    """Every flagged phrase in an agent macro (a canned reply); the same rules as templates."""
    return lint_text(text, language, "macro")


def blocking(findings: list[WordingFinding]) -> list[WordingFinding]:
    """The findings that stop a submission."""
    return [f for f in findings if f.blocks]
