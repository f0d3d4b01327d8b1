"""A creditor's collection strategy as frozen data: the ladder of stages, what follows it, pauses, segments.

A strategy is a ladder of stages placed in days relative to the oldest open due date (negative before it),
what happens once the ladder is over, which account states pause it or end it, and segment rules that
change a stage's template, timing or menu. `Strategy.plan_for` applies the segment rules. Standard library
only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from cobro.domain.conversation.policy import ConversationPolicy

MENU_OPTIONS = ("PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "TALK_TO_AGENT", "OPT_OUT")
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
    conversation: ConversationPolicy = field(default_factory=ConversationPolicy)
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
class StrategyVersion:
    """One stored version of a creditor's strategy."""

    version: int
    name: str
    created_at: datetime
    created_by: str


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


def _count(amount: int, noun: str) -> str:
    return f"{amount} {noun}" if amount == 1 else f"{amount} {noun}s"
