"""The rule table as data: each jurisdiction's contact windows, caps, third-party and content rules.

A `RuleBook` holds rows per jurisdiction code ("CO", "US-MA"), each with an `effective_from` date, and the
strict default. `RuleBook.rules_for` resolves one debtor's rules on one day: the region row overlays its
country row, and every part that is missing or rests on weak evidence (confidence L or GAP) falls back to
the strict default, so a gap in our research can only make Cobro stricter.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar

DEFAULT_CODE = "default"
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SECONDS_PER_DAY = 86_400


class Confidence(enum.StrEnum):
    """How sure we are of a rule: H primary text seen, M consistent secondary sources, L weak, GAP none."""

    HIGH = "H"
    MEDIUM = "M"
    LOW = "L"
    GAP = "GAP"

    @property
    def is_reliable(self) -> bool:
        """True for H and M: the rule is applied as written; L and GAP fall back to the strict default."""
        return self in (Confidence.HIGH, Confidence.MEDIUM)


class CapKind(enum.StrEnum):
    """How a frequency cap measures its period."""

    ROLLING = "rolling"  # at most max_messages in any window_days-long period
    CALENDAR_DAY = "calendar_day"  # at most max_messages per local calendar day
    CALENDAR_WEEK = "calendar_week"  # at most max_messages per local Monday-Sunday week
    MIN_GAP = "min_gap"  # at least min_gap_days between two messages (48 h and two local dates for 2)


class CapCounts(enum.StrEnum):
    """Which earlier messages a cap counts."""

    ALL = "all"  # every collection message (ContactHistory.collection_messages)
    READ = "read"  # only those the debtor read: "once reached" readings


class TimeBarredPolicy(enum.StrEnum):
    """What a jurisdiction asks once a debt is past its limitation period."""

    NO_CONTACT = "no_contact"
    DISCLOSE = "disclose"


class ContentMoment(enum.StrEnum):
    """When a required content item must be in the message."""

    ALWAYS = "always"
    FIRST_CONTACT = "first_contact"


@dataclass(frozen=True, slots=True)
class Rule:
    """Where a rule comes from: its id, citation, the date it took effect, and our confidence."""

    rule_id: str
    citation: str
    effective: date
    confidence: Confidence
    note: str = ""


Window = tuple[int, int]  # seconds after local midnight: [start, end), end at most 86,400


@dataclass(frozen=True, slots=True)
class ContactHours:
    """Allowed local contact windows per weekday (Monday first); an empty tuple closes the day."""

    rule: Rule
    windows: tuple[tuple[Window, ...], ...]
    _description: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_description", self._compose())

    def describe(self) -> str:
        """The windows as a sentence: 'Monday-Friday 07:00-19:00, Saturday 08:00-15:00, never Sunday'."""
        return self._description

    def _compose(self) -> str:
        parts: list[str] = []
        closed: list[str] = []
        day = 0
        while day < 7:
            last = day
            while last + 1 < 7 and self.windows[last + 1] == self.windows[day]:
                last += 1
            span = WEEKDAY_NAMES[day] if last == day else f"{WEEKDAY_NAMES[day]}-{WEEKDAY_NAMES[last]}"
            if self.windows[day]:
                times = " and ".join(f"{_clock(s)}-{_clock(e)}" for s, e in self.windows[day])
                parts.append("every day " + times if (day, last) == (0, 6) else f"{span} {times}")
            else:
                closed.append(span)
            day = last + 1
        text = ", ".join(parts) if parts else "no contact on any day"
        return text + (f", never {' or '.join(closed)}" if closed else "")


@dataclass(frozen=True, slots=True)
class HolidayRule:
    """Whether public holidays of the debtor's country and region are closed for contact."""

    rule: Rule
    closed: bool


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    """One limit on how often the debtor may receive collection messages."""

    rule: Rule
    kind: CapKind
    max_messages: int = 1
    window_days: int = 7
    min_gap_days: int = 0
    counts: CapCounts = CapCounts.ALL

    @property
    def rule_id(self) -> str:
        """The cap's rule id, e.g. 'cl.frequency.2_per_week'."""
        return self.rule.rule_id

    def describe(self) -> str:
        """The cap as a phrase: 'at most 2 messages in any 7 days'."""
        noun = "message" if self.max_messages == 1 else "messages"
        counted = " read by the debtor" if self.counts is CapCounts.READ else ""
        if self.kind is CapKind.ROLLING:
            return f"at most {self.max_messages} {noun}{counted} in any {self.window_days} days"
        if self.kind is CapKind.CALENDAR_DAY:
            return f"at most {self.max_messages} {noun}{counted} per local calendar day"
        if self.kind is CapKind.CALENDAR_WEEK:
            return f"at most {self.max_messages} {noun}{counted} per Monday-Sunday week"
        return f"at least {self.min_gap_days} days between two messages{counted}"


