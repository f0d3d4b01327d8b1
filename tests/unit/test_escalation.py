"""The escalation ladder: stages, segments, pauses and leaving, read receipts, cadence, template fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cobro.adapters.strategy_documents import dump_strategy, parse_strategy_document
from cobro.domain.account_standing import account_segments
from cobro.domain.accounts import OptOut
from cobro.domain.contact import (
    AccountContext,
    Action,
    ContactHistory,
    ContactRecord,
    DebtorContext,
    MessageKind,
    PlanStatus,
)
from cobro.domain.escalation import LadderStep, next_step
from cobro.domain.money import Money
from cobro.domain.strategy import AfterAction, Fallback, FallbackEnd, Strategy
from cobro.domain.template_choice import (
    TemplateChoice,
    TemplateUnavailable,
    choose_template,
    resolve_template,
    template_language,
)

DEFAULT = parse_strategy_document((resources.files("cobro") / "strategies" / "default.yaml").read_text())
DUE = date(2026, 12, 1)
ZONE = ZoneInfo("America/Mexico_City")


def variant(**changes: Any) -> Strategy:
    """The default strategy with top-level document keys replaced (nested dicts merged one level)."""
    document = dump_strategy(DEFAULT)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    return parse_strategy_document(document)


def account(**changes: Any) -> AccountContext:
    values: dict[str, Any] = {
        "id": 7,
        "reference": "A-7",
        "creditor_id": 1,
        "outstanding": Money(Decimal("500.00"), "MXN"),
        "oldest_due_date": DUE,
        "original_amount": Money(Decimal("500.00"), "MXN"),
        "paid_late_before": 1,  # neither first-time nor habitual unless a test says so
    }
    values.update(changes)
    return AccountContext(**values)


def debtor(**changes: Any) -> DebtorContext:
    values: dict[str, Any] = {
        "id": 3,
        "phone": "+525512345678",
        "country": "MX",
        "language": "es",
        "time_zones": ("America/Mexico_City",),
    }
    values.update(changes)
    return DebtorContext(**values)


def at(day: int, hour: int = 11) -> datetime:
    """An instant on a day of the ladder, in the debtor's zone."""
    return datetime.combine(DUE + timedelta(days=day), time(hour), ZONE).astimezone(UTC)


def sent(day: int, stage: str, status: str | None = "delivered", read: bool = False, account_id: int = 7):
    return ContactRecord(
        at=at(day),
        kind=MessageKind.COLLECTION,
        stage=stage,
        account_id=account_id,
        status="read" if read else status,
        read_at=at(day, 15) if read else None,
    )


def step(
    day: int,
    *records: ContactRecord,
    strategy: Strategy = DEFAULT,
    acc: AccountContext | None = None,
    deb: DebtorContext | None = None,
    last_inbound_at: datetime | None = None,
) -> LadderStep:
    history = ContactHistory(outbound=records, last_inbound_at=last_inbound_at)
    return next_step(strategy, acc or account(), deb or debtor(), history, DUE + timedelta(days=day))


