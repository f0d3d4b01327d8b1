"""Contact-window arithmetic in the debtor's local time: is an instant allowed, and when is the next one.

Windows are wall-clock [start, end) ranges per weekday (seconds after local midnight). With several
candidate zones an instant is allowed only when every zone allows it. Conversions between wall clock and
UTC are exact across daylight-saving changes: a window edge that falls in a skipped hour starts at the
change itself, and a repeated hour is allowed (or not) on both of its passes, as the wall clock says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from cobro.domain.compliance.rules import ContactHours

HORIZON_DAYS = 21
ClosedDay = Callable[[date], str | None]  # the holiday name when the local day is closed, else None
Interval = tuple[datetime, datetime]  # aware UTC [start, end)

_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=1024)
def zone_named(key: str) -> ZoneInfo:
    """The IANA zone `key` (raises ZoneInfoNotFoundError or ValueError when there is none)."""
    return ZoneInfo(key)


def seconds_into_day(local: datetime) -> int:
    """Whole seconds after local midnight of a wall-clock time."""
    return local.hour * 3600 + local.minute * 60 + local.second


def within_windows(local: datetime, hours: ContactHours) -> bool:
    """True when the wall-clock time `local` falls inside one of its weekday's windows."""
    second = seconds_into_day(local)
    return any(start <= second < end for start, end in hours.windows[local.weekday()])


def is_allowed(
    instant: datetime, zones: Sequence[ZoneInfo], hours: ContactHours, closed_day: ClosedDay
) -> bool:
    """True when `instant` is inside the windows, on an open day, in every zone."""
    for zone in zones:
        local = instant.astimezone(zone)
        if not within_windows(local, hours) or closed_day(local.date()) is not None:
            return False
    return True


def next_allowed(
    instant: datetime,
    zones: Sequence[ZoneInfo],
    hours: ContactHours,
    closed_day: ClosedDay,
    horizon_days: int = HORIZON_DAYS,
) -> datetime | None:
    """The first instant at or after `instant` that every zone allows, or None within the horizon."""
    intervals = allowed_intervals(instant, instant + timedelta(days=horizon_days), zones, hours, closed_day)
    return first_at_or_after(intervals, instant)


def first_at_or_after(intervals: Sequence[Interval], instant: datetime) -> datetime | None:
    """The earliest instant >= `instant` inside sorted, disjoint `intervals`, or None."""
    for start, end in intervals:
        if end > instant:
            return max(start, instant)
    return None


def allowed_intervals(
    lo: datetime, hi: datetime, zones: Sequence[ZoneInfo], hours: ContactHours, closed_day: ClosedDay
) -> list[Interval]:
    """The UTC intervals within [lo, hi) that every zone allows, sorted and disjoint."""
    lo, hi = lo.astimezone(UTC), hi.astimezone(UTC)
    result: list[Interval] | None = None
    for zone in zones:
        first = lo.astimezone(zone).date() - timedelta(days=1)
        last = hi.astimezone(zone).date() + timedelta(days=1)
        pieces: list[Interval] = []
        day = first
        while day <= last:
            if closed_day(day) is None:
                for start, end in hours.windows[day.weekday()]:
                    for s, e in wall_range_to_utc(day, start, end, zone):
                        s, e = max(s, lo), min(e, hi)
                        if s < e:
                            pieces.append((s, e))
            day += timedelta(days=1)
        pieces = _merge(pieces)
        result = pieces if result is None else _intersect(result, pieces)
    return result or []


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first UTC instant whose wall-clock date in `zone` is `day` (or a later day, if `day` was skipped)."""
    return _day_start(day, zone)


@lru_cache(maxsize=65_536)
def _day_start(day: date, zone: ZoneInfo) -> datetime:
    for _ in range(3):  # a zone may skip a whole day (Pacific/Apia, 2011-12-30)
        pieces = wall_range_to_utc(day, 0, 86_400, zone)
        if pieces:
            return pieces[0][0]
        day += timedelta(days=1)
    raise ValueError(f"{zone.key} has no wall-clock time on three days from {day}")


def wall_range_to_utc(day: date, start: int, end: int, zone: ZoneInfo) -> list[Interval]:
    """Every UTC instant whose wall clock in `zone` is on `day` between `start` and `end` seconds."""
    midnight = datetime.combine(day, time())
    wall_start, wall_end = midnight + timedelta(seconds=start), midnight + timedelta(seconds=end)
    # Offsets lie within -26 h and +26 h of wall time, so this range holds every matching instant.
    lo = (wall_start - timedelta(hours=26)).replace(tzinfo=UTC)
    hi = (wall_end + timedelta(hours=26)).replace(tzinfo=UTC)
    pieces: list[Interval] = []
    for seg_lo, seg_hi, offset in _constant_offset_segments(lo, hi, zone):
        s = max(seg_lo, (wall_start - offset).replace(tzinfo=UTC))
        e = min(seg_hi, (wall_end - offset).replace(tzinfo=UTC))
        if s < e:
            pieces.append((s, e))
    return _merge(pieces)


def _constant_offset_segments(
    lo: datetime, hi: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime, timedelta]]:
    """[lo, hi) split where the zone's UTC offset changes (found to the second).

    Samples the offset at both ends and the middle: assumes no zone changes its offset and back within a day.
    """
    off_lo = _offset(lo, zone)
    mid = lo + (hi - lo) / 2
    if off_lo == _offset(hi - _SECOND, zone) == _offset(mid, zone):
        return [(lo, hi, off_lo)]
    # Find the first second with another offset than lo's.
    a, b = lo, hi - _SECOND
    if _offset(mid, zone) != off_lo:
        b = mid
    while b - a > _SECOND:
        m = a + timedelta(seconds=int((b - a).total_seconds()) // 2)
        if _offset(m, zone) == off_lo:
            a = m
        else:
            b = m
    return [(lo, b, off_lo), *_constant_offset_segments(b, hi, zone)]


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _merge(pieces: list[Interval]) -> list[Interval]:
    """Sorted intervals with overlapping or touching ones joined."""
    pieces.sort()
    merged: list[Interval] = []
    for s, e in pieces:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The intersection of two sorted lists of disjoint intervals."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out
