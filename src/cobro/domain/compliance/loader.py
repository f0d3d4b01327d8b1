"""Read and check the rule table (jurisdictions.toml) into a RuleBook."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from cobro.domain.compliance.rules import (
    CapCounts,
    CapKind,
    Confidence,
    ContactHours,
    ContentMoment,
    ContentRule,
    DefaultRules,
    FrequencyCap,
    HolidayRule,
    JurisdictionRow,
    LimitationRule,
    RightPartyRule,
    Rule,
    RuleBook,
    TimeBarredPolicy,
    Window,
)
from cobro.domain.errors import InvalidInput

PACKAGED_TABLE = Path(__file__).with_name("jurisdictions.toml")
_DAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RULE_KEYS = {"id", "citation", "effective", "confidence", "note"}
_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
_RULE_ID = re.compile(r"^[a-z0-9-]+(\.[a-z0-9_-]+)+$")
_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class RuleTableError(InvalidInput):
    """The rule table is malformed; the message names the row and the field to fix."""


def load_rule_book(path: Path | None = None) -> RuleBook:
    """The rule book from `path`, or from the packaged jurisdictions.toml (read once and cached)."""
    if path is None:
        return _packaged_rule_book()
    return _load(path)


@lru_cache(maxsize=1)
def _packaged_rule_book() -> RuleBook:
    """The packaged table, parsed once per process."""
    return _load(PACKAGED_TABLE)


def _load(path: Path) -> RuleBook:
    """Parse and check one table file."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise RuleTableError(f"{path.name}: cannot read the rule table: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise RuleTableError(f"{path.name}: not valid TOML: {error}") from error
    return parse_rule_table(data, source=path.name)


def parse_rule_table(data: dict[str, Any], source: str = "jurisdictions.toml") -> RuleBook:
    """A RuleBook from the table's parsed TOML, or a RuleTableError naming the row and field."""
    top = _Section(source, "table", data)
    top.only({"version", "default", "jurisdiction"})
    version = top.text("version")
    default = _parse_default(_Section(source, "row 'default'", top.table("default")))
    rows: list[JurisdictionRow] = []
    seen: set[tuple[str, date]] = set()
    raw_rows = data.get("jurisdiction", [])
    if not isinstance(raw_rows, list):
        raise RuleTableError(f"{source}: 'jurisdiction' must be an array of tables ([[jurisdiction]])")
    for index, raw in enumerate(raw_rows):
        label = f"row {index + 1}"
        if isinstance(raw, dict) and isinstance(raw.get("code"), str):
            label = f"row '{raw['code']}'"
            if isinstance(raw.get("effective_from"), date):
                label += f" (effective {raw['effective_from']})"
        row = _parse_row(_Section(source, label, raw))
        if (row.code, row.effective_from) in seen:
            raise RuleTableError(
                f"{source}: {label}: a second row for {row.code} with the same effective_from"
            )
        seen.add((row.code, row.effective_from))
        rows.append(row)
    return RuleBook(version=version, default=default, rows=tuple(rows))


