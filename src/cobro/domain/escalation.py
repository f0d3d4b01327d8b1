"""The escalation ladder: a creditor's strategy as frozen data, and what it says to do with an account today.

A strategy is a ladder of stages placed in days relative to the oldest open due date (negative before it),
what happens once the ladder is over, which account states pause it or end it, and segment rules that
change a stage's template, timing or menu. `next_step` reads it for one account; `resolve_template` picks
an approved template and language, or says why none is usable. Standard library only.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cobro.domain.contact import (
    AccountContext,
    Action,
    ContactHistory,
    ContactRecord,
    DebtorContext,
    MessageKind,
    PlanStatus,
)

MENU_OPTIONS = ("PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "TALK_TO_AGENT", "OPT_OUT")
TEMPLATE_LANGUAGES = ("es", "en", "pt_BR", "it")
AGE_SEGMENTS = ("age_0_30", "age_30_90", "age_90_plus")
AMOUNT_SEGMENTS = ("amount_low", "amount_mid", "amount_high")
BEHAVIOUR_SEGMENTS = (
    "first_time_late",
    "habitual_late",
    "broken_promise",
    "partial_payer",
    "on_plan",
    "plan_broken",
    "disputed",
)
SEGMENT_NAMES = AGE_SEGMENTS + AMOUNT_SEGMENTS + BEHAVIOUR_SEGMENTS
CREDITOR_LANGUAGE = "creditor"  # in Fallback.languages: the creditor's own language
_DEBTOR_TO_TEMPLATE_LANGUAGE = {"es": "es", "en": "en", "pt": "pt_BR", "it": "it"}
_UNDELIVERED = frozenset({"accepted", "sent"})


class AfterAction(enum.StrEnum):
    """What happens once the ladder's last stage is over."""

    HAND_TO_AGENT = "hand_to_agent"
    STOP = "stop"
    CADENCE = "cadence"  # a long-debt stage repeated every N days


# The next step a catalogue template announces to the debtor; the final notice must tell the truth.
ANNOUNCED_NEXT_STEP: Mapping[str, AfterAction] = {
    "cobro_final_notice_agent": AfterAction.HAND_TO_AGENT,
    "cobro_final_notice_last_message": AfterAction.STOP,
    "cobro_final_notice_checkins": AfterAction.CADENCE,
}


class AccountState(enum.StrEnum):
    """A state of the account or debtor that the strategy answers with leave or pause."""

    PAID = "paid"
    OPTED_OUT = "opted_out"
    WRONG_NUMBER = "wrong_number"
    DISPUTED = "disputed"
    HARDSHIP = "hardship"
    PLAN_CURRENT = "plan_current"
    PROMISE_PENDING = "promise_pending"


class StateRule(enum.StrEnum):
    """Leave: once the state has happened the ladder stops for good. Pause: skip while the state holds."""

    LEAVE = "leave"
    PAUSE = "pause"


class FallbackEnd(enum.StrEnum):
    """What to do when no template and language of a stage is approved."""

    SKIP = "skip"
    HAND_TO_AGENT = "hand_to_agent"


DEFAULT_STATES: Mapping[AccountState, StateRule] = {
    AccountState.PAID: StateRule.LEAVE,
    AccountState.OPTED_OUT: StateRule.LEAVE,
    AccountState.WRONG_NUMBER: StateRule.PAUSE,
    AccountState.DISPUTED: StateRule.PAUSE,
    AccountState.HARDSHIP: StateRule.PAUSE,
    AccountState.PLAN_CURRENT: StateRule.PAUSE,
    AccountState.PROMISE_PENDING: StateRule.PAUSE,
}


@dataclass(frozen=True, slots=True)
class Timing:
    """How read receipts move the next stage."""

    read_no_reply_advance_days: int = 2  # read and not answered: the next stage may start this much earlier
    undelivered_delay_days: int = 2  # sent but never delivered: the next stage waits this much longer


@dataclass(frozen=True, slots=True)
class Fallback:
    """Where to go when a stage's template is not approved in the debtor's language."""

    languages: tuple[str, ...] = (CREDITOR_LANGUAGE, "en")  # tried in order after the debtor's language
    templates: tuple[str, ...] = ()  # other templates, each tried in the same languages
    then: FallbackEnd = FallbackEnd.SKIP


