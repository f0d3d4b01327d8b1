"""The holidays-library calendar: names in English, regions, unknown places never crash."""

from __future__ import annotations

from datetime import date

from cobro.adapters.holiday_calendar import HolidaysCalendar

CALENDAR = HolidaysCalendar()


def test_national_holiday_has_its_english_name() -> None:
    assert CALENDAR.holiday_name("CO", None, date(2026, 12, 8)) == "Immaculate Conception"
    assert CALENDAR.holiday_name("CO", None, date(2026, 12, 9)) is None


def test_regional_holiday_needs_the_region() -> None:
    assert CALENDAR.holiday_name("US", "MA", date(2026, 4, 20)) == "Patriots' Day"
    assert CALENDAR.holiday_name("US", None, date(2026, 4, 20)) is None


def test_unknown_region_falls_back_to_the_country() -> None:
    assert CALENDAR.holiday_name("US", "ZZ", date(2026, 11, 26)) == "Thanksgiving Day"


def test_unknown_country_has_no_holidays() -> None:
    assert CALENDAR.holiday_name("XX", None, date(2026, 12, 25)) is None
    assert CALENDAR.holiday_name("XX", "YY", date(2026, 1, 1)) is None
