"""Table tests: every row of the rule table, just inside and just outside its windows, weekdays and holidays.

The rule each case checks is named in its id; the citations are in jurisdictions.toml.
"""

from __future__ import annotations

from datetime import date

import pytest

from cobro.adapters.holiday_calendar import HolidaysCalendar
from cobro.domain.compliance import ComplianceGate, load_rule_book
from cobro.domain.contact import Verdict

from .builders import account, debtor, history, intent, local, wall

GATE = ComplianceGate(load_rule_book(), HolidaysCalendar())

# (country, region, zone, wall clock (y, m, d, h, min), allowed?, rule id when not)
# 2026-11-24 is a Tuesday, 28 a Saturday, 29 a Sunday; none is a holiday in these places.
WINDOW_CASES = [
    # Colombia, Ley 2300 de 2023 art. 3: Mon-Fri 07:00-19:00, Sat 08:00-15:00, never Sunday.
    ("co.weekday.opens", "CO", None, "America/Bogota", (2026, 11, 24, 7, 0), True, None),
    ("co.weekday.before", "CO", None, "America/Bogota", (2026, 11, 24, 6, 59), False, "co.hours"),
    ("co.weekday.last_minute", "CO", None, "America/Bogota", (2026, 11, 24, 18, 59), True, None),
    ("co.weekday.closes", "CO", None, "America/Bogota", (2026, 11, 24, 19, 0), False, "co.hours"),
    ("co.saturday.inside", "CO", None, "America/Bogota", (2026, 11, 28, 14, 59), True, None),
    ("co.saturday.closes", "CO", None, "America/Bogota", (2026, 11, 28, 15, 0), False, "co.hours"),
    ("co.sunday", "CO", None, "America/Bogota", (2026, 11, 29, 10, 0), False, "co.hours"),
    # United States, 12 CFR 1006.6(b)(1)(i): 08:00-21:00 every day.
    ("us.opens", "US", None, "America/New_York", (2026, 11, 24, 8, 0), True, None),
    ("us.before", "US", None, "America/New_York", (2026, 11, 24, 7, 59), False, "us.hours"),
    ("us.last_minute", "US", None, "America/New_York", (2026, 11, 24, 20, 59), True, None),
    ("us.closes", "US", None, "America/New_York", (2026, 11, 24, 21, 0), False, "us.hours"),
    ("us.sunday", "US", None, "America/Chicago", (2026, 11, 29, 10, 0), True, None),
    # Massachusetts inherits the federal hours (940 CMR 7 adds caps).
    ("us-ma.before", "US", "MA", "America/New_York", (2026, 11, 24, 7, 59), False, "us.hours"),
    ("us-ma.saturday", "US", "MA", "America/New_York", (2026, 11, 28, 20, 59), True, None),
    # Mexico, CONDUSEF/REDECO: Mon-Fri 07:00-22:00.
    ("mx.opens", "MX", None, "America/Mexico_City", (2026, 11, 24, 7, 0), True, None),
    ("mx.before", "MX", None, "America/Mexico_City", (2026, 11, 24, 6, 59), False, "mx.hours"),
    ("mx.last_minute", "MX", None, "America/Mexico_City", (2026, 11, 24, 21, 59), True, None),
    ("mx.closes", "MX", None, "America/Mexico_City", (2026, 11, 24, 22, 0), False, "mx.hours"),
    ("mx.saturday", "MX", None, "America/Mexico_City", (2026, 11, 28, 10, 0), False, "mx.hours"),
    # Peru, Ley 29571 art. 62(b): Mon-Fri 07:00-20:00.
    ("pe.opens", "PE", None, "America/Lima", (2026, 11, 24, 7, 0), True, None),
    ("pe.before", "PE", None, "America/Lima", (2026, 11, 24, 6, 59), False, "pe.hours"),
    ("pe.closes", "PE", None, "America/Lima", (2026, 11, 24, 20, 0), False, "pe.hours"),
    ("pe.saturday", "PE", None, "America/Lima", (2026, 11, 28, 10, 0), False, "pe.hours"),
    # Chile, Ley 19.496 art. 37: Mon-Sat 08:00-20:00.
    ("cl.opens", "CL", None, "America/Santiago", (2026, 11, 24, 8, 0), True, None),
    ("cl.before", "CL", None, "America/Santiago", (2026, 11, 24, 7, 59), False, "cl.hours"),
    ("cl.last_minute", "CL", None, "America/Santiago", (2026, 11, 28, 19, 59), True, None),
    ("cl.closes", "CL", None, "America/Santiago", (2026, 11, 24, 20, 0), False, "cl.hours"),
    ("cl.sunday", "CL", None, "America/Santiago", (2026, 11, 29, 12, 0), False, "cl.hours"),
    # Italy, Garante 2005 / UNIREC: Mon-Fri 08:30-21:00, Sat 08:30-15:00.
    ("it.opens", "IT", None, "Europe/Rome", (2026, 11, 24, 8, 30), True, None),
    ("it.before", "IT", None, "Europe/Rome", (2026, 11, 24, 8, 29), False, "it.hours"),
    ("it.closes", "IT", None, "Europe/Rome", (2026, 11, 24, 21, 0), False, "it.hours"),
    ("it.saturday.inside", "IT", None, "Europe/Rome", (2026, 11, 28, 14, 59), True, None),
    ("it.saturday.closes", "IT", None, "Europe/Rome", (2026, 11, 28, 15, 0), False, "it.hours"),
    # Brazil, Argentina, Spain, United Kingdom: no reliable hours -> strict default Mon-Fri 08:00-19:00.
    ("br.default.opens", "BR", None, "America/Sao_Paulo", (2026, 11, 24, 8, 0), True, None),
    ("br.default.closes", "BR", None, "America/Sao_Paulo", (2026, 11, 24, 19, 0), False, "default.hours"),
    (
        "ar.default.before",
        "AR",
        None,
        "America/Argentina/Buenos_Aires",
        (2026, 11, 24, 7, 59),
        False,
        "default.hours",
    ),
    (
        "ar.default.saturday",
        "AR",
        None,
        "America/Argentina/Buenos_Aires",
        (2026, 11, 28, 10, 0),
        False,
        "default.hours",
    ),
    ("es.default.last_minute", "ES", None, "Europe/Madrid", (2026, 11, 24, 18, 59), True, None),
    ("es.default.closes", "ES", None, "Europe/Madrid", (2026, 11, 24, 19, 0), False, "default.hours"),
    ("gb.default.opens", "GB", None, "Europe/London", (2026, 11, 24, 8, 0), True, None),
    ("gb.default.sunday", "GB", None, "Europe/London", (2026, 11, 29, 10, 0), False, "default.hours"),
    # A country with no row at all: the strict default.
    ("de.default.before", "DE", None, "Europe/Berlin", (2026, 11, 24, 7, 59), False, "default.hours"),
    ("de.default.inside", "DE", None, "Europe/Berlin", (2026, 11, 24, 12, 0), True, None),
]


