"""Frequency caps against one debtor's contact history, in every candidate zone.

A cap is checked for a message at instant t, counting the message itself:
- rolling: earlier and later records within `window_days` of t (a record exactly that far away is free);
- calendar_day / calendar_week: records on t's local date / Monday-Sunday week, in every zone;
- min_gap: every record must be at least `min_gap_days` x 24 h away and `min_gap_days` local dates away.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cobro.domain.compliance.rules import CapCounts, CapKind, FrequencyCap
from cobro.domain.compliance.windows import local_day_start
from cobro.domain.contact import ContactRecord


class CapCounter:
    """Counts one debtor's collection messages against frequency caps."""

    __slots__ = ("_instants", "_local_dates", "_zones")

    def __init__(self, records: Sequence[ContactRecord], zones: Sequence[ZoneInfo]) -> None:
        """Index the records (already filtered to what caps count) for the given zones."""
        read = tuple(r.at for r in records if r.read_at is not None or r.status == "read")
        self._instants: dict[CapCounts, tuple[datetime, ...]] = {
            CapCounts.ALL: tuple(r.at for r in records),
            CapCounts.READ: read,
        }
        self._zones = tuple(zones)
        self._local_dates: dict[tuple[CapCounts, int], tuple[date, ...]] = {}

    def instants(self, cap: FrequencyCap) -> tuple[datetime, ...]:
        """The instants of the records this cap counts."""
        return self._instants[cap.counts]

    def count(self, cap: FrequencyCap, at: datetime) -> int:
        """How many counted records conflict with a message at `at` (the most in any zone)."""
        instants = self._instants[cap.counts]
        if not instants:
            return 0
        kind = cap.kind
        if kind is CapKind.ROLLING:
            width = timedelta(days=cap.window_days)
            return sum(1 for r in instants if abs(r - at) < width)
        if kind is CapKind.MIN_GAP:
            gap = timedelta(days=cap.min_gap_days)
            close = {i for i, r in enumerate(instants) if abs(r - at) < gap}
            for z, zone in enumerate(self._zones):
                today = at.astimezone(zone).date()
                dates = self._dates(cap.counts, z)
                close.update(i for i, d in enumerate(dates) if abs((d - today).days) < cap.min_gap_days)
            return len(close)
        most = 0
        for z, zone in enumerate(self._zones):
            today = at.astimezone(zone).date()
            dates = self._dates(cap.counts, z)
            if kind is CapKind.CALENDAR_DAY:
                n = sum(1 for d in dates if d == today)
            else:
                monday = today - timedelta(days=today.weekday())
                n = sum(1 for d in dates if 0 <= (d - monday).days < 7)
            most = max(most, n)
        return most

    def allows(self, cap: FrequencyCap, at: datetime) -> bool:
        """True when a message at `at` keeps within the cap."""
        return keeps_within(cap, self.count(cap, at))

    def releases(self, cap: FrequencyCap, after: datetime) -> list[datetime]:
        """Instants after `after` at which the cap may stop blocking: every period boundary past a record."""
        instants = self._instants[cap.counts]
        kind = cap.kind
        out: list[datetime] = []
        if kind is CapKind.ROLLING:
            out = [r + timedelta(days=cap.window_days) for r in instants]
        elif kind is CapKind.MIN_GAP:
            out = [r + timedelta(days=cap.min_gap_days) for r in instants]
        for z, zone in enumerate(self._zones):
            if kind is CapKind.ROLLING:
                break
            for d in set(self._dates(cap.counts, z)):
                if kind is CapKind.CALENDAR_DAY:
                    boundary = d + timedelta(days=1)
                elif kind is CapKind.CALENDAR_WEEK:
                    boundary = d + timedelta(days=7 - d.weekday())
                else:
                    boundary = d + timedelta(days=cap.min_gap_days)
                out.append(local_day_start(boundary, zone))
        return [t for t in out if t > after]

    def _dates(self, counts: CapCounts, zone_index: int) -> tuple[date, ...]:
        """The local dates of the counted records in one zone (computed once)."""
        key = (counts, zone_index)
        dates = self._local_dates.get(key)
        if dates is None:
            zone = self._zones[zone_index]
            dates = tuple(r.astimezone(zone).date() for r in self._instants[counts])
            self._local_dates[key] = dates
        return dates


def keeps_within(cap: FrequencyCap, conflicting: int) -> bool:
    """True when one more message keeps within the cap, given the count of conflicting records."""
    return conflicting == 0 if cap.kind is CapKind.MIN_GAP else conflicting < cap.max_messages


def first_release(
    counter: CapCounter, caps: Sequence[FrequencyCap], at: datetime
) -> tuple[datetime, list[str]]:
    """The earliest instant >= `at` at which every cap allows a message, and the caps that pushed it."""
    failing = [cap for cap in caps if not counter.allows(cap, at)]
    if not failing:
        return at, []
    pushed = {cap.rule_id for cap in failing}
    candidates = sorted({t for cap in caps for t in counter.releases(cap, at)})
    for candidate in candidates:
        still = [cap for cap in caps if not counter.allows(cap, candidate)]
        if not still:
            return candidate, sorted(pushed)
        pushed.update(cap.rule_id for cap in still)
    # Past every boundary no record conflicts any more; unreachable with well-formed caps.
    raise AssertionError("frequency caps never release")  # pragma: no cover
