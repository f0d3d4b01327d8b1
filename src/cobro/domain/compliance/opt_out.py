"""Opt-out requests: "STOP", "no me escriban más", "delete my data", or Cobro's own opt-out button.

Read from an inbound message before anything else is done with it, so an opt-out is honoured at once. The
words and phrases are data (opt_out_phrases.toml, es/en/pt/it); matching folds case and accents and ignores
punctuation. A keyword counts only as the whole message (give or take "please"), a phrase anywhere, unless
a qualifier of time follows it ("don't text me before 9" asks for other hours, not for silence).
"""

from __future__ import annotations

import enum
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cobro.domain.accounts import OptOut

PHRASES_FILE = Path(__file__).with_name("opt_out_phrases.toml")
_APOSTROPHES = re.compile(r"['’‘`´ʼ]")
_NOT_WORD = re.compile(r"[\W_]+")
_CLAUSE_BREAK = re.compile(r"[.,;:!?¡¿\n\r()\[\]\"“”«»…]+")
_QUALIFIER_REACH = 2  # a qualifier must start within this many words after the phrase


class OptOutScope(enum.StrEnum):
    """What the debtor asked to stop, narrowest first."""

    CHANNEL = "channel"  # WhatsApp messages
    ALL_CONTACT = "all_contact"  # every contact, on any channel
    PROCESSING = "processing"  # object to the processing of their data (GDPR art. 21) or ask for erasure

    @property
    def rank(self) -> int:
        """Wider scopes rank higher; a stored opt-out is only ever widened."""
        return _SCOPE_RANK[self]


_SCOPE_RANK = {OptOutScope.CHANNEL: 0, OptOutScope.ALL_CONTACT: 1, OptOutScope.PROCESSING: 2}


class OptOutEffect(enum.StrEnum):
    """What an opt-out request changed on a debtor."""

    RECORDED = "recorded"  # the debtor had no opt-out
    WIDENED = "widened"  # the debtor had a narrower one
    UNCHANGED = "unchanged"  # the debtor had one at least as wide


@dataclass(frozen=True, slots=True)
class OptOutRequest:
    """An opt-out found in a message: its scope, what matched (never the whole message) and its language."""

    scope: OptOutScope
    phrase: str  # the keyword, phrase (normalised) or button payload that matched
    language: str | None  # es, en, pt, it; None for a button
    via: str  # "keyword", "phrase" or "button"


@dataclass(frozen=True, slots=True)
class _PhraseBook:
    version: str
    payloads: dict[str, OptOutScope]
    politeness: tuple[str, ...]  # normalised, longest first
    keywords: dict[str, str]  # normalised keyword -> language (the first listing it)
    phrases: tuple[tuple[str, OptOutScope, str], ...]  # (normalised phrase, scope, language)
    qualifiers: dict[str, tuple[tuple[str, ...], ...]]  # language -> qualifiers as word tuples


def normalise(text: str) -> str:
    """Folds case and accents, drops apostrophes, turns other punctuation into spaces, collapses spaces."""
    text = _APOSTROPHES.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def detect_opt_out(text: str | None, button_payload: str | None) -> OptOutRequest | None:
    """The opt-out a message asks for, or None: Cobro's opt-out button, a keyword alone, or a phrase."""
    book = _phrase_book()
    if button_payload is not None:
        scope = book.payloads.get(button_payload.strip().upper())
        if scope is not None:
            return OptOutRequest(scope, button_payload.strip().upper(), None, "button")
    if not text:
        return None
    whole = _strip_politeness(normalise(text), book.politeness)
    keyword = _collapse_repeats(whole, book.keywords)
    language = book.keywords.get(keyword)
    if language is not None:
        return OptOutRequest(OptOutScope.CHANNEL, keyword, language, "keyword")
    return _find_phrase(text, book)


def phrases_version() -> str:
    """The version of the phrase data, recorded with each opt-out so a later audit knows what matched."""
    return _phrase_book().version


