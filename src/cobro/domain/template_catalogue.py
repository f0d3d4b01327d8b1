"""The message template catalogue: every WhatsApp template Cobro uses, in every language, read from TOML.

Standard library only. The catalogue lives in `src/cobro/templates/catalogue.toml`; each entry says which
value each positional variable `{{1}}`, `{{2}}`... holds, from a fixed vocabulary (ParameterKind), so the
send pipeline can fill them from the ledger without knowing the wording. Loading checks what Meta's review
would refuse (variables at the start or end of the body, adjacent variables, numbering, button limits), so
a broken catalogue fails at load, not at review.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cobro.domain.contact import MessageKind
from cobro.domain.errors import InvalidInput

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "templates" / "catalogue.toml"
LANGUAGES = ("es", "en", "pt_BR", "it")  # the template language codes of the catalogue
CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
MAX_QUICK_REPLIES = 10
MAX_BUTTON_LABEL = 25
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BODY = 1024
OPT_OUT_PAYLOAD = "OPT_OUT"
# Cobro's own statuses beside Meta's (PENDING, APPROVED, REJECTED, PAUSED, DISABLED, ...).
APPROVED = "APPROVED"
PENDING = "PENDING"
LINT_BLOCKED = "LINT_BLOCKED"  # never submitted: the wording linter stopped it
SUBMISSION_REFUSED = "SUBMISSION_REFUSED"  # Meta refused the create call itself (no review happened)

_VARIABLE = re.compile(r"\{\{([^{}]*)\}\}")
_ADJACENT = re.compile(r"\}\}\s*\{\{")


class ParameterKind(enum.StrEnum):
    """What a template variable holds; the send pipeline fills each from the ledger."""

    DEBTOR_NAME = "debtor_name"
    CREDITOR_NAME = "creditor_name"
    # The amount the message is about (the outstanding amount; an instalment's in an instalment reminder): a
    # currency parameter, its text formatted in the debtor's locale. So are the two amounts of a receipt.
    AMOUNT = "amount"
    INVOICE_REFERENCE = "invoice_reference"
    DUE_DATE = "due_date"  # formatted in the debtor's locale
    PAYMENT_LINK = "payment_link"
    DAYS_OVERDUE = "days_overdue"
    PAID_AMOUNT = "paid_amount"  # a receipt: the payment received
    REMAINING_AMOUNT = "remaining_amount"  # a receipt: what is still open after it
    PROMISE_DATE = "promise_date"  # the date the debtor promised to pay, formatted like due_date


# The catalogue's `kind` values and how the send pipeline and the gate treat each. "service" is a template
# about the debtor's own request or payment (a receipt, a person's follow-up): it goes out as a service
# message, which outside the 24-hour window the gate checks like any business-initiated message.
TEMPLATE_KINDS: dict[str, MessageKind] = {
    "collection": MessageKind.COLLECTION,
    "right_party_check": MessageKind.RIGHT_PARTY_CHECK,
    "opt_out_confirmation": MessageKind.OPT_OUT_CONFIRMATION,
    "service": MessageKind.SERVICE_REPLY,
}


# What every collection template must tell the debtor: who, how much, which invoice, when, where to pay.
COLLECTION_PARAMETERS = frozenset(
    {
        ParameterKind.DEBTOR_NAME,
        ParameterKind.AMOUNT,
        ParameterKind.INVOICE_REFERENCE,
        ParameterKind.DUE_DATE,
        ParameterKind.PAYMENT_LINK,
    }
)


class CatalogueError(InvalidInput):
    """The catalogue file is malformed; the message names the entry and what to fix."""


@dataclass(frozen=True, slots=True)
class TemplateButton:
    """A quick-reply button: the label the debtor sees and the payload Cobro sends with the template."""

    payload: str
    label: str
    type: str = "QUICK_REPLY"


@dataclass(frozen=True, slots=True)
class TemplateEntry:
    """One template in one language, as submitted to Meta and filled in at send time."""

    name: str
    language: str
    category: str
    kind: MessageKind
    body: str
    parameters: tuple[ParameterKind, ...]  # what {{1}}, {{2}}, ... hold, in order
    examples: tuple[str, ...]  # one example value per variable, for Meta's review
    header: str | None = None
    footer: str | None = None
    buttons: tuple[TemplateButton, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """(name, language): what identifies a template version on a WhatsApp Business Account."""
        return (self.name, self.language)

    def texts(self) -> tuple[tuple[str, str], ...]:
        """Every text the debtor reads, with where it is: header, body, footer, each button label."""
        found = [("header", self.header), ("body", self.body), ("footer", self.footer)]
        found.extend((f"button {i} ({b.payload})", b.label) for i, b in enumerate(self.buttons))
        return tuple((where, text) for where, text in found if text)

    def content_hash(self) -> str:
        """SHA-256 of what is submitted (category, texts, examples, buttons): equal hashes, same template."""
        content = {
            "category": self.category,
            "header": self.header,
            "body": self.body,
            "footer": self.footer,
            "examples": list(self.examples),
            "buttons": [[b.type, b.label] for b in self.buttons],
        }
        encoded = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """A template's status on one WhatsApp Business Account as Cobro last recorded it."""

    waba_id: str
    name: str
    language: str
    category: str
    status: str
    content_hash: str
    updated_at: datetime
    template_id: str | None = None
    reason: str | None = None


@cache  # per account in every planning run
def template_language(language: str) -> str:
    """The catalogue's template language for a debtor's ISO 639-1 language: 'pt' -> 'pt_BR', 'es' -> 'es'."""
    code = language.replace("-", "_")
    if code in LANGUAGES:
        return code
    base = code.split("_")[0].lower()
    return next((lang for lang in LANGUAGES if lang.split("_")[0] == base), code)


