"""Frequency caps: the daily floor, Massachusetts' 2 in 7 days, Chile's 2 a week 2 days apart, Colombia's
'once reached' reading, Italy's 3 a week; and how a cap release meets the contact windows."""

from __future__ import annotations

from datetime import timedelta

from cobro.domain.compliance import ComplianceGate, load_rule_book
from cobro.domain.contact import ContactHistory, ContactRecord, MessageKind, Verdict

from .builders import account, debtor, history, intent, local, wall

GATE = ComplianceGate(load_rule_book(), type("NoHolidays", (), {"holiday_name": lambda *a: None})())
NY, SCL, BOG, ROM = "America/New_York", "America/Santiago", "America/Bogota", "Europe/Rome"


def test_one_collection_message_a_day_by_default() -> None:
    us = debtor("US", NY)
    sent = history(local(NY, 2026, 11, 24, 9))
    decision = GATE.check(us, account(), intent(), local(NY, 2026, 11, 24, 15), sent)
    assert decision.verdict is Verdict.DEFER
    # The cap frees at midnight, when the hours are closed: both rules shape the next allowed time.
    assert decision.rule_ids == ("default.frequency.daily", "us.hours")
    assert decision.not_before == local(NY, 2026, 11, 25, 8)
    assert decision.inputs["counters"]["default.frequency.daily"] == {"count": 1, "max": 1}
    assert "at most 1 message per local calendar day" in decision.findings[0].reason


def test_failed_messages_and_opt_out_confirmations_do_not_count() -> None:
    sent = ContactHistory(
        outbound=(
            ContactRecord(at=local(NY, 2026, 11, 24, 9), kind=MessageKind.COLLECTION, status="failed"),
            ContactRecord(at=local(NY, 2026, 11, 24, 10), kind=MessageKind.OPT_OUT_CONFIRMATION),
        )
    )
    decision = GATE.check(debtor("US", NY), account(), intent(), local(NY, 2026, 11, 24, 15), sent)
    assert decision.verdict is Verdict.ALLOW


def test_massachusetts_allows_two_messages_in_seven_days() -> None:
    # 940 CMR 7.04(1)(f): the third waits until the first is seven days old.
    ma = debtor("US", NY, region="MA")
    sent = history(local(NY, 2026, 11, 18, 10), local(NY, 2026, 11, 21, 10))
    decision = GATE.check(ma, account(), intent(), local(NY, 2026, 11, 23, 10), sent)
    assert decision.verdict is Verdict.DEFER
    assert decision.rule_ids == ("us-ma.frequency.2in7",)
    assert decision.not_before == local(NY, 2026, 11, 25, 10)
    assert decision.findings[0].citation.startswith("940 CMR 7.04(1)(f)")
    assert GATE.check(ma, account(), intent(), decision.not_before, sent).verdict is Verdict.ALLOW


def test_the_rest_of_the_united_states_uses_the_strict_default_two_in_seven() -> None:
    sent = history(local(NY, 2026, 11, 18, 10), local(NY, 2026, 11, 21, 10))
    decision = GATE.check(debtor("US", NY), account(), intent(), local(NY, 2026, 11, 23, 10), sent)
    assert decision.rule_ids == ("default.frequency.2in7",)


def test_chile_wants_two_days_between_messages_as_48_hours_and_two_dates() -> None:
    cl = debtor("CL", SCL)
    monday_evening = history(local(SCL, 2026, 11, 23, 19))
    tuesday = GATE.check(cl, account(), intent(), local(SCL, 2026, 11, 24, 10), monday_evening)
    assert tuesday.verdict is Verdict.DEFER
    assert "cl.frequency.2_days_apart" in tuesday.rule_ids
    # Wednesday 08:00 is two dates later but only 37 hours: wait until Wednesday 19:00.
    assert tuesday.not_before == local(SCL, 2026, 11, 25, 19)


def test_chile_allows_two_messages_a_week_read_both_ways() -> None:
    cl = debtor("CL", SCL)
    sent = history(local(SCL, 2026, 11, 23, 10), local(SCL, 2026, 11, 25, 10))
    friday = GATE.check(cl, account(), intent(), local(SCL, 2026, 11, 27, 10), sent)
    assert friday.verdict is Verdict.DEFER
    assert set(friday.rule_ids) == {"cl.frequency.2_per_week", "cl.frequency.2_in_7_days"}
    # The calendar week starts on Monday 00:00, but the rolling week frees a slot only at Monday 10:00.
    assert friday.not_before == local(SCL, 2026, 11, 30, 10)


