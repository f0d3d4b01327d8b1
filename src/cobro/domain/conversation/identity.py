"""Identity before disclosure: the account number's shape and the second factor, compared deterministically.

A name matches after accents, case, punctuation and spaces are normalised, and in any word order ("lopez
maria" is "María López"); a date of birth must be the same date; the last digits of a national id must be
exactly those digits. Nothing fuzzy: a near miss is a failure.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")


class SecondFactor(enum.StrEnum):
    """What the creditor asks after the account number."""

    NAME = "name"  # the account holder's full name
    BIRTH_DATE = "birth_date"
    NATIONAL_ID = "national_id"  # the last digits of the national id


@dataclass(frozen=True, slots=True)
class HolderFacts:
    """What the ledger knows of the account holder, to compare against."""

    name: str
    birth_date: date | None
    national_id: str | None


def normalise_reference(text: str) -> str:
    """Letters and digits only, upper case: "acme-0001", "ACME 0001" and "ACME0001" are one reference."""
    return _NOT_ALNUM.sub("", text).upper()


def normalise_name(text: str) -> str:
    """Lower case, accents removed, punctuation dropped, words sorted and single-spaced."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = re.sub(r"[^a-z0-9ñ ]+", " ", plain.replace("ñ", "n")).split()
    return " ".join(sorted(words))


def account_shape_ok(text: str, pattern: str) -> bool:
    """True when the normalised account number has the creditor's shape (a regular expression)."""
    return re.fullmatch(pattern, normalise_reference(text)) is not None


def second_factor_matches(
    factor: SecondFactor, answer: str, facts: HolderFacts, *, birth_date: date | None = None, digits: int = 4
) -> bool:
    """True when `answer` proves the factor. `birth_date` is the date read from the answer (by the caller's
    date reader); the national id compares its last `digits` digits with the digits written."""
    if factor is SecondFactor.NAME:
        given = normalise_name(answer)
        return bool(given) and given == normalise_name(facts.name)
    if factor is SecondFactor.BIRTH_DATE:
        return facts.birth_date is not None and birth_date == facts.birth_date
    written = "".join(c for c in answer if c.isdigit())
    stored = "".join(c for c in (facts.national_id or "") if c.isdigit())
    return len(stored) >= digits and len(written) == digits and stored[-digits:] == written