@dataclass(frozen=True, slots=True)
class Stage:
    """One rung of the ladder, or the repeating long-debt stage when `repeat_every_days` is set."""

    id: str
    label: str  # said in reasons: "First overdue notice"
    start_day: int  # days from the due date, negative before it
    end_day: int | None  # inclusive; None only for a repeating stage without an end
    template: str
    menu: tuple[str, ...]
    fallback: Fallback = Fallback()  # the document's stage fallback, or else its default one
    repeat_every_days: int | None = None
    # For the final notice: the template for each after-action, so it states the next step truthfully;
    # `template` is the one in force for the strategy's `after`.
    templates_by_after: tuple[tuple[AfterAction, str], ...] = ()


@dataclass(frozen=True, slots=True)
class StageOverride:
    """What a segment changes in one stage."""

    stage: str
    template: str | None = None
    menu: tuple[str, ...] | None = None
    shift_days: int = 0  # moves the stage's window: negative is earlier
    every_days: int | None = None  # the repeating (cadence) stage only: how often it repeats


@dataclass(frozen=True, slots=True)
class Segment:
    """A segment rule: for accounts in segment `name`, these stage overrides (first matching rule wins)."""

    name: str
    overrides: tuple[StageOverride, ...]
    note: str = ""  # why, said in reasons: "uses the repeat wording"


@dataclass(frozen=True, slots=True)
class AmountBands:
    """Amount thresholds for one currency: below mid_from is low, from high_from on is high."""

    currency: str
    mid_from: Decimal
    high_from: Decimal


@dataclass(frozen=True, slots=True)
class _PlannedStage:
    """A stage as it applies to one combination of segments."""

    index: int
    stage: Stage
    start: int
    end: int | None
    template: str
    menu: tuple[str, ...]
    fallback: Fallback
    notes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    every_days: int | None = None  # the repeating stage's interval for these segments