def variables_in(text: str) -> list[str]:
    """The variable names of a text in order of appearance, repeats included: '{{1}} y {{2}}' -> ['1', '2']."""
    return _VARIABLE.findall(text)


def entry_problems(entry: TemplateEntry) -> list[str]:
    """What Meta (or Cobro's own rules) would refuse in this entry; empty when it is fine."""
    problems: list[str] = []
    body = entry.body.strip()
    found = variables_in(body)
    if body.startswith("{{"):
        problems.append("the body starts with a variable: put words before it")
    if body.endswith("}}"):
        problems.append("the body ends with a variable: put words after it")
    if _ADJACENT.search(body):
        problems.append("the body has two variables side by side: put words between them")
    distinct = list(dict.fromkeys(found))
    if sorted(distinct, key=lambda n: int(n) if n.isdigit() else 0) != [
        str(i) for i in range(1, len(distinct) + 1)
    ]:
        problems.append(f"the body's variables {distinct} must be {{{{1}}}}..{{{{n}}}} without gaps")
    if len(distinct) != len(entry.parameters):
        problems.append(f"the body has {len(distinct)} variables but {len(entry.parameters)} parameters")
    if len(entry.examples) != len(entry.parameters):
        problems.append(f"{len(entry.examples)} examples for {len(entry.parameters)} parameters")
    if len(body) > MAX_BODY:
        problems.append(f"the body has {len(body)} characters; Meta allows {MAX_BODY}")
    for where, text, most in (("header", entry.header, MAX_HEADER), ("footer", entry.footer, MAX_FOOTER)):
        if text is not None and (len(text) > most or variables_in(text)):
            problems.append(f"the {where} must be at most {most} characters and hold no variables")
    if len(entry.buttons) > MAX_QUICK_REPLIES:
        problems.append(f"{len(entry.buttons)} buttons; at most {MAX_QUICK_REPLIES} quick replies")
    for button in entry.buttons:
        if (
            button.type != "QUICK_REPLY"
            or not button.payload
            or not 0 < len(button.label) <= MAX_BUTTON_LABEL
        ):
            problems.append(
                f"button {button.payload!r}: a QUICK_REPLY with a payload and a label of 1-{MAX_BUTTON_LABEL} "
                "characters"
            )
    if len({b.payload for b in entry.buttons}) != len(entry.buttons):
        problems.append("button payloads repeat")
    if entry.category not in CATEGORIES:
        problems.append(f"category {entry.category!r} is not one of {', '.join(CATEGORIES)}")
    if entry.kind is MessageKind.COLLECTION:
        missing = sorted(COLLECTION_PARAMETERS - set(entry.parameters))
        if missing:
            problems.append(f"a collection template must carry {', '.join(missing)}")
        if OPT_OUT_PAYLOAD not in {b.payload for b in entry.buttons}:
            problems.append(f"a collection template must offer the {OPT_OUT_PAYLOAD} quick reply")
    return problems


def load_catalogue(path: Path = CATALOGUE_FILE) -> tuple[TemplateEntry, ...]:
    """Reads and checks a catalogue file; raises CatalogueError naming the entry and what to fix."""
    if path == CATALOGUE_FILE:
        return _default_catalogue()
    return _read(path)


def find_entry(catalogue: tuple[TemplateEntry, ...], name: str, language: str) -> TemplateEntry | None:
    """The entry with this name and template language, or None."""
    return next((e for e in catalogue if e.name == name and e.language == language), None)


@cache
def _default_catalogue() -> tuple[TemplateEntry, ...]:
    return _read(CATALOGUE_FILE)


def _read(path: Path) -> tuple[TemplateEntry, ...]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path.name}: {exc}") from exc
    examples = raw.get("examples", {})
    entries: list[TemplateEntry] = []
    for index, spec in enumerate(raw.get("template", [])):
        label = f"{path.name}: template #{index + 1} ({spec.get('name', '?')} {spec.get('language', '?')})"
        try:
            entry = _entry(spec, examples)
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueError(f"{label}: {exc!r}") from exc
        problems = entry_problems(entry)
        if problems:
            raise CatalogueError(f"{label}: {'; '.join(problems)}")
        entries.append(entry)
    keys = [e.key for e in entries]
    if len(set(keys)) != len(keys):
        raise CatalogueError(f"{path.name}: a (name, language) pair appears twice")
    return tuple(entries)


def _entry(spec: dict[str, Any], examples: dict[str, dict[str, str]]) -> TemplateEntry:
    language = spec["language"]
    parameters = tuple(ParameterKind(p) for p in spec["parameters"])
    given = spec.get("examples")
    values = tuple(given) if given is not None else tuple(examples[language][p.value] for p in parameters)
    buttons = tuple(
        TemplateButton(payload=b["payload"], label=b["label"], type=b.get("type", "QUICK_REPLY"))
        for b in spec.get("buttons", [])
    )
    return TemplateEntry(
        name=spec["name"],
        language=language,
        category=spec["category"],
        kind=_kind(spec["kind"]),
        body=spec["body"],
        parameters=parameters,
        examples=values,
        header=spec.get("header"),
        footer=spec.get("footer"),
        buttons=buttons,
    )


def _kind(value: str) -> MessageKind:
    if value not in TEMPLATE_KINDS:
        raise ValueError(f"kind {value!r} is not one of {', '.join(TEMPLATE_KINDS)}")
    return TEMPLATE_KINDS[value]