# --- stages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "stage", "template", "menu"),
    [
        (-5, "reminder", "cobro_reminder_before_due", ("PAY_NOW", "MORE_TIME", "TALK_TO_AGENT")),
        (-3, "reminder", "cobro_reminder_before_due", ("PAY_NOW", "MORE_TIME", "TALK_TO_AGENT")),
        (
            1,
            "first_notice",
            "cobro_overdue_notice",
            ("PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "TALK_TO_AGENT"),
        ),
        (
            2,
            "first_notice",
            "cobro_overdue_notice",
            ("PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "TALK_TO_AGENT"),
        ),
        (7, "plan_offer", "cobro_plan_options", ("PAYMENT_PLAN", "PAY_NOW", "TALK_TO_AGENT")),
        (10, "plan_offer", "cobro_plan_options", ("PAYMENT_PLAN", "PAY_NOW", "TALK_TO_AGENT")),
        (20, "final_notice", "cobro_final_notice_checkins", ("PAY_NOW", "PAYMENT_PLAN", "TALK_TO_AGENT")),
        (30, "final_notice", "cobro_final_notice_checkins", ("PAY_NOW", "PAYMENT_PLAN", "TALK_TO_AGENT")),
    ],
)
def test_each_stage_is_due_inside_its_window(day, stage, template, menu):
    found = step(day)
    assert (found.action, found.stage, found.template, found.menu) == (Action.SEND, stage, template, menu)
    assert found.rule_ids[0] == f"strategy.stage.{stage}"
    assert found.days_from_due == day
    assert found.fallback is not None


@pytest.mark.parametrize(("day", "next_day"), [(-9, -5), (-2, 1), (0, 1), (3, 7), (11, 20)])
def test_between_windows_nothing_is_due_and_the_next_start_is_given(day, next_day):
    found = step(day)
    assert found.action is Action.NONE
    assert found.next_on == DUE + timedelta(days=next_day)
    assert f"starts on day {next_day}" in found.reason


def test_the_reason_says_the_stage_and_the_days():
    assert step(2).reason == "First overdue notice: 2 days past due."
    assert step(-4).reason == "Reminder before the due date: 4 days before the due date."


def test_a_stage_already_sent_is_not_sent_again_in_its_window():
    found = step(-4, sent(-5, "reminder"))
    assert found.action is Action.NONE
    assert "Reminder before the due date was sent on 2026-11-26" in found.reason


def test_a_planned_stage_counts_as_sent():
    assert step(2, sent(1, "first_notice", status=None)).action is Action.NONE


def test_a_failed_stage_message_is_tried_again_within_its_window():
    found = step(2, sent(1, "first_notice", status="failed"))
    assert (found.action, found.stage) == (Action.SEND, "first_notice")


def test_a_stage_missed_entirely_is_not_sent_late():
    found = step(12, sent(1, "first_notice"))
    assert found.action is Action.NONE
    assert found.next_on == DUE + timedelta(days=20)


def test_an_earlier_stage_is_never_sent_after_a_later_one():
    found = step(2, sent(-2, "plan_offer"))  # e.g. a segment moved it; the ladder only goes forward
    assert found.action is Action.NONE


def test_messages_of_other_accounts_and_of_an_earlier_debt_do_not_count():
    other = sent(1, "first_notice", account_id=8)
    earlier_debt = sent(-20, "first_notice")  # before this ladder's first day: an earlier invoice's
    assert step(2, other, earlier_debt).action is Action.SEND


def test_an_account_without_a_due_date_has_nothing_due():
    found = step(3, acc=account(oldest_due_date=None))
    assert found.action is Action.NONE
    assert found.reason == "No open invoice has a due date, so no stage applies."


# --- the final notice and after the ladder --------------------------------------------------------------

HANDING = variant(after={"action": "hand_to_agent"})  # the default with an agent taking over


def test_the_default_final_notice_says_check_ins_follow():
    found = step(20)
    assert (found.template, found.after) == ("cobro_final_notice_checkins", AfterAction.CADENCE)
    assert "after it come long-debt check-ins" in found.reason


def test_the_final_notice_says_an_agent_follows_when_the_strategy_hands_over():
    found = step(20, strategy=HANDING)
    assert found.after is AfterAction.HAND_TO_AGENT
    assert found.template == "cobro_final_notice_agent"
    assert "goes to an agent" in found.reason


def test_the_final_notice_says_it_is_the_last_message_when_the_strategy_stops():
    found = step(20, strategy=variant(after={"action": "stop"}))
    assert (found.template, found.after) == ("cobro_final_notice_last_message", AfterAction.STOP)
    assert "last message" in found.reason


def test_after_the_final_window_the_account_goes_to_an_agent_when_the_strategy_hands_over():
    found = step(31, sent(20, "final_notice"), strategy=HANDING)
    assert (found.action, found.after, found.rule_ids) == (
        Action.NONE,
        AfterAction.HAND_TO_AGENT,
        ("strategy.after.hand_to_agent",),
    )


def test_after_the_final_notice_the_rest_of_its_window_waits():
    found = step(25, sent(20, "final_notice"))
    assert found.action is Action.NONE
    assert found.next_on == DUE + timedelta(days=31)
    assert found.reason.endswith("Long-debt check-in starts on day 31 (2027-01-01).")
    handing = step(25, sent(20, "final_notice"), strategy=HANDING)
    assert (handing.action, handing.next_on) == (Action.NONE, DUE + timedelta(days=31))
    assert handing.after is AfterAction.HAND_TO_AGENT


def test_a_stopping_strategy_sends_nothing_after_the_ladder():
    found = step(45, sent(20, "final_notice"), strategy=variant(after={"action": "stop"}))
    assert (found.action, found.rule_ids) == (Action.NONE, ("strategy.after.stop",))


# --- cadence (the default after the ladder) -------------------------------------------------------------


def test_the_first_long_debt_check_in_comes_the_day_after_the_ladder():
    assert step(30, sent(20, "final_notice")).action is Action.NONE
    found = step(31, sent(20, "final_notice"))
    assert (found.action, found.stage, found.template) == (
        Action.SEND,
        "long_debt",
        "cobro_long_debt_checkin",
    )
    assert found.menu == ("PAY_NOW", "PAYMENT_PLAN", "TALK_TO_AGENT")
    assert found.after is AfterAction.CADENCE
    assert found.reason == (
        "Long-debt check-in: 31 days past due; segment age_30_90 checks in every two weeks; "
        "first check-in, then every 14 days while it is read."
    )
    assert "strategy.segment.age_30_90" in found.rule_ids


def test_a_read_check_in_repeats_every_14_days_while_the_debt_is_under_90_days_old():
    read = sent(31, "long_debt", read=True)
    waiting = step(44, sent(20, "final_notice"), read)
    assert (waiting.action, waiting.next_on) == (Action.NONE, DUE + timedelta(days=45))
    found = step(45, sent(20, "final_notice"), read)
    assert (found.action, found.stage) == (Action.SEND, "long_debt")
    assert "age_30_90" in found.segments
    assert found.reason.endswith("; repeats every 14 days.")


def test_a_read_check_in_repeats_every_30_days_once_the_debt_is_90_days_old():
    read = sent(95, "long_debt", read=True)
    waiting = step(124, read)
    assert (waiting.action, waiting.next_on) == (Action.NONE, DUE + timedelta(days=125))
    found = step(125, read)
    assert (found.action, found.stage, found.template) == (
        Action.SEND,
        "long_debt",
        "cobro_long_debt_checkin",
    )
    assert "age_90_plus" in found.segments
    assert "segment age_90_plus checks in every 30 days once the debt is 90 days old" in found.reason
    assert found.reason.endswith("; repeats every 30 days.")
    assert "strategy.segment.age_90_plus" in found.rule_ids


def test_the_age_on_the_day_of_planning_picks_the_interval():
    read = sent(87, "long_debt", read=True)  # sent at 87 days, when check-ins came every 14 days
    assert step(89, read).next_on == DUE + timedelta(days=101)
    at_ninety = step(101, read)  # 90 days and more: every 30 days from the last one
    assert (at_ninety.action, at_ninety.next_on) == (Action.NONE, DUE + timedelta(days=117))
    assert step(117, read).action is Action.SEND


def test_without_the_age_rules_the_cadence_keeps_its_own_interval():
    document = dump_strategy(DEFAULT)
    document["segments"] = [r for r in document["segments"] if not r["segment"].startswith("age_")]
    document["after"]["cadence"]["every_days"] = 21
    strategy = parse_strategy_document(document)
    read = sent(95, "long_debt", read=True)
    assert step(115, read, strategy=strategy).action is Action.NONE
    found = step(116, read, strategy=strategy)
    assert found.action is Action.SEND
    assert found.reason == "Long-debt check-in: 116 days past due; repeats every 21 days."


@pytest.mark.parametrize("last_day", [31, 95])
def test_a_check_in_delivered_but_not_read_is_not_followed_by_another(last_day):
    found = step(last_day + 60, sent(last_day, "long_debt", status="delivered"))
    assert (found.action, found.rule_ids) == (Action.SKIP, ("strategy.read_receipt.wait",))
    assert "delivered but not read" in found.reason


def test_an_undelivered_check_in_waits_the_extra_days():
    undelivered = sent(31, "long_debt", status="sent")
    assert step(46, undelivered).action is Action.NONE
    assert step(47, undelivered).action is Action.SEND


def test_a_stopping_strategy_sends_no_check_in():
    stopping = variant(after={"action": "stop"})
    found = step(95, sent(20, "final_notice"), strategy=stopping)
    assert (found.action, found.rule_ids) == (Action.NONE, ("strategy.after.stop",))
    assert step(95, sent(20, "final_notice"), strategy=HANDING).rule_ids == ("strategy.after.hand_to_agent",)


def test_check_ins_stop_at_their_last_day():
    ladder = dump_strategy(DEFAULT)
    ladder["after"]["cadence"]["until_day"] = 50
    strategy = parse_strategy_document(ladder)
    found = step(60, sent(45, "long_debt", read=True), strategy=strategy)
    assert (found.action, found.rule_ids) == (Action.NONE, ("strategy.after.cadence_ended",))


# --- segments -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "band"),
    [(-4, "age_0_30"), (30, "age_0_30"), (31, "age_30_90"), (89, "age_30_90"), (90, "age_90_plus")],
)
def test_age_bands(day, band):
    assert band in account_segments(DEFAULT, account(), DUE + timedelta(days=day))