@dataclass(frozen=True, slots=True)
class Strategy:
    """A creditor's collection strategy, as the planner uses it."""

    name: str
    ladder: tuple[Stage, ...]
    after: AfterAction = AfterAction.HAND_TO_AGENT
    cadence: Stage | None = None  # the long-debt stage; in force only when `after` is CADENCE
    timing: Timing = Timing()
    states: Mapping[AccountState, StateRule] = field(default_factory=lambda: dict(DEFAULT_STATES))
    amount_bands: tuple[AmountBands, ...] = ()
    segments: tuple[Segment, ...] = ()
    fallback: Fallback = Fallback()
    description: str = ""
    _plans: dict[tuple[str, ...], tuple[_PlannedStage, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def plan_for(self, segments: tuple[str, ...]) -> tuple[_PlannedStage, ...]:
        """The stages (ladder, then the cadence stage when in force) as they apply to these segments."""
        plan = self._plans.get(segments)
        if plan is None:
            plan = _build_plan(self, segments)
            self._plans[segments] = plan
        return plan

    def stage(self, stage_id: str) -> Stage | None:
        """The ladder or cadence stage with this id, or None."""
        for stage in self.ladder:
            if stage.id == stage_id:
                return stage
        return self.cadence if self.cadence is not None and self.cadence.id == stage_id else None

    def bands_for(self, currency: str) -> AmountBands | None:
        """The amount thresholds for a currency, or None when the strategy sets none."""
        for bands in self.amount_bands:
            if bands.currency == currency:
                return bands
        return None


@dataclass(frozen=True, slots=True)
class LadderStep:
    """What the ladder says about one account today, with the reason a person reads."""

    action: Action  # SEND, SKIP (paused or left the ladder) or NONE (nothing due today)
    stage: str | None
    template: str | None
    menu: tuple[str, ...]
    segments: tuple[str, ...]
    rule_ids: tuple[str, ...]
    reason: str
    after: AfterAction | None = None  # for the final stage and once the ladder is over
    fallback: Fallback | None = None  # for SEND: what choose_template falls back to
    days_from_due: int | None = None
    next_on: date | None = None  # for NONE and waits: the local date the next stage may start


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """The approved template and language to send, and which fallback (if any) led to it."""

    template: str
    language: str
    note: str = ""  # empty when the stage's own template in the debtor's language is approved
    fallback_used: bool = False


@dataclass(frozen=True, slots=True)
class TemplateUnavailable:
    """No template or language the stage allows is approved: what was tried and what the strategy says."""

    template: str
    language: str
    then: FallbackEnd
    tried: tuple[tuple[str, str], ...]
    reason: str


@dataclass(frozen=True, slots=True)
class StrategyVersion:
    """One stored version of a creditor's strategy."""

    version: int
    name: str
    created_at: datetime
    created_by: str


def template_language(language: str) -> str:
    """The WhatsApp template language code for a debtor's ISO 639-1 language ("pt" -> "pt_BR")."""
    return _DEBTOR_TO_TEMPLATE_LANGUAGE.get(language, language)


def account_segments(strategy: Strategy, account: AccountContext, today: date) -> tuple[str, ...]:
    """Every segment the account is in today, in SEGMENT_NAMES order."""
    found: list[str] = []
    due = account.oldest_due_date
    days = (today - due).days if due is not None else None
    if days is not None:  # not yet due counts as the youngest band
        found.append("age_0_30" if days <= 30 else "age_30_90" if days < 90 else "age_90_plus")
    outstanding = account.outstanding
    bands = strategy.bands_for(outstanding.currency) if strategy.amount_bands else None
    if bands is not None and outstanding.amount > 0:
        amount = outstanding.amount
        found.append(
            "amount_high"
            if amount >= bands.high_from
            else "amount_mid"
            if amount >= bands.mid_from
            else "amount_low"
        )
    if days is not None and days > 0 and account.paid_late_before == 0:
        found.append("first_time_late")
    if account.paid_late_before >= 2:
        found.append("habitual_late")
    owed = outstanding.amount > 0
    if account.promise_broken_at is not None or (
        account.promise_until is not None and account.promise_until < today and owed
    ):
        found.append("broken_promise")
    original = account.original_amount
    if (
        original is not None
        and original.currency == outstanding.currency
        and 0 < outstanding.amount < original.amount
    ):
        found.append("partial_payer")
    if account.plan_status is PlanStatus.CURRENT:
        found.append("on_plan")
    elif account.plan_status is PlanStatus.BROKEN:
        found.append("plan_broken")
    if account.disputed_at is not None:
        found.append("disputed")
    return tuple(found)


def next_step(
    strategy: Strategy,
    account: AccountContext,
    debtor: DebtorContext,
    history: ContactHistory,
    today: date,
) -> LadderStep:
    """What the strategy says to do with this account on `today` (the debtor's local date)."""
    segments = account_segments(strategy, account, today)
    due = account.oldest_due_date
    days = (today - due).days if due is not None else None
    held = _held_states(strategy, account, debtor, today)
    if held:
        return _held_step(held, segments, days)
    if due is None or days is None:
        return LadderStep(
            Action.NONE, None, None, (), segments, (), "No open invoice has a due date, so no stage applies."
        )
    plan = strategy.plan_for(segments)
    zone = _zone(debtor.time_zones[0]) if debtor.time_zones else UTC
    records = _cycle_records(plan, account.id, history, due, zone)
    return _ladder_step(strategy, plan, records, history, due, days, segments)


def resolve_template(
    stage_template: str,
    fallback: Fallback | None,
    debtor_language: str,
    approved: Collection[tuple[str, str]],
    *,
    creditor_language: str | None = None,
    statuses: Mapping[tuple[str, str], str] | None = None,
) -> TemplateChoice | TemplateUnavailable:
    """The first approved (template, language) the stage allows, or what was tried and what to do instead."""
    if fallback is None:  # no fallback: the template in the debtor's language, or skip
        fallback = Fallback(languages=())
    primary = template_language(debtor_language)
    languages = [primary]
    for language in fallback.languages:
        if language == CREDITOR_LANGUAGE:
            if creditor_language is None:
                continue
            language = template_language(creditor_language)
        if language not in languages:
            languages.append(language)
    tried: list[tuple[str, str]] = []
    for name in (stage_template, *fallback.templates):
        for language in languages:
            if (name, language) in approved:
                if name == stage_template and language == primary:
                    return TemplateChoice(name, language)
                what = "fallback language" if name == stage_template else "fallback template"
                note = f"{_status_phrase(stage_template, primary, statuses)}; using {name} in {language} ({what})"
                return TemplateChoice(name, language, note, fallback_used=True)
            tried.append((name, language))
    others = ", ".join(f"{n}/{lang}" for n, lang in tried[1:]) or "none"
    reason = (
        f"template {_status_phrase(stage_template, primary, statuses)} and no fallback is approved "
        f"(tried {others}); the strategy says {fallback.then.value.replace('_', ' ')}"
    )
    return TemplateUnavailable(stage_template, primary, fallback.then, tuple(tried), reason)


def choose_template(
    stage_template: str,
    fallback: Fallback | None,
    debtor_language: str,
    approved: Collection[tuple[str, str]],
    *,
    creditor_language: str | None = None,
) -> TemplateChoice | None:
    """The approved template and language to send, or None (resolve_template says why)."""
    found = resolve_template(
        stage_template, fallback, debtor_language, approved, creditor_language=creditor_language
    )
    return found if isinstance(found, TemplateChoice) else None


def _status_phrase(template: str, language: str, statuses: Mapping[tuple[str, str], str] | None) -> str:
    status = (statuses or {}).get((template, language))
    return f"{template} is {status} in {language}" if status else f"{template} is not approved in {language}"


# --- the plan for a combination of segments -------------------------------------------------------------


def _build_plan(strategy: Strategy, segments: tuple[str, ...]) -> tuple[_PlannedStage, ...]:
    stages = list(strategy.ladder)
    if strategy.after is AfterAction.CADENCE and strategy.cadence is not None:
        stages.append(strategy.cadence)
    matching = [rule for rule in strategy.segments if rule.name in segments]
    planned: list[_PlannedStage] = []
    for index, stage in enumerate(stages):
        template, menu, shift, every = stage.template, stage.menu, 0, stage.repeat_every_days
        template_set = menu_set = shift_set = every_set = False
        notes: list[str] = []
        rule_ids: list[str] = []
        for rule in matching:  # the first matching rule decides each field
            for override in rule.overrides:
                if override.stage != stage.id:
                    continue
                used = False
                if override.template is not None and not template_set:
                    template, template_set, used = override.template, True, True
                if override.menu is not None and not menu_set:
                    menu, menu_set, used = override.menu, True, True
                if override.shift_days and not shift_set:
                    shift, shift_set, used = override.shift_days, True, True
                if override.every_days and stage.repeat_every_days and not every_set:
                    every, every_set, used = override.every_days, True, True
                if used:
                    notes.append(f"segment {rule.name} {rule.note or _override_phrase(override)}")
                    rule_ids.append(f"strategy.segment.{rule.name}")
        end = stage.end_day + shift if stage.end_day is not None else None
        planned.append(
            _PlannedStage(
                index=index,
                stage=stage,
                start=stage.start_day + shift,
                end=end,
                template=template,
                menu=menu,
                fallback=stage.fallback,
                notes=tuple(notes),
                rule_ids=tuple(dict.fromkeys(rule_ids)),
                every_days=every,
            )
        )
    return tuple(planned)


def _override_phrase(override: StageOverride) -> str:
    parts = []
    if override.template is not None:
        parts.append(f"uses template {override.template}")
    if override.menu is not None:
        parts.append(f"offers {', '.join(override.menu)}")
    if override.shift_days:
        amount = abs(override.shift_days)
        parts.append(f"moves it {_count(amount, 'day')} {'earlier' if override.shift_days < 0 else 'later'}")
    if override.every_days:
        parts.append(f"repeats it every {_count(override.every_days, 'day')}")
    return " and ".join(parts)


# --- pauses and leaving ---------------------------------------------------------------------------------


def _held_states(
    strategy: Strategy, account: AccountContext, debtor: DebtorContext, today: date
) -> list[tuple[AccountState, StateRule, str]]:
    """The states that pause the ladder or end it, each with the sentence that says so."""
    held: list[tuple[AccountState, StateRule, str]] = []
    states = strategy.states

    def check(state: AccountState, present: bool, happened: bool, sentence: str) -> None:
        rule = states.get(state, StateRule.PAUSE)
        if (rule is StateRule.LEAVE and happened) or (rule is StateRule.PAUSE and present):
            held.append((state, rule, sentence))

    owed = account.outstanding
    if owed.amount <= 0:
        check(AccountState.PAID, True, True, "nothing is owed")
    if debtor.opt_out is not None:
        check(AccountState.OPTED_OUT, True, True, f"the debtor opted out on {debtor.opt_out.at.date()}")
    wrong = debtor.wrong_number_at
    if wrong is not None and (
        debtor.right_party_confirmed_at is None or debtor.right_party_confirmed_at < wrong
    ):
        check(
            AccountState.WRONG_NUMBER,
            True,
            True,
            f"someone at this phone said on {wrong.date()} it is not the debtor",
        )
    if account.disputed_at is not None:
        check(AccountState.DISPUTED, True, True, f"the debt is disputed since {account.disputed_at.date()}")
    if account.hardship_at is not None:
        check(
            AccountState.HARDSHIP, True, True, f"the debtor reported hardship on {account.hardship_at.date()}"
        )
    if account.plan_status is not PlanStatus.NONE:
        current = account.plan_status is PlanStatus.CURRENT
        sentence = (
            "a payment plan is current" if current else "the account was on a payment plan (now broken)"
        )
        check(AccountState.PLAN_CURRENT, current, True, sentence)
    promise = account.promise_until
    if promise is not None or account.promise_broken_at is not None:
        pending = promise is not None and promise >= today and account.promise_broken_at is None
        sentence = f"a promise to pay by {promise} is pending" if pending else "a promise to pay was made"
        check(AccountState.PROMISE_PENDING, pending, True, sentence)
    return held


def _held_step(
    held: list[tuple[AccountState, StateRule, str]], segments: tuple[str, ...], days: int | None
) -> LadderStep:
    rule_ids = tuple(f"strategy.{rule.value}.{state.value}" for state, rule, _ in held)
    leaving = [sentence for _, rule, sentence in held if rule is StateRule.LEAVE]
    pausing = [sentence for _, rule, sentence in held if rule is StateRule.PAUSE]
    parts = []
    if leaving:
        parts.append(f"Left the ladder: {'; '.join(leaving)}.")
    if pausing:
        parts.append(f"Paused until this changes: {'; '.join(pausing)}.")
    reason = " ".join(parts)
    # Nothing owed is not a blocked contact: there is nothing to collect, so nothing is stored each day.
    action = Action.NONE if all(state is AccountState.PAID for state, _, _ in held) else Action.SKIP
    return LadderStep(
        action, None, None, (), segments, rule_ids, reason[:1].upper() + reason[1:], days_from_due=days
    )


# --- the ladder -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sent:
    index: int
    day: int  # days from the due date, in the debtor's zone
    record: ContactRecord


_ZONES: dict[str, tzinfo] = {}


def _zone(name: str) -> tzinfo:
    zone = _ZONES.get(name)
    if zone is None:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):  # unknown zone: the gate blocks the debtor
            zone = UTC
        _ZONES[name] = zone
    return zone


def _cycle_records(
    plan: tuple[_PlannedStage, ...], account_id: int, history: ContactHistory, due: date, zone: tzinfo
) -> list[_Sent]:
    """The stage messages sent (or planned, not failed) for this account since its ladder began."""
    if not history.outbound:
        return []
    index = {p.stage.id: p.index for p in plan}
    first = min(p.start for p in plan)
    found = []
    for record in history.outbound:
        if record.account_id != account_id or record.kind is not MessageKind.COLLECTION:
            continue
        if record.status == "failed" or record.stage not in index:
            continue
        day = (record.at.astimezone(zone).date() - due).days
        if day >= first:  # older messages belong to an earlier debt of this account
            found.append(_Sent(index[record.stage], day, record))
    found.sort(key=lambda sent: sent.record.at)
    return found


def _is_read(record: ContactRecord) -> bool:
    return record.read_at is not None or record.status == "read"


def _ladder_step(
    strategy: Strategy,
    plan: tuple[_PlannedStage, ...],
    records: list[_Sent],
    history: ContactHistory,
    due: date,
    days: int,
    segments: tuple[str, ...],
) -> LadderStep:
    last = records[-1] if records else None
    last_index = last.index if last is not None else -1
    cadence = plan[-1] if plan[-1].stage.repeat_every_days else None
    if cadence is not None and last is not None and last.index == cadence.index:
        return _cadence_repeat(strategy, cadence, last, due, days, segments)
    timing = strategy.timing
    chosen: tuple[_PlannedStage, int, str] | None = None  # stage, start, adjustment
    upcoming: tuple[_PlannedStage, int] | None = None
    waiting: tuple[_PlannedStage, int] | None = None
    ladder_end = max(p.end for p in plan if p.end is not None and not p.stage.repeat_every_days)
    for planned in plan[last_index + 1 :]:
        start, end, adjustment = planned.start, planned.end, ""
        if last is not None and planned.index == last_index + 1:
            if _is_read(last.record):
                inbound = history.last_inbound_at
                replied = history.replied_since is not None or (
                    inbound is not None and inbound > last.record.at
                )
                if not replied:
                    floor = max(last.day + 1, 1) if planned.start >= 1 else last.day + 1
                    start = max(start - timing.read_no_reply_advance_days, floor)
                    adjustment = "advance" if start < planned.start else ""
            elif last.record.status in _UNDELIVERED and timing.undelivered_delay_days:
                start += timing.undelivered_delay_days
                end = end + timing.undelivered_delay_days if end is not None else None
                adjustment = "undelivered"
                if planned.start <= days < start:
                    waiting = (planned, start)
        if end is not None and not planned.stage.repeat_every_days:
            ladder_end = max(ladder_end, end)
        if start <= days and (end is None or days <= end):
            chosen = (planned, start, adjustment)  # the latest stage whose window holds today wins
        elif start > days and upcoming is None:
            upcoming = (planned, start)
    if chosen is not None:
        planned, start, adjustment = chosen
        return _send(strategy, planned, last if adjustment else None, adjustment, due, days, segments)
    if waiting is not None:
        planned, start = waiting
        reason = (
            f"{planned.stage.label} waits until day {start} ({due + timedelta(days=start)}): the previous "
            f"message was sent on {due + timedelta(days=last.day) if last else due} but never delivered"
        )
        return LadderStep(
            Action.SKIP,
            planned.stage.id,
            None,
            (),
            segments,
            ("strategy.read_receipt.wait",),
            reason + ".",
            days_from_due=days,
            next_on=due + timedelta(days=start),
        )
    if upcoming is not None:
        planned, start = upcoming
        on = due + timedelta(days=start)
        done = ""
        if last is not None:
            done = f"{plan[last.index].stage.label} was sent on {due + timedelta(days=last.day)}; "
        reason = f"Nothing due today ({_day_phrase(days)}): {done}{planned.stage.label} starts on day {start} ({on})."
        return LadderStep(Action.NONE, None, None, (), segments, (), reason, days_from_due=days, next_on=on)
    if days <= ladder_end and last is not None:
        on = due + timedelta(days=ladder_end + 1)
        reason = (
            f"Nothing due today ({_day_phrase(days)}): {plan[last.index].stage.label} was sent on "
            f"{due + timedelta(days=last.day)}; the ladder ends on day {ladder_end}, then "
            f"{_after_phrase_short(strategy.after)}."
        )
        return LadderStep(
            Action.NONE,
            None,
            None,
            (),
            segments,
            (),
            reason,
            after=strategy.after,
            days_from_due=days,
            next_on=on,
        )
    return _after_ladder(strategy, last, days, segments, due)


def _send(
    strategy: Strategy,
    planned: _PlannedStage,
    previous: _Sent | None,
    adjustment: str,
    due: date,
    days: int,
    segments: tuple[str, ...],
) -> LadderStep:
    stage = planned.stage
    parts = [f"{stage.label}: {_day_phrase(days)}", *planned.notes]
    rule_ids = [f"strategy.stage.{stage.id}", *planned.rule_ids]
    if adjustment == "advance" and previous is not None:
        early = planned.start - days
        if early > 0:
            parts.append(
                f"{_count(early, 'day')} early because the previous message "
                f"(sent {due + timedelta(days=previous.day)}) was read and not answered"
            )
            rule_ids.append("strategy.read_receipt.advance")
    after = None
    if planned.every_days:
        after = AfterAction.CADENCE
        parts.append(f"first check-in, then every {_count(planned.every_days, 'day')} while it is read")
    elif planned.index == len(strategy.ladder) - 1:
        after = strategy.after
        parts.append(_after_phrase(strategy.after))
    return LadderStep(
        Action.SEND,
        stage.id,
        planned.template,
        planned.menu,
        segments,
        tuple(rule_ids),
        "; ".join(parts) + ".",
        after=after,
        fallback=planned.fallback,
        days_from_due=days,
    )


def _cadence_repeat(
    strategy: Strategy, cadence: _PlannedStage, last: _Sent, due: date, days: int, segments: tuple[str, ...]
) -> LadderStep:
    stage = cadence.stage
    sent_on = due + timedelta(days=last.day)
    every = cadence.every_days or 1  # today's segments decide: e.g. less often once the debt is older
    record = last.record
    if record.status == "delivered" and not _is_read(record):
        reason = (
            f"{stage.label} waits: the last one (sent {sent_on}) was delivered but not read, and a check-in "
            "is never followed by another until it is read."
        )
        return LadderStep(
            Action.SKIP,
            stage.id,
            None,
            (),
            segments,
            ("strategy.read_receipt.wait",),
            reason,
            after=AfterAction.CADENCE,
            days_from_due=days,
        )
    gap = every
    extra = ""
    if record.status in _UNDELIVERED:
        gap += strategy.timing.undelivered_delay_days
        extra = f" (plus {_count(strategy.timing.undelivered_delay_days, 'day')}: it was never delivered)"
    next_day = last.day + gap
    if cadence.end is not None and next_day > cadence.end:
        reason = f"{stage.label}s ended on day {cadence.end}; the last one was sent on {sent_on}."
        return LadderStep(
            Action.NONE,
            None,
            None,
            (),
            segments,
            ("strategy.after.cadence_ended",),
            reason,
            days_from_due=days,
        )
    if days >= next_day:
        parts = [
            f"{stage.label}: {_day_phrase(days)}",
            *cadence.notes,
            f"repeats every {_count(every, 'day')}{extra}",
        ]
        return LadderStep(
            Action.SEND,
            stage.id,
            cadence.template,
            cadence.menu,
            segments,
            (f"strategy.stage.{stage.id}", *cadence.rule_ids),
            "; ".join(parts) + ".",
            after=AfterAction.CADENCE,
            fallback=cadence.fallback,
            days_from_due=days,
        )
    on = due + timedelta(days=next_day)
    reason = f"Nothing due today: the last {stage.label.lower()} was sent on {sent_on}; the next is on {on}{extra}."
    return LadderStep(
        Action.NONE,
        None,
        None,
        (),
        segments,
        (),
        reason,
        after=AfterAction.CADENCE,
        days_from_due=days,
        next_on=on,
    )


def _after_ladder(
    strategy: Strategy,
    last: _Sent | None,
    days: int,
    segments: tuple[str, ...],
    due: date,
) -> LadderStep:
    after = strategy.after
    if after is AfterAction.CADENCE:  # a cadence stage with an end that has passed, and never sent
        reason = f"The ladder is over ({_day_phrase(days)}) and its long-debt window has ended."
        return LadderStep(
            Action.NONE,
            None,
            None,
            (),
            segments,
            ("strategy.after.cadence_ended",),
            reason,
            days_from_due=days,
        )
    sent = f"; the last message was sent on {due + timedelta(days=last.day)}" if last is not None else ""
    reason = f"The ladder is over ({_day_phrase(days)}){sent}: {_after_phrase_short(after)}."
    return LadderStep(
        Action.NONE,
        None,
        None,
        (),
        segments,
        (f"strategy.after.{after.value}",),
        reason,
        after=after,
        days_from_due=days,
    )


def _after_phrase_short(after: AfterAction) -> str:
    if after is AfterAction.HAND_TO_AGENT:
        return "the account goes to an agent"
    if after is AfterAction.STOP:
        return "the strategy sends nothing more"
    return "long-debt check-ins follow"


def _after_phrase(after: AfterAction) -> str:
    if after is AfterAction.HAND_TO_AGENT:
        return "after it the account goes to an agent, as the message says"
    if after is AfterAction.STOP:
        return "it is the last message, as it says"
    return "after it come long-debt check-ins"


def _day_phrase(days: int) -> str:
    if days < 0:
        return f"{_count(-days, 'day')} before the due date"
    if days == 0:
        return "due today"
    return f"{_count(days, 'day')} past due"


def _count(amount: int, noun: str) -> str:
    return f"{amount} {noun}" if amount == 1 else f"{amount} {noun}s"


def strategy_summary(strategy: Strategy) -> dict[str, Any]:
    """A short description of the ladder for people: stages with their days, templates and menus."""
    stages = [
        {
            "id": s.id,
            "label": s.label,
            "days": [s.start_day, s.end_day],
            "template": s.template,
            "menu": list(s.menu),
            **({"every_days": s.repeat_every_days} if s.repeat_every_days else {}),
        }
        for s in (
            *strategy.ladder,
            *((strategy.cadence,) if strategy.after is AfterAction.CADENCE and strategy.cadence else ()),
        )
    ]
    return {"name": strategy.name, "after": strategy.after.value, "stages": stages}
