"""The bot's fixed texts: what it says inside the 24-hour window, per key and conversation language.

Standard library only. The texts live in replies.toml beside this module: one table per language (es, en,
pt, it) with the same keys, and in each key the same placeholders (Python format fields such as {amount})
whose values the caller gives already written for the person. `text` fills one in and refuses an unknown
key, a missing value or an extra one, so a wrong call fails loudly instead of sending a half-filled text.
`problems` checks what WhatsApp or the rules would refuse: keys and placeholders that differ between
languages, button titles over 20 characters, list row titles over 24, texts over 1,024.

PRE_VERIFICATION_KEYS are the texts that may be said before the person proved who they are: they mention
no debt, amount, creditor, account, invoice or payment, and hold no placeholder beyond {example}, {digits}
and {remaining}.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cobro.domain.errors import InvalidInput

REPLIES_FILE = Path(__file__).with_name("replies.toml")
LANGUAGES = ("es", "en", "pt", "it")  # conversation languages (ISO 639-1)
MAX_BUTTON_TITLE = 20  # a reply button's title, and a list's button label
MAX_ROW_TITLE = 24  # a list row's title
MAX_ROW_DESCRIPTION = 72  # a list row's description
MAX_BODY = 1024  # an interactive message's body (a plain text may be longer; the bot keeps to this)

# Keys the bot may say (or show as a label) before the person proved who they are.
PRE_VERIFICATION_KEYS: frozenset[str] = frozenset(
    {
        "greeting",
        "confirm_wrong_number",
        "button.wrong_number",
        "button.its_me",
        "menu_prompt",
        "menu_button",
        "menu.check_balance",
        "menu.pay_now",
        "menu.payment_plan",
        "menu.more_time",
        "menu.already_paid",
        "menu.talk_to_agent",
        "button.pay_now",
        "button.payment_plan",
        "button.more_time",
        "button.talk_to_agent",
        "button.yes",
        "button.change",
        "button.cancel",
        "clarify",
        "thanks_reply",
        "ask_account",
        "account_format",
        "account_not_found",
        "ask_name",
        "ask_birth_date",
        "ask_national_id",
        "verify_failed",
        "verify_locked",
        "dispute_ack",
        "hardship_ack",
        "wrong_number_ack",
        "opt_out_ack",
        "handoff",
        "handoff_unresolved",
        "system_down",
        "expired",
    }
)
# The only values a text said before verification may carry: none of them says anything about a debt.
PRE_VERIFICATION_PLACEHOLDERS = frozenset({"example", "digits", "remaining"})

# Typical long values that titles and bodies are measured with (a 12-instalment plan of $12,345.67 each).
SAMPLE_VALUES: Mapping[str, str] = {
    "count": "12",
    "instalment": "$12,345.67",
    "down": "$12,345.67",
    "amount": "$123,456.78",
    "minimum": "$12,345.67",
    "maximum": "12",
    "remaining": "3",
    "digits": "4",
    "example": "ACME-0000000-0",
    "name": "Maria Fernanda",
    "account": "ACME-0000000-0",
    "invoice": "F-2026-000001",
    "reference": "1234 5678 9012 3456",
    "link": "https://pay.example.com/r/0123456789abcdef0123456789abcdef",
}
_SAMPLE_DATE = "30 de septiembre de 2026"  # the longest month name in the four languages' long dates
_FORMATTER = string.Formatter()


def _limit(key: str) -> tuple[int, str]:
    """The most characters a key's text may have once filled, and what kind of text it is."""
    if key.startswith("button.") or key in ("menu_button", "plan_button"):
        return MAX_BUTTON_TITLE, "button title"
    if key.startswith("menu.") or key == "plan_row":
        return MAX_ROW_TITLE, "list row title"
    if key in ("plan_row_description", "plan_row_down"):
        return MAX_ROW_DESCRIPTION, "list row description"
    return MAX_BODY, "text"


def fields_of(text: str) -> list[str]:
    """The format fields of a text in order, repeats included: 'Pay {amount} by {date}' -> [amount, date].
    Raises ValueError on a malformed text (a lone brace)."""
    return [name for _, name, _, _ in _FORMATTER.parse(text) if name is not None]


def language_of(language: str) -> str:
    """The reply book's language for a conversation or template language: 'pt_BR' -> 'pt', 'es-MX' -> 'es'."""
    base = language.replace("-", "_").split("_")[0].lower()
    if base not in LANGUAGES:
        raise InvalidInput(f"no replies in language {language!r}; known: {', '.join(LANGUAGES)}")
    return base


