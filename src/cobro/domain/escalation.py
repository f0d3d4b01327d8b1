"""The escalation ladder: what a creditor's strategy says to do with an account today, and why.

`next_step` reads a strategy (cobro.domain.strategy) for one account: the states that pause or end its
ladder, its segments, the stage messages already sent and their read receipts, the long-debt cadence and
what follows the ladder. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cobro.domain.account_standing import account_segments, held_states
from cobro.domain.contact import (
    AccountContext,
    Action,
    ContactHistory,
    ContactRecord,
    DebtorContext,
    MessageKind,
)
from cobro.domain.strategy import AccountState, AfterAction, Fallback, StateRule, Strategy, _PlannedStage

_UNDELIVERED = frozenset({"accepted", "sent"})


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
    held = held_states(strategy, account, debtor, today)
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


# --- pauses and leaving ---------------------------------------------------------------------------------


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