class _Section:
    """One TOML table with typed getters whose errors name the source, row and field."""

    def __init__(self, source: str, row: str, data: object, path: str = "") -> None:
        if not isinstance(data, dict):
            where = f"field '{path}'" if path else "the row"
            raise RuleTableError(f"{source}: {row}: {where} must be a table")
        self.source, self.row, self.data, self.path = source, row, data, path

    def fail(self, key: str, problem: str) -> RuleTableError:
        """An error naming the field `key` of this section."""
        field = f"{self.path}.{key}" if self.path else key
        return RuleTableError(f"{self.source}: {self.row}: field '{field}' {problem}")

    def only(self, allowed: set[str]) -> None:
        """Refuse keys outside `allowed`: a typo must not silently drop a rule."""
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"is not a known field (expected one of {', '.join(sorted(allowed))})")

    def sub(self, key: str) -> _Section:
        """A nested table."""
        return _Section(self.source, self.row, self.table(key), f"{self.path}.{key}" if self.path else key)

    def has(self, key: str) -> bool:
        """True when the key is present."""
        return key in self.data

    def table(self, key: str) -> dict[str, Any]:
        """A required nested table."""
        value = self.data.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "is missing or not a table")
        return value

    def tables(self, key: str) -> list[_Section]:
        """An optional array of tables."""
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "must be an array of tables")
        prefix = f"{self.path}.{key}" if self.path else key
        return [_Section(self.source, self.row, item, f"{prefix}[{i}]") for i, item in enumerate(value)]

    def text(self, key: str, default: str | None = None) -> str:
        """A required (or defaulted) non-empty string."""
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def day(self, key: str) -> date:
        """A required TOML date (YYYY-MM-DD, unquoted)."""
        value = self.data.get(key)
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise self.fail(key, "must be a date written YYYY-MM-DD without quotes")
        return value

    def integer(self, key: str, default: int | None = None, minimum: int = 1) -> int:
        """A required (or defaulted) integer of at least `minimum`."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be an integer of at least {minimum}")
        return value

    def flag(self, key: str) -> bool:
        """A required boolean."""
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """An optional list of strings."""
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of non-empty strings")
        return tuple(value)

    def choice(self, key: str, options: type[Any], default: str | None = None) -> Any:
        """A value of the StrEnum `options`."""
        value = self.data.get(key, default)
        try:
            return options(value)
        except ValueError:
            allowed = ", ".join(repr(o.value) for o in options)
            raise self.fail(key, f"is {value!r}; expected one of {allowed}") from None


def _parse_rule(section: _Section) -> Rule:
    """The provenance fields every rule carries."""
    rule_id = section.text("id")
    if not _RULE_ID.match(rule_id):
        raise section.fail("id", f"is {rule_id!r}; expected lower-case dotted words like 'co.hours'")
    return Rule(
        rule_id=rule_id,
        citation=section.text("citation"),
        effective=section.day("effective"),
        confidence=section.choice("confidence", Confidence),
        note=section.data.get("note", "") if isinstance(section.data.get("note", ""), str) else "",
    )


def _parse_hours(section: _Section) -> ContactHours:
    """Windows per weekday; a weekday not listed is closed."""
    section.only(_RULE_KEYS | set(_DAY_KEYS))
    rule = _parse_rule(section)
    days: list[tuple[Window, ...]] = []
    for key in _DAY_KEYS:
        windows: list[Window] = []
        for text in section.strings(key):
            match = _WINDOW.match(text)
            if not match:
                raise section.fail(key, f"has {text!r}; expected 'HH:MM-HH:MM'")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
            if h1 > 23 or m1 > 59 or m2 > 59 or end > 86_400 or start >= end:
                raise section.fail(key, f"has {text!r}: start must be before end, within 00:00-24:00")
            if windows and start < windows[-1][1]:
                raise section.fail(key, f"has {text!r}: windows must be in order and must not overlap")
            windows.append((start, end))
        days.append(tuple(windows))
    if rule.confidence.is_reliable and not any(days):
        raise section.fail("monday", "and every other day are empty: a reliable hours rule needs a window")
    return ContactHours(rule=rule, windows=tuple(days))


def _parse_holidays(section: _Section) -> HolidayRule:
    section.only(_RULE_KEYS | {"closed"})
    return HolidayRule(rule=_parse_rule(section), closed=section.flag("closed"))


def _parse_cap(section: _Section) -> FrequencyCap:
    section.only(_RULE_KEYS | {"kind", "max_messages", "window_days", "min_gap_days", "counts"})
    kind = section.choice("kind", CapKind)
    if kind is CapKind.MIN_GAP:
        return FrequencyCap(
            rule=_parse_rule(section),
            kind=kind,
            min_gap_days=section.integer("min_gap_days"),
            counts=section.choice("counts", CapCounts, "all"),
        )
    return FrequencyCap(
        rule=_parse_rule(section),
        kind=kind,
        max_messages=section.integer("max_messages"),
        window_days=section.integer("window_days") if kind is CapKind.ROLLING else 7,
        counts=section.choice("counts", CapCounts, "all"),
    )


def _parse_right_party(section: _Section) -> RightPartyRule:
    section.only(_RULE_KEYS | {"required"})
    return RightPartyRule(rule=_parse_rule(section), required=section.flag("required"))


def _parse_limitation(section: _Section) -> LimitationRule:
    section.only(_RULE_KEYS | {"years", "policy", "disclosures"})
    policy = section.choice("policy", TimeBarredPolicy)
    disclosures = section.strings("disclosures")
    if policy is TimeBarredPolicy.DISCLOSE and not disclosures:
        raise section.fail("disclosures", "must name at least one disclosure id when policy is 'disclose'")
    return LimitationRule(
        rule=_parse_rule(section), years=section.integer("years"), policy=policy, disclosures=disclosures
    )


def _parse_content(section: _Section) -> ContentRule:
    section.only(_RULE_KEYS | {"moment"})
    return ContentRule(rule=_parse_rule(section), moment=section.choice("moment", ContentMoment, "always"))


def _parse_default(section: _Section) -> DefaultRules:
    """The strict default: every part required, every part reliable."""
    section.only({"name", "hours", "holidays", "caps", "right_party"})
    caps = tuple(_parse_cap(c) for c in section.tables("caps"))
    if not any(cap.kind is CapKind.CALENDAR_DAY for cap in caps):
        raise section.fail("caps", "must include a calendar_day cap (Cobro's one-message-a-day floor)")
    default = DefaultRules(
        hours=_parse_hours(section.sub("hours")),
        holidays=_parse_holidays(section.sub("holidays")),
        caps=caps,
        right_party=_parse_right_party(section.sub("right_party")),
    )
    for name, rule in (("hours", default.hours.rule), ("right_party", default.right_party.rule)):
        if not rule.confidence.is_reliable:
            raise section.fail(f"{name}.confidence", "must be H or M in the strict default")
    return default


def _parse_row(section: _Section) -> JurisdictionRow:
    """One jurisdiction row; every part optional."""
    section.only(
        {
            "code",
            "name",
            "effective_from",
            "hours",
            "holidays",
            "caps",
            "right_party",
            "limitation",
            "content",
        }
    )
    code = section.text("code")
    if not _CODE.match(code):
        raise section.fail("code", f"is {code!r}; expected 'CC' or 'CC-RR' (ISO 3166, upper case)")
    return JurisdictionRow(
        code=code,
        name=section.text("name"),
        effective_from=section.day("effective_from"),
        hours=_parse_hours(section.sub("hours")) if section.has("hours") else None,
        holidays=_parse_holidays(section.sub("holidays")) if section.has("holidays") else None,
        caps=tuple(_parse_cap(c) for c in section.tables("caps")),
        right_party=_parse_right_party(section.sub("right_party")) if section.has("right_party") else None,
        limitation=_parse_limitation(section.sub("limitation")) if section.has("limitation") else None,
        content=tuple(_parse_content(c) for c in section.tables("content")),
    )