@pytest.mark.parametrize(
    ("country", "region", "zone", "clock", "allowed", "rule_id"),
    [case[1:] for case in WINDOW_CASES],
    ids=[case[0] for case in WINDOW_CASES],
)
def test_contact_windows_per_jurisdiction(
    country: str, region: str | None, zone: str, clock: tuple[int, ...], allowed: bool, rule_id: str | None
) -> None:
    now = local(zone, *clock)
    decision = GATE.check(debtor(country, zone, region=region), account(), intent(), now, history())
    if allowed:
        assert decision.verdict is Verdict.ALLOW, decision.findings
    else:
        assert decision.verdict is Verdict.DEFER
        assert decision.rule_ids[0] == rule_id
        assert decision.not_before is not None
        assert decision.not_before > now
        assert zone in decision.findings[0].reason
        assert (
            GATE.check(
                debtor(country, zone, region=region), account(), intent(), decision.not_before, history()
            ).verdict
            is Verdict.ALLOW
        )


HOLIDAY_CASES = [
    (
        "CO",
        "America/Bogota",
        (2026, 12, 8, 10, 0),
        "co.holidays",
        "Immaculate Conception",
        "2026-12-09 07:00",
    ),
    (
        "MX",
        "America/Mexico_City",
        (2026, 9, 16, 10, 0),
        "mx.holidays",
        "Independence Day",
        "2026-09-17 07:00",
    ),
    ("PE", "America/Lima", (2026, 7, 28, 10, 0), "pe.holidays", "Independence Day", "2026-07-30 07:00"),
    ("CL", "America/Santiago", (2026, 9, 18, 10, 0), "cl.holidays", "Independence Day", "2026-09-21 08:00"),
    ("IT", "Europe/Rome", (2026, 6, 2, 10, 0), "it.holidays", "Republic Day", "2026-06-03 08:30"),
    (
        "BR",
        "America/Sao_Paulo",
        (2026, 9, 7, 10, 0),
        "default.holidays",
        "Independence Day",
        "2026-09-08 08:00",
    ),
    (
        "AR",
        "America/Argentina/Buenos_Aires",
        (2026, 5, 25, 10, 0),
        "default.holidays",
        "May Revolution Day",
        "2026-05-26 08:00",
    ),
    ("ES", "Europe/Madrid", (2026, 10, 12, 10, 0), "default.holidays", "National Day", "2026-10-13 08:00"),
    ("GB", "Europe/London", (2026, 12, 25, 10, 0), "default.holidays", "Christmas Day", "2026-12-29 08:00"),
    ("DE", "Europe/Berlin", (2026, 12, 25, 10, 0), "default.holidays", "Christmas Day", "2026-12-28 08:00"),
]


