"""Every BLOCK rule, the single opt-out confirmation, and what replies to the debtor are exempt from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from cobro.domain.accounts import OptOut
from cobro.domain.compliance import ComplianceGate, load_rule_book
from cobro.domain.contact import ContactHistory, ContactRecord, MessageKind, Verdict

from .builders import account, debtor, history, intent, local

GATE = ComplianceGate(load_rule_book(), type("NoHolidays", (), {"holiday_name": lambda *a: None})())
NOW = local("America/Bogota", 2026, 11, 24, 10)  # a Tuesday morning: inside Colombia's hours
LATE = local("America/Bogota", 2026, 11, 24, 22)  # outside them
OPT_OUT = OptOut(at=NOW - timedelta(hours=1), scope="all_contact", source="whatsapp")


def check(**parts: object) -> tuple[str, ...]:
    decision = GATE.check(
        parts.get("debtor", debtor()),  # type: ignore[arg-type]
        parts.get("account", account()),  # type: ignore[arg-type]
        parts.get("intent", intent()),  # type: ignore[arg-type]
        parts.get("now", NOW),  # type: ignore[arg-type]
        parts.get("history", history()),  # type: ignore[arg-type]
    )
    if decision.verdict is Verdict.BLOCK:
        assert decision.findings
        assert all(f.reason and f.citation for f in decision.findings)
        assert decision.not_before is None
    return (decision.verdict.value, *decision.rule_ids)


def test_an_ordinary_reminder_is_allowed() -> None:
    assert check() == ("allow",)


@pytest.mark.parametrize(
    ("parts", "rule_id"),
    [
        ({"debtor": debtor(consent=None)}, "consent.missing"),
        ({"debtor": debtor(opt_out=OPT_OUT)}, "opt_out.recorded"),
        ({"intent": intent(to_phone="+573009999999")}, "third_party.unlisted_number"),
        ({"debtor": debtor(wrong_number_at=NOW - timedelta(days=1))}, "third_party.wrong_number"),
        ({"debtor": debtor(right_party_confirmed_at=None)}, "third_party.right_party_unconfirmed"),
        ({"account": account(disputed_at=NOW - timedelta(days=2))}, "pause.dispute"),
        ({"account": account(hardship_at=NOW - timedelta(days=2))}, "pause.hardship"),
        ({"intent": intent(is_template=False)}, "whatsapp.service_window"),
        ({"intent": intent(template_approved=False)}, "whatsapp.template_not_approved"),
    ],
)
def test_each_block_rule(parts: dict[str, object], rule_id: str) -> None:
    assert check(**parts) == ("block", rule_id)


def test_block_rules_win_over_contact_hours_and_are_all_reported() -> None:
    result = check(debtor=debtor(consent=None, opt_out=OPT_OUT), now=LATE)
    assert result == ("block", "consent.missing", "opt_out.recorded")


def test_a_right_party_check_says_nothing_of_the_debt_so_needs_no_confirmation() -> None:
    unconfirmed = debtor(right_party_confirmed_at=None)
    rpc = intent(MessageKind.RIGHT_PARTY_CHECK, mentions_debt=False)
    assert check(debtor=unconfirmed, intent=rpc) == ("allow",)


def test_right_party_unconfirmed_message_names_the_rule_and_the_next_step() -> None:
    decision = GATE.check(debtor(right_party_confirmed_at=None), account(), intent(), NOW, history())
    assert "right-party check" in decision.findings[0].reason
    assert decision.findings[0].citation.startswith("Ley 2300")


def test_opt_out_is_confirmed_exactly_once() -> None:
    opted = debtor(opt_out=OPT_OUT)
    confirmation = intent(MessageKind.OPT_OUT_CONFIRMATION, mentions_debt=False, is_template=False)
    inbound = ContactHistory(last_inbound_at=OPT_OUT.at)
    assert check(debtor=opted, intent=confirmation, history=inbound) == ("allow",)
    confirmed = replace(
        inbound,
        outbound=(
            ContactRecord(at=OPT_OUT.at + timedelta(minutes=1), kind=MessageKind.OPT_OUT_CONFIRMATION),
        ),
    )
    assert check(debtor=opted, intent=confirmation, history=confirmed) == ("block", "opt_out.recorded")


def test_a_confirmation_sent_before_an_earlier_opt_out_does_not_use_up_the_new_one() -> None:
    opted = debtor(opt_out=OPT_OUT)
    old = ContactRecord(at=OPT_OUT.at - timedelta(days=30), kind=MessageKind.OPT_OUT_CONFIRMATION)
    confirmation = intent(MessageKind.OPT_OUT_CONFIRMATION, mentions_debt=False)
    assert check(debtor=opted, intent=confirmation, history=ContactHistory(outbound=(old,))) == ("allow",)


def test_an_opt_out_confirmation_needs_an_opt_out() -> None:
    confirmation = intent(MessageKind.OPT_OUT_CONFIRMATION, mentions_debt=False)
    assert check(intent=confirmation) == ("block", "opt_out.recorded")


def test_the_opt_out_confirmation_goes_out_at_night_and_past_the_caps() -> None:
    opted = debtor(opt_out=OPT_OUT)
    confirmation = intent(MessageKind.OPT_OUT_CONFIRMATION, mentions_debt=False)
    busy = history(LATE - timedelta(hours=2))
    assert check(debtor=opted, intent=confirmation, now=LATE, history=busy) == ("allow",)


def test_a_service_reply_inside_the_24_hour_window_is_exempt_from_hours_and_caps() -> None:
    reply = intent(MessageKind.SERVICE_REPLY, is_template=False)
    wrote = history(LATE - timedelta(hours=3), last_inbound_at=LATE - timedelta(minutes=5))
    assert check(intent=reply, now=LATE, history=wrote) == ("allow",)


def test_a_service_reply_still_respects_opt_out_and_right_party() -> None:
    reply = intent(MessageKind.SERVICE_REPLY, is_template=False)
    wrote = history(last_inbound_at=NOW - timedelta(minutes=5))
    assert check(debtor=debtor(opt_out=OPT_OUT), intent=reply, history=wrote) == ("block", "opt_out.recorded")
    unconfirmed = debtor(right_party_confirmed_at=None)
    assert check(debtor=unconfirmed, intent=reply, history=wrote) == (
        "block",
        "third_party.right_party_unconfirmed",
    )


def test_a_reply_inside_the_window_answers_whoever_wrote_but_outside_it_needs_consent() -> None:
    # The debtor's own message asks to be answered (WhatsApp's user-initiated conversation), even from a
    # number other than the one on record (the bot verifies identity before it discloses anything); a
    # template sent after the window is a message Cobro starts, and needs consent and the number on record.
    reply = intent(MessageKind.SERVICE_REPLY, is_template=False)
    wrote = history(last_inbound_at=NOW - timedelta(minutes=5))
    assert check(debtor=debtor(consent=None), intent=reply, history=wrote) == ("allow",)
    elsewhere = intent(MessageKind.SERVICE_REPLY, is_template=False, to_phone="+5215550009999")
    assert check(intent=elsewhere, history=wrote) == ("allow",)
    later = intent(MessageKind.SERVICE_REPLY)
    stale = history(last_inbound_at=NOW - timedelta(hours=30))
    assert check(debtor=debtor(consent=None), intent=later, history=stale) == ("block", "consent.missing")


def test_a_service_reply_answers_a_disputing_debtor() -> None:
    # Pauses stop collection the company starts, not answers to what the debtor asked.
    reply = intent(MessageKind.SERVICE_REPLY, is_template=False)
    wrote = history(last_inbound_at=NOW - timedelta(minutes=5))
    assert check(account=account(disputed_at=NOW - timedelta(days=1)), intent=reply, history=wrote) == (
        "allow",
    )


def test_a_free_form_reply_after_the_window_closed_is_blocked() -> None:
    reply = intent(MessageKind.SERVICE_REPLY, is_template=False)
    stale = history(last_inbound_at=NOW - timedelta(hours=24))
    assert check(intent=reply, history=stale) == ("block", "whatsapp.service_window")


def test_a_templated_reply_after_the_window_is_an_ordinary_message_with_hours() -> None:
    reply = intent(MessageKind.SERVICE_REPLY)
    stale = history(last_inbound_at=LATE - timedelta(hours=30))
    assert check(intent=reply, now=LATE, history=stale) == ("defer", "co.hours")


def test_a_free_form_message_that_could_only_go_after_the_window_closes_is_blocked() -> None:
    # 22:00 with the window open until 23:00: the next allowed time (07:00) is too late for free form.
    free = intent(is_template=False)
    wrote = history(last_inbound_at=LATE - timedelta(hours=23))
    assert check(intent=free, now=LATE, history=wrote) == ("block", "whatsapp.service_window")


def test_a_debt_that_becomes_time_barred_before_the_next_allowed_time_is_blocked() -> None:
    # Mexico bars after 10 years; the debt is barred from Wednesday, and Tuesday 22:00 is outside hours.
    mexico = debtor("MX", "America/Mexico_City")
    due = date(2016, 11, 25)
    now = local("America/Mexico_City", 2026, 11, 24, 22, 30)
    decision = GATE.check(mexico, account(oldest_due_date=due), intent(), now, history())
    assert decision.verdict is Verdict.BLOCK
    assert decision.rule_ids == ("mx.time_barred",)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        GATE.check(debtor(), account(), intent(), datetime(2026, 11, 24, 10), history())


def test_check_does_not_depend_on_the_caller_time_zone_of_now() -> None:
    in_utc = GATE.check(debtor(), account(), intent(), LATE.astimezone(UTC), history())
    assert in_utc.not_before == local("America/Bogota", 2026, 11, 25, 7)
