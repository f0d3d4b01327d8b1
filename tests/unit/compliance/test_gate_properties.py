"""Properties of the gate for random debtors, instants over several years and random histories:
an ALLOW breaks no rule, a DEFER's not_before is allowed and later, and the answer is deterministic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cobro.domain.accounts import OptOut
from cobro.domain.compliance import CapCounts, CapKind, ComplianceGate, FrequencyCap, load_rule_book
from cobro.domain.contact import (
    ContactHistory,
    ContactRecord,
    DebtorContext,
    MessageKind,
    OutboundIntent,
    Verdict,
)

from .builders import account, debtor, intent

BOOK = load_rule_book()


class FixedHolidays:
    """New Year, 1 May and Christmas everywhere, plus 20 July in Colombia; nothing in XX."""

    def holiday_name(self, country: str, region: str | None, day: date) -> str | None:
        if country == "XX":
            return None
        if (day.month, day.day) in {(1, 1), (5, 1), (12, 25)} or (
            country == "CO" and (day.month, day.day) == (7, 20)
        ):
            return "Fixed Day"
        return None


CALENDAR = FixedHolidays()
GATE = ComplianceGate(BOOK, CALENDAR)
ZONES = [
    "America/Bogota",
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",
    "Europe/Madrid",
    "America/Sao_Paulo",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Mexico_City",
]
PLACES = [
    ("US", None),
    ("US", "MA"),
    ("CO", None),
    ("MX", None),
    ("PE", None),
    ("CL", None),
    ("BR", None),
    ("AR", None),
    ("ES", None),
    ("IT", None),
    ("GB", None),
    ("GB", "SCT"),
    ("DE", None),
    ("XX", None),
]
INITIATED = (MessageKind.COLLECTION, MessageKind.RIGHT_PARTY_CHECK)


@st.composite
def cases(draw: st.DrawFn) -> tuple[DebtorContext, OutboundIntent, datetime, ContactHistory]:
    country, region = draw(st.sampled_from(PLACES))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=2, unique=True))
    now = draw(
        st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
    )
    opted = draw(st.integers(0, 7)) == 7  # hypothesis leans to small numbers: the rare case is the big one
    the_debtor = debtor(
        country,
        *zones,
        region=region,
        consent=debtor().consent if draw(st.integers(0, 9)) < 9 else None,
        opt_out=OptOut(at=now - timedelta(days=1), scope="all_contact", source="test") if opted else None,
    )
    kind = draw(
        st.sampled_from(
            [
                *INITIATED,
                *INITIATED,
                MessageKind.COLLECTION,
                MessageKind.SERVICE_REPLY,
                MessageKind.OPT_OUT_CONFIRMATION,
            ]
        )
    )
    the_intent = intent(
        kind, mentions_debt=kind is MessageKind.COLLECTION, is_template=draw(st.integers(0, 9)) < 9
    )
    records = tuple(
        ContactRecord(
            at=now - timedelta(minutes=m),
            kind=draw(
                st.sampled_from(
                    [MessageKind.COLLECTION, MessageKind.RIGHT_PARTY_CHECK, MessageKind.OPT_OUT_CONFIRMATION]
                )
            ),
            status=draw(st.sampled_from([None, "delivered", "read", "failed"])),
        )
        for m in sorted(draw(st.lists(st.integers(0, 35 * 24 * 60), max_size=6)), reverse=True)
    )
    inbound = draw(st.none() | st.integers(0, 48 * 60).map(lambda m: now - timedelta(minutes=m)))
    return the_debtor, the_intent, now, ContactHistory(outbound=records, last_inbound_at=inbound)


def _cap_kept(
    cap: FrequencyCap, records: tuple[ContactRecord, ...], now: datetime, zones: list[ZoneInfo]
) -> bool:
    """An independent reading of the cap for a history that lies entirely in the past."""
    counted = [r.at for r in records if cap.counts is CapCounts.ALL or r.status == "read" or r.read_at]
    if cap.kind is CapKind.ROLLING:
        return sum(1 for at in counted if now - at < timedelta(days=cap.window_days)) + 1 <= cap.max_messages
    for zone in zones:
        today = now.astimezone(zone).date()
        dates = [at.astimezone(zone).date() for at in counted]
        if cap.kind is CapKind.CALENDAR_DAY and dates.count(today) + 1 > cap.max_messages:
            return False
        if cap.kind is CapKind.CALENDAR_WEEK:
            week = today.isocalendar()[:2]
            if sum(1 for d in dates if d.isocalendar()[:2] == week) + 1 > cap.max_messages:
                return False
        if cap.kind is CapKind.MIN_GAP and any((today - d).days < cap.min_gap_days for d in dates):
            return False
    if cap.kind is CapKind.MIN_GAP:
        return all(now - at >= timedelta(days=cap.min_gap_days) for at in counted)
    return True


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_an_allow_breaks_no_rule(
    case: tuple[DebtorContext, OutboundIntent, datetime, ContactHistory],
) -> None:
    the_debtor, the_intent, now, the_history = case
    decision = GATE.check(the_debtor, account(), the_intent, now, the_history)
    event(decision.verdict.value)
    if decision.verdict is not Verdict.ALLOW:
        return
    in_window = the_history.last_inbound_at is not None and now < the_history.last_inbound_at + timedelta(
        hours=24
    )
    if the_intent.kind is not MessageKind.OPT_OUT_CONFIRMATION:
        # A reply inside the window answers whoever wrote: their message is the request, consent or not.
        assert the_debtor.consent is not None or (the_intent.kind is MessageKind.SERVICE_REPLY and in_window)
        assert the_debtor.opt_out is None
    if the_intent.kind in INITIATED or (the_intent.kind is MessageKind.SERVICE_REPLY and not in_window):
        zones = [ZoneInfo(z) for z in the_debtor.time_zones]
        rules = BOOK.rules_for(the_debtor.country, the_debtor.region, now.astimezone(zones[0]).date())
        for zone in zones:
            wall = now.astimezone(zone)
            second = wall.hour * 3600 + wall.minute * 60 + wall.second
            assert any(s <= second < e for s, e in rules.hours.windows[wall.weekday()]), (zone, wall)
            if rules.holidays.closed:
                assert CALENDAR.holiday_name(the_debtor.country, the_debtor.region, wall.date()) is None
        for cap in rules.caps:
            assert _cap_kept(cap, the_history.collection_messages(), now, zones), cap.rule_id


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_a_defer_names_a_later_instant_that_is_allowed(
    case: tuple[DebtorContext, OutboundIntent, datetime, ContactHistory],
) -> None:
    the_debtor, the_intent, now, the_history = case
    decision = GATE.check(the_debtor, account(), the_intent, now, the_history)
    event(decision.verdict.value)
    if decision.verdict is not Verdict.DEFER:
        return
    assert decision.not_before is not None
    assert decision.not_before > now
    assert decision.findings
    again = GATE.check(the_debtor, account(), the_intent, decision.not_before, the_history)
    assert again.verdict is Verdict.ALLOW, again.findings


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_check_is_deterministic_and_independent_of_caches(
    case: tuple[DebtorContext, OutboundIntent, datetime, ContactHistory],
) -> None:
    the_debtor, the_intent, now, the_history = case
    first = GATE.check(the_debtor, account(), the_intent, now, the_history)
    assert GATE.check(the_debtor, account(), the_intent, now, the_history) == first
    assert ComplianceGate(BOOK, CALENDAR).check(the_debtor, account(), the_intent, now, the_history) == first