def merge_opt_out(current: OptOut | None, request: OptOut) -> tuple[OptOut, OptOutEffect]:
    """The opt-out to store after `request`: the first one stays (its time is when contact had to stop), and
    a later request only widens its scope (then the wider scope's source is kept)."""
    if current is None:
        return request, OptOutEffect.RECORDED
    at = min(current.at, request.at)
    if OptOutScope(request.scope).rank > OptOutScope(current.scope).rank:
        return OptOut(at=at, scope=request.scope, source=request.source), OptOutEffect.WIDENED
    if at != current.at:  # the request was made earlier than the one stored (webhooks arrive out of order)
        return OptOut(at=at, scope=current.scope, source=current.source), OptOutEffect.UNCHANGED
    return current, OptOutEffect.UNCHANGED


def _strip_politeness(text: str, politeness: tuple[str, ...]) -> str:
    changed = True
    while changed and text:
        changed = False
        for word in politeness:
            if text == word:
                return text
            if text.startswith(word + " "):
                text, changed = text[len(word) + 1 :], True
            elif text.endswith(" " + word):
                text, changed = text[: -len(word) - 1], True
    return text


def _collapse_repeats(text: str, keywords: dict[str, str]) -> str:
    """'stop stop stop' -> 'stop' when that is a keyword; otherwise the text unchanged."""
    words = text.split(" ")
    for size in range(1, len(words) // 2 + 1):
        if len(words) % size == 0:
            unit = words[:size]
            if unit * (len(words) // size) == words and " ".join(unit) in keywords:
                return " ".join(unit)
    return text


def _find_phrase(text: str, book: _PhraseBook) -> OptOutRequest | None:
    best: OptOutRequest | None = None
    for clause in _CLAUSE_BREAK.split(text):
        words = normalise(clause).split(" ")
        padded = " " + " ".join(words) + " "
        for phrase, scope, language in book.phrases:
            start = padded.find(" " + phrase + " ")
            while start != -1:
                after = padded[start + len(phrase) + 2 :].split()
                if not _qualified(after, book.qualifiers[language]):
                    found = OptOutRequest(scope, phrase, language, "phrase")
                    if best is None or (scope.rank, len(phrase)) > (best.scope.rank, len(best.phrase)):
                        best = found
                    break
                start = padded.find(" " + phrase + " ", start + 1)
    return best


def _qualified(after: list[str], qualifiers: tuple[tuple[str, ...], ...]) -> bool:
    for offset in range(min(_QUALIFIER_REACH, len(after))):
        for qualifier in qualifiers:
            if tuple(after[offset : offset + len(qualifier)]) == qualifier:
                return True
    return False


@cache
def _phrase_book() -> _PhraseBook:
    with PHRASES_FILE.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    payloads = {str(k).upper(): OptOutScope(v) for k, v in data["payloads"].items()}
    politeness = tuple(sorted({normalise(w) for w in data["politeness"]["words"]}, key=len, reverse=True))
    keywords: dict[str, str] = {}
    phrases: list[tuple[str, OptOutScope, str]] = []
    qualifiers: dict[str, tuple[tuple[str, ...], ...]] = {}
    for language in ("es", "en", "pt", "it"):
        section = data[language]
        for keyword in section["keywords"]:
            keywords.setdefault(normalise(keyword), language)
        for scope in OptOutScope:
            phrases.extend((normalise(p), scope, language) for p in section.get(scope.value, []))
        qualifiers[language] = tuple(tuple(normalise(q).split(" ")) for q in section["qualifiers"])
    return _PhraseBook(
        version=str(data["version"]),
        payloads=payloads,
        politeness=politeness,
        keywords=keywords,
        phrases=tuple(phrases),
        qualifiers=qualifiers,
    )


def opt_out_from(request: OptOutRequest, at: datetime, source: str) -> OptOut:
    """The opt-out record a request makes, to store on a debtor."""
    return OptOut(at=at, scope=request.scope.value, source=source)