@dataclass(frozen=True, slots=True)
class RightPartyRule:
    """Whether the debtor must confirm being the person addressed before any message mentions the debt."""

    rule: Rule
    required: bool


@dataclass(frozen=True, slots=True)
class LimitationRule:
    """The limitation period and what to do once the debt is time-barred."""

    rule: Rule
    years: int
    policy: TimeBarredPolicy
    disclosures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContentRule:
    """Content a collection message must carry (the rule id names the content, e.g. 'uk.debt_advice')."""

    rule: Rule
    moment: ContentMoment = ContentMoment.ALWAYS


@dataclass(frozen=True, slots=True)
class JurisdictionRow:
    """One row of the table as written: any part may be missing (None: not stated for this place)."""

    code: str
    name: str
    effective_from: date
    hours: ContactHours | None = None
    holidays: HolidayRule | None = None
    caps: tuple[FrequencyCap, ...] = ()
    right_party: RightPartyRule | None = None
    limitation: LimitationRule | None = None
    content: tuple[ContentRule, ...] = ()


@dataclass(frozen=True, slots=True)
class DefaultRules:
    """The strict default: applies to any jurisdiction with no row and to every missing or weak part."""

    hours: ContactHours
    holidays: HolidayRule
    caps: tuple[FrequencyCap, ...]
    right_party: RightPartyRule


@dataclass(frozen=True, slots=True)
class JurisdictionRules:
    """The complete rules for one debtor's jurisdiction on one day, every part resolved."""

    code: str  # "US-MA", "CO", or "default" when the country has no row
    name: str  # "Massachusetts (United States)", "Colombia", "Cobro's strict default"
    effective_from: date  # the earliest day these resolved rules apply
    valid_until: date | None  # the first day a later row replaces them; None: no later row
    hours: ContactHours
    holidays: HolidayRule
    caps: tuple[FrequencyCap, ...]
    right_party: RightPartyRule
    limitation: LimitationRule | None
    content: tuple[ContentRule, ...]
    defaulted: tuple[str, ...] = ()  # parts that fell back to the strict default: "hours", "caps", ...
    key: str = field(default="", compare=False)  # identifies this resolution in caches