def test_chile_calendar_week_blocks_even_when_seven_rolling_days_would_not() -> None:
    cl = debtor("CL", SCL)
    sent = history(local(SCL, 2026, 11, 16, 10), local(SCL, 2026, 11, 23, 9), local(SCL, 2026, 11, 25, 10))
    saturday = GATE.check(cl, account(), intent(), local(SCL, 2026, 11, 28, 10), sent)
    assert "cl.frequency.2_per_week" in saturday.rule_ids
    assert saturday.not_before is not None
    assert wall(saturday.not_before, SCL) == "2026-11-30 09:00"


def test_colombia_one_message_a_day() -> None:
    co = debtor("CO", BOG)
    decision = GATE.check(
        co, account(), intent(), local(BOG, 2026, 11, 23, 18), history(local(BOG, 2026, 11, 23, 8))
    )
    assert decision.rule_ids == ("co.frequency.daily", "co.hours")
    # The cap frees at midnight, the window opens at 07:00.
    assert decision.not_before == local(BOG, 2026, 11, 24, 7)


def test_colombia_once_a_message_was_read_no_other_that_week() -> None:
    co = debtor("CO", BOG)
    read_monday = history(local(BOG, 2026, 11, 23, 9), read=True)
    decision = GATE.check(co, account(), intent(), local(BOG, 2026, 11, 24, 9), read_monday)
    assert set(decision.rule_ids) == {"co.frequency.weekly_once_reached", "co.frequency.7_days_once_reached"}
    assert decision.not_before == local(BOG, 2026, 11, 30, 9)
    unread = history(local(BOG, 2026, 11, 23, 9))
    assert GATE.check(co, account(), intent(), local(BOG, 2026, 11, 24, 9), unread).verdict is Verdict.ALLOW


def test_italy_allows_three_a_week() -> None:
    it = debtor("IT", ROM)
    sent = history(local(ROM, 2026, 11, 23, 10), local(ROM, 2026, 11, 24, 10), local(ROM, 2026, 11, 25, 10))
    thursday = GATE.check(it, account(), intent(), local(ROM, 2026, 11, 26, 10), sent)
    assert set(thursday.rule_ids) == {"it.frequency.3_per_week", "it.frequency.3_in_7_days"}
    assert thursday.not_before == local(ROM, 2026, 11, 30, 10)
    two = history(local(ROM, 2026, 11, 23, 10), local(ROM, 2026, 11, 24, 10))
    assert GATE.check(it, account(), intent(), local(ROM, 2026, 11, 26, 10), two).verdict is Verdict.ALLOW


def test_a_cap_release_on_a_closed_day_moves_to_the_next_window() -> None:
    # Default caps for Spain; the 2-in-7 frees on Saturday, when the default hours are closed.
    es = debtor("ES", "Europe/Madrid")
    sent = history(local("Europe/Madrid", 2026, 11, 21, 10), local("Europe/Madrid", 2026, 11, 24, 10))
    decision = GATE.check(es, account(), intent(), local("Europe/Madrid", 2026, 11, 26, 10), sent)
    assert decision.rule_ids == ("default.frequency.2in7", "default.hours")
    assert decision.not_before == local("Europe/Madrid", 2026, 11, 30, 8)


def test_the_daily_cap_counts_per_local_day_in_every_candidate_zone() -> None:
    # Sent at 11:30 in New York (08:30 in Los Angeles): at 20:30 / 17:30 it is the same day in both zones.
    both = debtor("US", NY, "America/Los_Angeles")
    sent = history(local(NY, 2026, 11, 24, 11, 30))
    decision = GATE.check(both, account(), intent(), local(NY, 2026, 11, 24, 20, 30), sent)
    assert decision.rule_ids == ("default.frequency.daily", "us.hours")
    assert decision.not_before == local(NY, 2026, 11, 25, 11)


def test_a_planned_message_later_today_counts_against_the_daily_cap() -> None:
    planned_later = history(local(NY, 2026, 11, 24, 18))
    decision = GATE.check(debtor("US", NY), account(), intent(), local(NY, 2026, 11, 24, 10), planned_later)
    assert decision.verdict is Verdict.DEFER
    assert decision.not_before is not None
    assert decision.not_before - local(NY, 2026, 11, 24, 10) > timedelta(hours=12)