@pytest.mark.parametrize(
    ("amount", "currency", "band"),
    [
        ("1999.99", "MXN", "amount_low"),
        ("2000", "MXN", "amount_mid"),
        ("20000", "MXN", "amount_high"),
        ("5", "GBP", None),
    ],
)
def test_amount_bands_follow_the_documents_thresholds_per_currency(amount, currency, band):
    money = Money(Decimal(amount), currency)
    found = account_segments(DEFAULT, account(outstanding=money, original_amount=money), DUE)
    assert [s for s in found if s.startswith("amount_")] == ([band] if band else [])


@pytest.mark.parametrize(
    ("changes", "day", "segment", "present"),
    [
        ({"paid_late_before": 0}, 3, "first_time_late", True),
        ({"paid_late_before": 0}, -3, "first_time_late", False),  # not late yet
        ({"paid_late_before": 1}, 3, "first_time_late", False),
        ({"paid_late_before": 2}, 3, "habitual_late", True),
        ({"paid_late_before": 1}, 3, "habitual_late", False),
        ({"promise_broken_at": datetime(2026, 12, 2, tzinfo=UTC)}, 3, "broken_promise", True),
        ({"promise_until": date(2026, 12, 2)}, 3, "broken_promise", True),
        ({"promise_until": date(2026, 12, 9)}, 3, "broken_promise", False),
        ({"outstanding": Money(Decimal("200.00"), "MXN")}, 3, "partial_payer", True),
        ({}, 3, "partial_payer", False),
        ({"plan_status": PlanStatus.CURRENT}, 3, "on_plan", True),
        ({"plan_status": PlanStatus.BROKEN}, 3, "plan_broken", True),
        ({"disputed_at": datetime(2026, 12, 2, tzinfo=UTC)}, 3, "disputed", True),
    ],
)
def test_behaviour_segments(changes, day, segment, present):
    found = account_segments(DEFAULT, account(**changes), DUE + timedelta(days=day))
    assert (segment in found) is present


