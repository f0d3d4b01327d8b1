"""Phone numbers to E.164 and the time zones they may ring in (phonenumbers, tzdata's zone.tab)."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import timezone as phone_timezones

_UNKNOWN_ZONE = "Etc/Unknown"


class InvalidPhone(ValueError):
    """A phone number that cannot be dialled from the given country."""


@dataclass(frozen=True, slots=True)
class Phone:
    """A valid phone number in E.164 with the region it belongs to."""

    e164: str
    region: str
    zones: tuple[str, ...]


def parse_phone(raw: str, country: str) -> Phone:
    """Normalises a phone written in a country's usual way ('612 34 56 78', '+52 55...') to E.164."""
    found = _parse(raw, country.upper())
    if isinstance(found, str):
        raise InvalidPhone(found)
    return found


# A debtor's phone repeats on each of their invoices: remember the latest numbers (bounded, so memory stays flat).
@lru_cache(maxsize=1 << 15)
def _parse(raw: str, country: str) -> Phone | str:
    """The phone, or why it is not one. Does what is_valid_number then time_zones_for_number would,
    finding the number's region and type once instead of three times."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        return "not a phone number"
    region = phonenumbers.region_code_for_number(number)
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number is False (given a region)
    if region is None or kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return f"not a valid phone number for {country}"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    code = number.country_code or 0  # parse sets it on every number it returns
    found: tuple[str, ...]
    if phonenumbers.is_number_type_geographical(kind, code):
        found = tuple(phone_timezones.time_zones_for_geographical_number(number))
    else:  # the zones of the calling code, whatever the number: look them up once per code
        cached = _CODE_ZONES.get(code)
        if cached is None:
            cached = _CODE_ZONES[code] = tuple(phone_timezones.time_zones_for_number(number))
        found = cached
    zones = tuple(z for z in found if z != _UNKNOWN_ZONE)
    return Phone(e164=e164, region=region, zones=zones)


_CODE_ZONES: dict[int, tuple[str, ...]] = {}


@cache
def country_zones() -> dict[str, tuple[str, ...]]:
    """Each country's zones in tzdata's zone.tab order (the most populous zone of a country first)."""
    zones: dict[str, list[str]] = {}
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        zones.setdefault(fields[0], []).append(fields[2])
    return {country: tuple(names) for country, names in zones.items()}


@cache
def zones_for(country: str, phone_zones: tuple[str, ...]) -> tuple[str, ...]:
    """The zones a debtor may be in: the phone's zones that are the country's own, else all the country's."""
    own = country_zones().get(country.upper(), ())
    if not own:
        return phone_zones
    matching = tuple(z for z in own if z in phone_zones)
    return matching or own