@pytest.mark.parametrize(
    ("country", "zone", "clock", "rule_id", "holiday", "next_wall"),
    HOLIDAY_CASES,
    ids=[case[3] + "." + case[0] for case in HOLIDAY_CASES],
)
def test_public_holidays_close_contact(
    country: str, zone: str, clock: tuple[int, ...], rule_id: str, holiday: str, next_wall: str
) -> None:
    now = local(zone, *clock)
    decision = GATE.check(debtor(country, zone), account(), intent(), now, history())
    assert decision.verdict is Verdict.DEFER
    assert decision.rule_ids[0] == rule_id
    assert holiday in decision.findings[0].reason
    assert decision.not_before is not None
    assert wall(decision.not_before, zone) == next_wall


def test_peru_holiday_on_tuesday_and_wednesday_pushes_to_thursday() -> None:
    # 28 and 29 July are both national holidays in Peru (Ley 29571 art. 62(b) closes holidays).
    decision = GATE.check(
        debtor("PE", "America/Lima"), account(), intent(), local("America/Lima", 2026, 7, 28, 10), history()
    )
    assert decision.not_before is not None
    assert wall(decision.not_before, "America/Lima") == "2026-07-30 07:00"


@pytest.mark.parametrize(
    ("region", "clock"),
    [(None, (2026, 7, 3, 10, 0)), ("MA", (2026, 4, 20, 10, 0)), (None, (2026, 11, 26, 10, 0))],
    ids=["independence_day_observed", "patriots_day_in_massachusetts", "thanksgiving"],
)
def test_united_states_has_no_holiday_rule(region: str | None, clock: tuple[int, ...]) -> None:
    decision = GATE.check(
        debtor("US", "America/New_York", region=region),
        account(),
        intent(),
        local("America/New_York", *clock),
        history(),
    )
    assert decision.verdict is Verdict.ALLOW