def test_habitual_late_payers_get_the_repeat_wording_at_the_first_notice():
    found = step(2, acc=account(paid_late_before=3))
    assert found.template == "cobro_overdue_notice_repeat"
    assert (
        found.reason
        == "First overdue notice: 2 days past due; segment habitual_late uses the repeat wording."
    )
    assert "strategy.segment.habitual_late" in found.rule_ids
    assert "habitual_late" in found.segments


def test_a_broken_promise_gets_the_repeat_wording():
    found = step(1, acc=account(promise_broken_at=datetime(2026, 11, 30, tzinfo=UTC)))
    assert found.template == "cobro_overdue_notice_repeat"


def test_a_partial_payer_hears_the_balance_and_that_rule_comes_first():
    found = step(1, acc=account(outstanding=Money(Decimal("120.00"), "MXN"), paid_late_before=4))
    assert found.template == "cobro_partial_payment_balance"
    assert "partial_payer" in found.segments
    assert "habitual_late" in found.segments


def test_the_stage_template_is_unchanged_at_other_stages():
    assert step(7, acc=account(paid_late_before=3)).template == "cobro_plan_options"


def test_high_amounts_get_the_plan_offer_three_days_sooner():
    high = Money(Decimal("25000"), "MXN")
    found = step(4, acc=account(outstanding=high, original_amount=high))
    assert (found.action, found.stage) == (Action.SEND, "plan_offer")
    assert "segment amount_high gets the plan offer three days sooner" in found.reason
    assert step(4).action is Action.NONE