class RuleBook:
    """A versioned rule table: rows per jurisdiction code, and the strict default."""

    def __init__(self, version: str, default: DefaultRules, rows: tuple[JurisdictionRow, ...]) -> None:
        """Index the rows by code, oldest first."""
        self.version = version
        self.default = default
        by_code: dict[str, list[JurisdictionRow]] = {}
        for row in rows:
            by_code.setdefault(row.code, []).append(row)
        self._rows = {code: tuple(sorted(rs, key=lambda r: r.effective_from)) for code, rs in by_code.items()}
        self._cache: dict[tuple[str, str | None, date], JurisdictionRules] = {}

    @property
    def codes(self) -> tuple[str, ...]:
        """Every jurisdiction code with at least one row."""
        return tuple(sorted(self._rows))

    def rows(self, code: str) -> tuple[JurisdictionRow, ...]:
        """The rows of one jurisdiction, oldest first (empty when it has none)."""
        return self._rows.get(code, ())

    def rules_for(self, country: str, region: str | None, on: date) -> JurisdictionRules:
        """The rules that apply on `on` (a local date) to a debtor in `country` and `region`."""
        cache_key = (country, region, on)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        country = country.upper()
        region_code = f"{country}-{region.upper()}" if region else None
        country_row, country_next = self._row_on(country, on)
        region_row, region_next = self._row_on(region_code, on) if region_code else (None, None)
        resolved = self._resolve(country_row, region_row, _earliest(country_next, region_next))
        if len(self._cache) > 65_536:
            self._cache.clear()
        self._cache[cache_key] = resolved
        return resolved

    def _row_on(self, code: str, on: date) -> tuple[JurisdictionRow | None, date | None]:
        """The row in force on `on` and the date the next one starts."""
        current: JurisdictionRow | None = None
        for row in self._rows.get(code, ()):
            if row.effective_from > on:
                return current, row.effective_from
            current = row
        return current, None

    def _resolve(
        self,
        country_row: JurisdictionRow | None,
        region_row: JurisdictionRow | None,
        valid_until: date | None,
    ) -> JurisdictionRules:
        """Overlay the region row on the country row and fill every gap from the strict default."""
        default = self.default
        layers = [row for row in (country_row, region_row) if row is not None]
        top = layers[-1] if layers else None
        defaulted: list[str] = []
        newest_first = layers[::-1]
        hours = _pick([r.hours for r in newest_first], default.hours, "hours", defaulted)
        holidays = _pick([r.holidays for r in newest_first], default.holidays, "holidays", defaulted)
        right_party = _pick(
            [r.right_party for r in newest_first], default.right_party, "right_party", defaulted
        )
        caps = _merge_by_id(cap for row in layers for cap in row.caps if cap.rule.confidence.is_reliable)
        if not caps:
            caps = default.caps
            defaulted.append("caps")
        elif not any(cap.kind is CapKind.CALENDAR_DAY for cap in caps):
            # Cobro's own floor: never more than one collection message a day, whatever the law allows.
            caps = caps + tuple(c for c in default.caps if c.kind is CapKind.CALENDAR_DAY)
        # A limitation rule and required content only ever add care, so weak evidence still applies them.
        limitation = next((r.limitation for r in reversed(layers) if r.limitation is not None), None)
        content = _merge_by_id(item for row in layers for item in row.content)
        starts = [row.effective_from for row in layers]
        effective_from = max(starts) if starts else date.min
        code = top.code if top else DEFAULT_CODE
        if region_row is not None and country_row is not None:
            name = f"{region_row.name} ({country_row.name})"
        else:
            name = top.name if top else "Cobro's strict default"
        return JurisdictionRules(
            code=code,
            name=name,
            effective_from=effective_from,
            valid_until=valid_until,
            hours=hours,
            holidays=holidays,
            caps=caps,
            right_party=right_party,
            limitation=limitation,
            content=content,
            defaulted=tuple(defaulted),
            key=f"{self.version}|{code}|{'/'.join(str(s) for s in starts)}",
        )


class _HasRule(Protocol):
    @property
    def rule(self) -> Rule: ...


_Part = TypeVar("_Part", bound=_HasRule)


def _pick(parts: list[_Part | None], fallback: _Part, name: str, defaulted: list[str]) -> _Part:
    """The newest stated part if its evidence is reliable, else the strict default (noted in `defaulted`)."""
    for part in parts:
        if part is not None:
            if part.rule.confidence.is_reliable:
                return part
            break
    defaulted.append(name)
    return fallback


def _merge_by_id(items: Iterable[_Part]) -> tuple[_Part, ...]:
    """Items in order, a later one with the same rule id replacing the earlier."""
    merged: dict[str, _Part] = {}
    for item in items:
        merged[item.rule.rule_id] = item
    return tuple(merged.values())


def _earliest(*days: date | None) -> date | None:
    """The earliest of the given dates, ignoring None."""
    present = [d for d in days if d is not None]
    return min(present) if present else None


def _clock(seconds: int) -> str:
    """Seconds after midnight as HH:MM (24:00 for the end of the day)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