def test_scottish_holiday_closes_contact_for_a_scottish_debtor_only() -> None:
    now = local("Europe/London", 2026, 11, 30, 10)  # Saint Andrew's Day, a Monday
    scottish = GATE.check(debtor("GB", "Europe/London", region="SCT"), account(), intent(), now, history())
    english = GATE.check(debtor("GB", "Europe/London", region="ENG"), account(), intent(), now, history())
    assert scottish.verdict is Verdict.DEFER
    assert "Saint Andrew's Day" in scottish.findings[0].reason
    assert english.verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("country", "region", "zone", "expected"),
    [
        ("US", None, "America/New_York", ["us.collector_statement", "us.opt_out_notice"]),
        (
            "US",
            "MA",
            "America/New_York",
            ["us.collector_statement", "us.opt_out_notice", "us-ma.creditor_and_caller_name"],
        ),
        ("BR", None, "America/Sao_Paulo", ["br.supplier_identity"]),
        ("MX", None, "America/Mexico_City", ["mx.agency_and_creditor"]),
        ("GB", None, "Europe/London", ["uk.debt_advice"]),
        ("ES", None, "Europe/Madrid", ["es.creditor_name", "eu.art21_notice"]),
        ("IT", None, "Europe/Rome", ["eu.art21_notice"]),
        ("CO", None, "America/Bogota", []),
    ],
)
def test_required_content_at_first_contact(
    country: str, region: str | None, zone: str, expected: list[str]
) -> None:
    decision = GATE.check(
        debtor(country, zone, region=region), account(), intent(), local(zone, 2026, 11, 24, 12), history()
    )
    assert decision.inputs["required_content"] == expected


def test_the_gdpr_article_21_notice_is_required_only_at_first_contact() -> None:
    now = local("Europe/Rome", 2026, 11, 24, 12)
    later = GATE.check(
        debtor("IT", "Europe/Rome"), account(), intent(), now, history(local("Europe/Rome", 2026, 11, 16, 10))
    )
    assert later.inputs["required_content"] == []


def test_time_barred_debt_in_the_uk_requires_the_statute_barred_notice() -> None:
    # CONC 7.15 and the Limitation Act 1980 s. 5: six years.
    old = account(oldest_due_date=date(2020, 11, 1))
    decision = GATE.check(
        debtor("GB", "Europe/London"), old, intent(), local("Europe/London", 2026, 11, 24, 12), history()
    )
    assert decision.verdict is Verdict.ALLOW
    assert "uk.statute_barred_notice" in decision.inputs["required_content"]
    assert decision.inputs["flags"]["time_barred"] is True


def test_scotland_bars_a_debt_after_five_years_not_six() -> None:
    five_and_a_half = account(oldest_due_date=date(2021, 5, 1))
    now = local("Europe/London", 2026, 11, 24, 12)
    scotland = GATE.check(
        debtor("GB", "Europe/London", region="SCT"), five_and_a_half, intent(), now, history()
    )
    england = GATE.check(
        debtor("GB", "Europe/London", region="ENG"), five_and_a_half, intent(), now, history()
    )
    assert scotland.inputs["flags"]["time_barred"] is True
    assert england.inputs["flags"]["time_barred"] is False


def test_a_prescribed_debt_in_mexico_is_not_demanded() -> None:
    decision = GATE.check(
        debtor("MX", "America/Mexico_City"),
        account(oldest_due_date=date(2016, 1, 1)),
        intent(),
        local("America/Mexico_City", 2026, 11, 24, 12),
        history(),
    )
    assert decision.verdict is Verdict.BLOCK
    assert decision.rule_ids == ("mx.time_barred",)
    assert "Código de Comercio" in decision.findings[0].citation


def test_decision_records_jurisdiction_version_and_local_time() -> None:
    now = local("America/Bogota", 2026, 11, 23, 21, 14)
    decision = GATE.check(debtor("CO", "America/Bogota"), account(), intent(), now, history())
    assert decision.jurisdiction == "CO"
    assert decision.rules_version == "2026-11-23.1"
    assert decision.inputs["local_times"] == {"America/Bogota": "2026-11-23T21:14:00-05:00"}
    reason = decision.findings[0].reason
    assert reason.startswith(
        "It is 21:14 on Monday 23 November 2026 in America/Bogota; Colombia allows contact"
    )
    assert "Next allowed: Tuesday 24 November 2026 07:00 in America/Bogota." in reason
    assert decision.findings[0].citation == "Ley 2300 de 2023, art. 3"