def test_a_segment_can_change_the_menu():
    document = dump_strategy(DEFAULT)
    document["segments"].insert(
        0, {"segment": "disputed", "stages": {"first_notice": {"menu": ["TALK_TO_AGENT"]}}}
    )
    document["states"]["disputed"] = "pause"
    strategy = parse_strategy_document(document)
    found = step(1, strategy=strategy, acc=account(paid_late_before=3, disputed_at=None))
    assert found.menu == ("PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "TALK_TO_AGENT")
    first_time = account(paid_late_before=0)
    document["segments"].insert(
        0, {"segment": "first_time_late", "stages": {"first_notice": {"menu": ["PAY_NOW"]}}}
    )
    found = step(1, strategy=parse_strategy_document(document), acc=first_time)
    assert found.menu == ("PAY_NOW",)
    assert "segment first_time_late offers PAY_NOW" in found.reason


# --- pauses and leaving ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acc_changes", "debtor_changes", "rule"),
    [
        ({"outstanding": Money(Decimal("0"), "MXN")}, {}, "strategy.leave.paid"),
        ({"plan_status": PlanStatus.CURRENT}, {}, "strategy.pause.plan_current"),
        ({"promise_until": date(2026, 12, 5)}, {}, "strategy.pause.promise_pending"),
        ({"disputed_at": datetime(2026, 12, 1, tzinfo=UTC)}, {}, "strategy.pause.disputed"),
        ({"hardship_at": datetime(2026, 12, 1, tzinfo=UTC)}, {}, "strategy.pause.hardship"),
        (
            {},
            {"opt_out": OptOut(datetime(2026, 12, 1, tzinfo=UTC), "channel", "whatsapp")},
            "strategy.leave.opted_out",
        ),
        ({}, {"wrong_number_at": datetime(2026, 12, 1, tzinfo=UTC)}, "strategy.pause.wrong_number"),
    ],
)
def test_each_state_pauses_or_leaves_the_ladder_as_the_default_says(acc_changes, debtor_changes, rule):
    found = step(2, acc=account(**acc_changes), deb=debtor(**debtor_changes))
    # A paid account has nothing to collect: "none", not a blocked contact stored every day.
    expected = Action.NONE if rule == "strategy.leave.paid" else Action.SKIP
    assert (found.action, found.rule_ids, found.stage, found.template) == (expected, (rule,), None, None)


def test_the_reason_names_every_state_that_holds():
    found = step(
        2,
        acc=account(promise_until=date(2026, 12, 5), hardship_at=datetime(2026, 12, 1, tzinfo=UTC)),
    )
    assert found.rule_ids == ("strategy.pause.hardship", "strategy.pause.promise_pending")
    assert found.reason == (
        "Paused until this changes: the debtor reported hardship on 2026-12-01; "
        "a promise to pay by 2026-12-05 is pending."
    )


