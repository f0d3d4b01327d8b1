"""Phone numbers to E.164 and the time zones they may ring in (phonenumbers, tzdata's zone.tab)."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from functools import cache

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
    try:
        number = phonenumbers.parse(raw, country.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number for {country.upper()}")
    region = phonenumbers.region_code_for_number(number) or country.upper()
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    zones = tuple(z for z in phone_timezones.time_zones_for_number(number) if z != _UNKNOWN_ZONE)
    return Phone(e164=e164, region=region, zones=zones)


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