class ReplyBook:
    """Every fixed text per language and key; build it with `load_replies()` (or from a mapping in tests)."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        self._texts = {language: dict(table) for language, table in texts.items()}

    def keys(self) -> frozenset[str]:
        """Every key of any language (`problems` reports a key a language lacks)."""
        return frozenset(key for table in self._texts.values() for key in table)

    def languages(self) -> tuple[str, ...]:
        """The languages the book holds, in file order."""
        return tuple(self._texts)

    def raw(self, language: str, key: str) -> str:
        """The text of `key` as written, placeholders unfilled."""
        table = self._texts.get(language_of(language))
        if table is None or key not in table:
            raise InvalidInput(f"no reply {key!r} in language {language!r}")
        return table[key]

    def placeholders(self, key: str) -> frozenset[str]:
        """The values `key` needs, by name (those of its first language; `problems` checks they agree)."""
        for table in self._texts.values():
            if key in table:
                return frozenset(fields_of(table[key]))
        raise InvalidInput(f"no reply {key!r}; known keys: {', '.join(sorted(self.keys()))}")

    def text(self, language: str, key: str, **values: Any) -> str:
        """The text of `key` in `language` with its placeholders filled in from `values` (exactly those)."""
        template = self.raw(language, key)
        wanted = set(fields_of(template))
        missing, extra = sorted(wanted - set(values)), sorted(set(values) - wanted)
        if missing or extra:
            said = [
                f"missing {', '.join(missing)}" if missing else "",
                f"extra {', '.join(extra)}" if extra else "",
            ]
            raise InvalidInput(f"reply {key!r} ({language}): {'; '.join(s for s in said if s)}")
        return _FORMATTER.vformat(template, (), values)

    def problems(self) -> list[str]:
        """What WhatsApp or Cobro's rules would refuse in the book, one line each; empty when it is fine."""
        found: list[str] = []
        missing_languages = [lang for lang in LANGUAGES if lang not in self._texts]
        if missing_languages:
            found.append(f"no table for {', '.join(missing_languages)}")
        unknown = [lang for lang in self._texts if lang not in LANGUAGES]
        if unknown:
            found.append(f"tables for unknown languages {', '.join(unknown)}")
        every_key = self.keys()
        for language, table in self._texts.items():
            lacking = sorted(every_key - set(table))
            if lacking:
                found.append(f"{language} lacks {', '.join(lacking)}")
        for key in sorted(every_key):
            found.extend(self._key_problems(key))
        absent = sorted(PRE_VERIFICATION_KEYS - every_key)
        if absent:
            found.append(f"pre-verification keys without a text: {', '.join(absent)}")
        return found

    def _key_problems(self, key: str) -> list[str]:
        found: list[str] = []
        shapes: dict[str, frozenset[str]] = {}
        most, what = _limit(key)
        for language, table in self._texts.items():
            if key not in table:
                continue
            text = table[key]
            try:
                names = fields_of(text)
            except ValueError as exc:
                found.append(f"{key} ({language}): {exc}")
                continue
            odd = [name for name in names if not name.isidentifier()]
            if odd or any(spec or conv for _, name, spec, conv in _FORMATTER.parse(text) if name):
                found.append(f"{key} ({language}): placeholders must be plain names like {{amount}}")
                continue
            shapes[language] = frozenset(names)
            if not text.strip():
                found.append(f"{key} ({language}) is empty")
            filled = _FORMATTER.vformat(text, (), {name: _sample(name) for name in names})
            if len(filled) > most:
                found.append(
                    f"{key} ({language}): a {what} of {len(filled)} characters once filled; at most {most}"
                )
        if len(set(shapes.values())) > 1:
            found.append(
                f"{key}: the languages differ in placeholders: "
                + "; ".join(f"{lang} {sorted(shape)}" for lang, shape in shapes.items())
            )
        if key in PRE_VERIFICATION_KEYS:
            for language, shape in shapes.items():
                beyond = sorted(shape - PRE_VERIFICATION_PLACEHOLDERS)
                if beyond:
                    found.append(f"{key} ({language}) is said before verification and carries {beyond}")
        return found


def _sample(name: str) -> str:
    if name in SAMPLE_VALUES:
        return SAMPLE_VALUES[name]
    return _SAMPLE_DATE if "date" in name or name.endswith(("_due", "_on", "_until")) else "X" * 24


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """{'menu': {'pay_now': 'Pay'}} -> {'menu.pay_now': 'Pay'}; a value that is no text is an error."""
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise InvalidInput(f"reply {key!r} must be a text, not {type(value).__name__}")
    return flat


def read_replies(path: Path) -> ReplyBook:
    """A reply book from a TOML file, unchecked (see `problems`); raises InvalidInput when it cannot be read."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"{path.name}: {exc}") from exc
    tables: dict[str, dict[str, str]] = {}
    for language, table in raw.items():
        if not isinstance(table, Mapping):
            raise InvalidInput(f"{path.name}: {language!r} must be a table of texts")
        tables[language] = _flatten(table)
    return ReplyBook(tables)


@cache
def load_replies() -> ReplyBook:
    """The packaged reply book, read and checked once; raises InvalidInput naming every problem."""
    book = read_replies(REPLIES_FILE)
    problems = book.problems()
    if problems:
        raise InvalidInput(f"{REPLIES_FILE.name}: " + "; ".join(problems))
    return book
