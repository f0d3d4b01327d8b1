"""Contact-window arithmetic: daylight saving, skipped and repeated hours, several candidate zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from cobro.domain.compliance import ComplianceGate, Confidence, ContactHours, Rule, load_rule_book
from cobro.domain.compliance.windows import is_allowed, local_day_start, next_allowed, wall_range_to_utc
from cobro.domain.contact import Verdict

from .builders import account, debtor, history, intent, local, wall

NEW_YORK = ZoneInfo("America/New_York")
RULE = Rule("test.hours", "test", date(2020, 1, 1), Confidence.HIGH)


class NoHolidays:
    def holiday_name(self, country: str, region: str | None, day: date) -> str | None:
        return None


GATE = ComplianceGate(load_rule_book(), NoHolidays())


def never_closed(day: date) -> str | None:
    return None


def every_day(*windows: tuple[int, int]) -> ContactHours:
    return ContactHours(RULE, tuple(tuple(windows) for _ in range(7)))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_window_starting_in_the_skipped_hour_opens_when_clocks_jump() -> None:
    # 2026-03-08 in New York: 02:00 EST jumps to 03:00 EDT (07:00 UTC); 02:30 never happens.
    pieces = wall_range_to_utc(date(2026, 3, 8), 2 * 3600 + 1800, 4 * 3600, NEW_YORK)
    assert pieces == [(utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))]


def test_a_window_in_the_repeated_hour_is_open_on_both_passes() -> None:
    # 2026-11-01 in New York: 01:00-02:00 happens twice (EDT, then EST). Window 01:30-03:00.
    pieces = wall_range_to_utc(date(2026, 11, 1), 1 * 3600 + 1800, 3 * 3600, NEW_YORK)
    assert pieces == [
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6)),
        (utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 8)),
    ]


def test_next_allowed_across_spring_forward_in_new_york() -> None:
    hours = every_day((8 * 3600, 21 * 3600))
    start = utc(2026, 3, 8, 6, 30)  # 01:30 EST
    assert next_allowed(start, [NEW_YORK], hours, never_closed) == utc(2026, 3, 8, 12)  # 08:00 EDT
    assert not is_allowed(local("America/New_York", 2026, 3, 8, 7, 59), [NEW_YORK], hours, never_closed)
    assert is_allowed(local("America/New_York", 2026, 3, 8, 8, 0), [NEW_YORK], hours, never_closed)


def test_us_debtor_on_the_fall_back_night_waits_for_eight_eastern_standard_time() -> None:
    now = utc(2026, 11, 1, 5, 30)  # 01:30 EDT, first pass
    decision = GATE.check(debtor("US", "America/New_York"), account(), intent(), now, history())
    assert decision.verdict is Verdict.DEFER
    assert decision.not_before == utc(2026, 11, 1, 13)  # 08:00 EST


def test_santiago_day_starts_when_the_clock_jumps_over_midnight() -> None:
    # Chile springs forward at 00:00 on the first Sunday of September: 2026-09-06 starts at 01:00 (-03).
    santiago = ZoneInfo("America/Santiago")
    assert local_day_start(date(2026, 9, 6), santiago) == utc(2026, 9, 6, 4)
    # And falls back at 00:00 on 2026-04-05 (to 23:00 on the 4th): the 5th starts at 04:00 UTC (-04).
    assert local_day_start(date(2026, 4, 5), santiago) == utc(2026, 4, 5, 4)


def test_chile_saturday_evening_before_the_clocks_change() -> None:
    inside = local("America/Santiago", 2026, 4, 4, 19, 59)
    outside = local("America/Santiago", 2026, 4, 4, 20, 0)
    assert (
        GATE.check(debtor("CL", "America/Santiago"), account(), intent(), inside, history()).verdict
        is Verdict.ALLOW
    )
    deferred = GATE.check(debtor("CL", "America/Santiago"), account(), intent(), outside, history())
    assert deferred.not_before is not None
    assert (
        wall(deferred.not_before, "America/Santiago") == "2026-04-06 08:00"
    )  # Monday, after a closed Sunday
    assert deferred.not_before == utc(2026, 4, 6, 12)  # -04 once summer time ended


def test_madrid_friday_evening_to_monday_across_the_october_change() -> None:
    friday = local("Europe/Madrid", 2026, 10, 23, 19, 0)  # CEST, +02
    decision = GATE.check(debtor("ES", "Europe/Madrid"), account(), intent(), friday, history())
    assert decision.not_before == utc(2026, 10, 26, 7)  # Monday 08:00 CET, +01


def test_sao_paulo_has_had_no_daylight_saving_since_2019() -> None:
    # January 2026 stays at -03 (before 2019 it would have been -02).
    assert local("America/Sao_Paulo", 2026, 1, 13, 8) == utc(2026, 1, 13, 11)
    brazil = debtor("BR", "America/Sao_Paulo")
    assert GATE.check(brazil, account(), intent(), utc(2026, 1, 13, 11), history()).verdict is Verdict.ALLOW
    early = GATE.check(brazil, account(), intent(), utc(2026, 1, 13, 10, 59), history())
    assert early.not_before == utc(2026, 1, 13, 11)
    # In January 2018 Sao Paulo was on summer time (-02): 08:00 was 10:00 UTC.
    assert local("America/Sao_Paulo", 2018, 1, 16, 8) == utc(2018, 1, 16, 10)


def test_two_candidate_zones_allow_only_the_hours_both_allow() -> None:
    both = debtor("US", "America/New_York", "America/Los_Angeles")
    morning = local("America/New_York", 2026, 11, 24, 10, 0)  # 07:00 in Los Angeles
    decision = GATE.check(both, account(), intent(), morning, history())
    assert decision.verdict is Verdict.DEFER
    assert decision.not_before == local("America/New_York", 2026, 11, 24, 11, 0)
    assert (
        "07:00 on Tuesday 24 November 2026 in America/Los_Angeles (10:00 in America/New_York)"
        in decision.findings[0].reason
    )
    assert set(decision.inputs["local_times"]) == {"America/New_York", "America/Los_Angeles"}
    evening = local("America/New_York", 2026, 11, 24, 20, 30)
    assert GATE.check(both, account(), intent(), evening, history()).verdict is Verdict.ALLOW
    late = GATE.check(both, account(), intent(), local("America/New_York", 2026, 11, 24, 21, 0), history())
    assert late.not_before == local("America/New_York", 2026, 11, 25, 11, 0)


def test_zones_with_no_common_window_have_no_allowed_time() -> None:
    one_hour = every_day((8 * 3600, 9 * 3600))
    zones = [NEW_YORK, ZoneInfo("Europe/London")]
    assert next_allowed(utc(2026, 11, 24), zones, one_hour, never_closed) is None


def test_unknown_time_zone_blocks() -> None:
    decision = GATE.check(debtor("CO", "Mars/Olympus"), account(), intent(), utc(2026, 11, 24, 15), history())
    assert decision.verdict is Verdict.BLOCK
    assert decision.rule_ids == ("time_zone.unknown",)