def test_a_paused_ladder_resumes_at_the_next_window_once_the_promise_has_passed():
    promised = account(promise_until=date(2026, 12, 5))
    assert step(4, acc=promised).action is Action.SKIP
    found = step(7, acc=promised)
    assert (found.action, found.stage) == (Action.SEND, "plan_offer")
    assert "broken_promise" in found.segments


def test_a_broken_plan_resumes_the_ladder_under_the_default():
    found = step(7, acc=account(plan_status=PlanStatus.BROKEN))
    assert (found.action, found.stage) == (Action.SEND, "plan_offer")


def test_leaving_is_for_good_once_the_state_has_happened():
    strategy = variant(states={"promise_pending": "leave", "plan_current": "leave"})
    passed = step(7, acc=account(promise_until=date(2026, 12, 5)), strategy=strategy)
    assert (passed.action, passed.rule_ids) == (Action.SKIP, ("strategy.leave.promise_pending",))
    assert passed.reason == "Left the ladder: a promise to pay was made."
    broken = step(7, acc=account(plan_status=PlanStatus.BROKEN), strategy=strategy)
    assert broken.rule_ids == ("strategy.leave.plan_current",)


def test_a_pause_can_be_made_a_leave_and_a_leave_a_pause():
    strategy = variant(states={"paid": "pause", "disputed": "leave"})
    assert step(2, acc=account(outstanding=Money(Decimal("0"), "MXN")), strategy=strategy).rule_ids == (
        "strategy.pause.paid",
    )
    disputed = account(disputed_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert step(2, acc=disputed, strategy=strategy).rule_ids == ("strategy.leave.disputed",)


def test_a_wrong_number_clears_once_the_right_person_confirms():
    confirmed = debtor(
        wrong_number_at=datetime(2026, 12, 1, tzinfo=UTC),
        right_party_confirmed_at=datetime(2026, 12, 2, tzinfo=UTC),
    )
    assert step(2, deb=confirmed).action is Action.SEND


# --- read receipts --------------------------------------------------------------------------------------


def test_read_and_not_answered_brings_the_next_stage_two_days_sooner():
    read = sent(1, "first_notice", read=True)
    assert step(4, read).action is Action.NONE
    found = step(5, read)
    assert (found.action, found.stage) == (Action.SEND, "plan_offer")
    assert "strategy.read_receipt.advance" in found.rule_ids
    assert (
        "2 days early because the previous message (sent 2026-12-02) was read and not answered"
        in found.reason
    )


def test_read_and_answered_keeps_the_normal_timing():
    read = sent(1, "first_notice", read=True)
    assert step(5, read, last_inbound_at=at(1, 18)).action is Action.NONE
    assert step(7, read, last_inbound_at=at(1, 18)).action is Action.SEND


def test_an_overdue_notice_is_never_brought_before_the_due_date():
    read = sent(-5, "reminder", read=True)
    assert step(-1, read).action is Action.NONE
    assert step(0, read).action is Action.NONE
    assert step(1, read).stage == "first_notice"


def test_the_next_stage_never_starts_before_the_day_after_the_read_message():
    strategy = variant(timing={"read_no_reply_advance_days": 6})
    read = sent(2, "first_notice", read=True)
    assert step(2, read, strategy=strategy).action is Action.NONE
    assert step(3, read, strategy=strategy).stage == "plan_offer"


def test_an_undelivered_message_delays_the_next_stage():
    undelivered = sent(1, "first_notice", status="sent")
    waiting = step(7, undelivered)
    assert (waiting.action, waiting.rule_ids, waiting.next_on) == (
        Action.SKIP,
        ("strategy.read_receipt.wait",),
        DUE + timedelta(days=9),
    )
    assert "never delivered" in waiting.reason
    assert step(9, undelivered).stage == "plan_offer"
    assert step(12, undelivered).stage == "plan_offer"  # its window moved with it


def test_delivered_but_not_read_keeps_the_normal_timing():
    delivered = sent(1, "first_notice", status="delivered")
    assert step(6, delivered).action is Action.NONE
    assert step(7, delivered).stage == "plan_offer"


def test_record_dates_are_read_in_the_debtors_zone():
    # 02:00 UTC on 2 December is still 1 December (day 0) in Mexico City, so the next stage may start on
    # day 1 (the day after it), not day 2 as a UTC date would say
    late_evening = ContactRecord(
        at=datetime(2026, 12, 2, 2, 0, tzinfo=UTC),
        kind=MessageKind.COLLECTION,
        stage="first_notice",
        account_id=7,
        status="read",
    )
    found = step(1, late_evening, strategy=variant(timing={"read_no_reply_advance_days": 6}))
    assert (found.action, found.stage) == (Action.SEND, "plan_offer")


# --- templates ------------------------------------------------------------------------------------------

APPROVED = {
    ("cobro_overdue_notice", "es"),
    ("cobro_overdue_notice", "en"),
    ("cobro_overdue_notice", "pt_BR"),
    ("cobro_plan_options", "en"),
}


def test_the_stage_template_in_the_debtors_language_is_chosen_when_approved():
    assert choose_template("cobro_overdue_notice", Fallback(), "es", APPROVED) == TemplateChoice(
        "cobro_overdue_notice", "es"
    )


def test_portuguese_debtors_get_brazilian_templates():
    assert template_language("pt") == "pt_BR"
    found = choose_template("cobro_overdue_notice", Fallback(), "pt", APPROVED)
    assert found is not None
    assert found.language == "pt_BR"


def test_the_creditors_language_comes_before_english():
    approved = {("cobro_plan_options", "es"), ("cobro_plan_options", "en")}
    found = choose_template("cobro_plan_options", Fallback(), "it", approved, creditor_language="es")
    assert found == TemplateChoice(
        "cobro_plan_options",
        "es",
        "cobro_plan_options is not approved in it; using cobro_plan_options in es (fallback language)",
        fallback_used=True,
    )


def test_english_is_tried_when_the_creditors_language_is_not_approved_either():
    found = choose_template("cobro_plan_options", Fallback(), "it", APPROVED, creditor_language="es")
    assert found is not None
    assert (found.template, found.language) == ("cobro_plan_options", "en")


def test_another_template_is_tried_after_the_languages():
    fallback = Fallback(languages=(), templates=("cobro_overdue_notice",))
    found = choose_template("cobro_plan_options", fallback, "es", APPROVED)
    assert found is not None
    assert (found.template, found.language) == ("cobro_overdue_notice", "es")
    assert "fallback template" in found.note


def test_nothing_usable_gives_none_and_the_reason_with_what_the_strategy_says():
    fallback = Fallback(languages=("en",), then=FallbackEnd.HAND_TO_AGENT)
    assert choose_template("cobro_final_notice_agent", fallback, "it", APPROVED) is None
    found = resolve_template(
        "cobro_final_notice_agent",
        fallback,
        "it",
        APPROVED,
        statuses={("cobro_final_notice_agent", "it"): "REJECTED"},
    )
    assert isinstance(found, TemplateUnavailable)
    assert found.then is FallbackEnd.HAND_TO_AGENT
    assert found.tried == (("cobro_final_notice_agent", "it"), ("cobro_final_notice_agent", "en"))
    assert found.reason.startswith(
        "template cobro_final_notice_agent is REJECTED in it and no fallback is approved (tried cobro_final_notice_agent/en)"
    )
    assert found.reason.endswith("the strategy says hand to agent")


def test_the_default_final_notice_hands_to_an_agent_when_no_template_is_approved():
    found = step(20)
    assert found.fallback is not None
    assert found.fallback.then is FallbackEnd.HAND_TO_AGENT
    assert step(7).fallback.templates == ("cobro_overdue_notice",)


def test_the_ladder_is_deterministic():
    records = (sent(1, "first_notice", read=True),)
    assert step(5, *records) == step(5, *records)
