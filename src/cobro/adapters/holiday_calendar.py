"""Public holidays per country and region from the `holidays` library, for the compliance gate."""

from __future__ import annotations

import threading
from datetime import date

import holidays

_ENGLISH = ("en_US", "en_GB", "en")


class HolidaysCalendar:
    """HolidayCalendar backed by the `holidays` package, one table per (country, region, year), cached.

    An unknown region falls back to the country's national holidays; an unknown country has none.
    Names are in English where the library has an English translation, else in the country's language.
    """

    def __init__(self) -> None:
        """Start with an empty cache (tables are built on first use)."""
        self._tables: dict[tuple[str, str | None, int], dict[date, str]] = {}
        self._lock = threading.Lock()
        self._supported: dict[str, list[str]] = {
            code: list(subdivisions) for code, subdivisions in holidays.list_supported_countries().items()
        }

    def holiday_name(self, country: str, region: str | None, day: date) -> str | None:
        """The public holiday's name on `day` in the country (and region), or None."""
        key = (country, region, day.year)
        table = self._tables.get(key)
        if table is None:
            table = self._build(country, region, day.year)
            with self._lock:
                self._tables[key] = table
        return table.get(day)

    def _build(self, country: str, region: str | None, year: int) -> dict[date, str]:
        """The holidays of one year as a plain dict (date -> name)."""
        code = country.upper()
        subdivisions = self._supported.get(code)
        if subdivisions is None:
            return {}
        subdivision = region.upper() if region and region.upper() in subdivisions else None
        try:
            table = holidays.country_holidays(code, subdiv=subdivision, years=year)
            language = next((lang for lang in _ENGLISH if lang in table.supported_languages), None)
            if language is not None and language != table.default_language:
                table = holidays.country_holidays(code, subdiv=subdivision, years=year, language=language)
        except (NotImplementedError, KeyError):
            return {}
        return dict(table.items())
