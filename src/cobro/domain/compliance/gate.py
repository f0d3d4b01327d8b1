"""The compliance gate: may this message go to this debtor now, later (when), or not at all (why)?

A pure function of its inputs (the rule book and holiday calendar are fixed at construction; caches never
change an answer). Order: BLOCK rules first (consent, opt-out, third parties, pauses, time-barred debt,
WhatsApp's own rules), then DEFER rules (contact windows, public holidays, frequency caps), whose
`not_before` is the earliest instant that satisfies every one of them together. docs/compliance.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cobro.domain.compliance.caps import CapCounter, first_release, keeps_within
from cobro.domain.compliance.findings import (
    block_findings,
    cap_finding,
    holiday_finding,
    hours_finding,
    no_time_finding,
    service_window_after_defer_finding,
    time_barred_after_defer_finding,
)
from cobro.domain.compliance.rules import (
    CapKind,
    ContentMoment,
    JurisdictionRules,
    RuleBook,
    TimeBarredPolicy,
)
from cobro.domain.compliance.windows import (
    HORIZON_DAYS,
    ClosedDay,
    Interval,
    allowed_intervals,
    first_at_or_after,
    local_day_start,
    within_windows,
    zone_named,
)
from cobro.domain.contact import (
    AccountContext,
    ContactHistory,
    DebtorContext,
    GateDecision,
    MessageKind,
    OutboundIntent,
    RuleFinding,
    Verdict,
)

SERVICE_WINDOW = timedelta(hours=24)
_INTERVAL_CACHE_LIMIT = 50_000
_MOMENT_CACHE_LIMIT = 10_000
# country, region, zones, local date, rules in force, local times, their ISO text per zone name, the zones
# outside contact hours, the zones on a public holiday (with its name).
_Moment = tuple[
    str,
    str | None,
    tuple[ZoneInfo, ...],
    date,
    JurisdictionRules,
    list[datetime],
    dict[str, str],
    list[tuple[ZoneInfo, datetime]],
    list[tuple[ZoneInfo, datetime, str]],
]


class HolidayCalendar(Protocol):
    """Public holidays by country and region (the port; adapters.holiday_calendar implements it)."""

    def holiday_name(self, country: str, region: str | None, day: date) -> str | None:
        """The holiday's name when `day` is a public holiday there, else None."""
        ...


class ComplianceGate:
    """Decides ALLOW, DEFER (with the next allowed instant) or BLOCK for one outbound message."""

    def __init__(self, rules: RuleBook, calendar: HolidayCalendar, horizon_days: int = HORIZON_DAYS) -> None:
        """Keep the rule book and the calendar; lookups are cached per gate."""
        self.rules = rules
        self.calendar = calendar
        self.horizon_days = horizon_days
        self._closed_days: dict[tuple[str, str | None, bool], ClosedDay] = {}
        self._intervals: dict[tuple[Any, ...], list[Interval]] = {}
        self._moments: dict[tuple[Any, ...], _Moment] = {}

    def check(
        self,
        debtor: DebtorContext,
        account: AccountContext,
        intent: OutboundIntent,
        now: datetime,
        history: ContactHistory,
    ) -> GateDecision:
        """The decision for sending `intent` to `debtor` about `account` at `now`, given `history`."""
        if now.tzinfo is None:
            raise ValueError("ComplianceGate.check needs an aware `now`")
        moment = self._moment(now, debtor.country, debtor.region, debtor.time_zones)
        country, region, zones, today, rules, local_now, local_times = moment[:7]
        version = self.rules.version
        kind = intent.kind
        inbound = history.last_inbound_at
        window_open = inbound is not None and inbound <= now < inbound + SERVICE_WINDOW
        reply = kind is MessageKind.OPT_OUT_CONFIRMATION or (
            kind is MessageKind.SERVICE_REPLY and window_open
        )
        barred_from = _time_barred_from(rules, account)
        time_barred = barred_from is not None and today >= barred_from
        records = history.collection_messages()
        inputs: dict[str, Any] = {
            "jurisdiction": rules.code,
            "rules_version": version,
            "kind": kind.value,
            "now": now.isoformat(),
            "local_times": local_times,
            "flags": {
                "consent": debtor.consent is not None,
                "opt_out": debtor.opt_out.scope if debtor.opt_out else None,
                "right_party_confirmed": debtor.right_party_confirmed_at is not None,
                "wrong_number": debtor.wrong_number_at is not None,
                "disputed": account.disputed_at is not None,
                "hardship": account.hardship_at is not None,
                "time_barred": time_barred,
                "service_window_open": window_open,
                "reply_exempt_from_timing": reply,
            },
            "required_content": _required_content(rules, time_barred, not records),
        }
        if rules.defaulted:
            inputs["strict_default_for"] = list(rules.defaulted)

        def decide(
            verdict: Verdict, findings: Sequence[RuleFinding], not_before: datetime | None = None
        ) -> GateDecision:
            return GateDecision(verdict, tuple(findings), not_before, rules.code, version, inputs)

        blocks = block_findings(debtor, account, intent, history, rules, now, zones, window_open, barred_from)
        if blocks:
            return decide(Verdict.BLOCK, blocks)
        if reply:
            return decide(Verdict.ALLOW, ())

        counter = CapCounter(records, zones)
        off_hours, holidays = moment[7], moment[8]
        counters: dict[str, dict[str, int]] = {}
        failing_caps = []
        for cap in rules.caps:
            n = counter.count(cap, now)
            counters[cap.rule_id] = (
                {"too_close": n, "min_gap_days": cap.min_gap_days}
                if cap.kind is CapKind.MIN_GAP
                else {"count": n, "max": cap.max_messages}
            )
            if not keeps_within(cap, n):
                failing_caps.append(cap)
        inputs["counters"] = counters
        if not off_hours and not holidays and not failing_caps:
            return decide(Verdict.ALLOW, ())

        not_before, pushed = self._earliest_allowed(country, region, zones, counter, now)
        if not_before is None:
            return decide(Verdict.BLOCK, [no_time_finding(rules, zones, self.horizon_days)])
        if not intent.is_template and inbound is not None and not_before >= inbound + SERVICE_WINDOW:
            return decide(Verdict.BLOCK, [service_window_after_defer_finding(inbound, not_before, zones)])
        later_rules = self.rules.rules_for(country, region, not_before.astimezone(zones[0]).date())
        later_barred = _time_barred_from(later_rules, account)
        if (
            later_rules.limitation is not None
            and later_rules.limitation.policy is TimeBarredPolicy.NO_CONTACT
            and later_barred is not None
            and not_before.astimezone(zones[0]).date() >= later_barred
        ):
            return decide(
                Verdict.BLOCK, [time_barred_after_defer_finding(later_rules, account, later_barred)]
            )

        findings: list[RuleFinding] = []
        if off_hours:
            findings.append(hours_finding(rules, off_hours, local_now, zones, not_before))
        if holidays:
            findings.append(holiday_finding(rules, country, region, holidays, zones, not_before))
        seen = {f.rule_id for f in findings}
        for cap in failing_caps:
            findings.append(cap_finding(rules, cap, counter, now, zones, not_before))
            seen.add(cap.rule_id)
        for rule_id in pushed:
            if rule_id in seen:
                continue
            seen.add(rule_id)
            cap_rule = next((c for c in rules.caps if c.rule_id == rule_id), None)
            if cap_rule is not None:
                findings.append(cap_finding(rules, cap_rule, counter, now, zones, not_before))
            elif rule_id == rules.hours.rule.rule_id:
                findings.append(hours_finding(rules, [], local_now, zones, not_before))
            elif rule_id == rules.holidays.rule.rule_id:
                findings.append(holiday_finding(rules, country, region, [], zones, not_before))
        inputs["not_before_local"] = not_before.astimezone(zones[0]).isoformat(timespec="seconds")
        return decide(Verdict.DEFER, findings, not_before)

    def _moment(
        self, now: datetime, country: str, region: str | None, time_zones: tuple[str, ...]
    ) -> _Moment:
        """What depends only on the instant and the debtor's place: zones, local date and times, the rules
        in force, and which zones are outside hours or on a holiday. Debtors of one place share it, so it is
        computed once per planning instant (the planner checks many debtors at one `now`)."""
        key = (now, country, region, time_zones)
        found = self._moments.get(key)
        if found is not None:
            return found
        country = country.upper()
        region = region.upper() if region else None
        zones = _zones(time_zones)
        today = now.astimezone(zones[0]).date() if zones else now.astimezone(UTC).date()
        rules = self.rules.rules_for(country, region, today)
        local_now = [now.astimezone(zone) for zone in zones]
        local_times = {
            z.key: loc.isoformat(timespec="seconds") for z, loc in zip(zones, local_now, strict=True)
        }
        closed = self._closed_day(country, region, rules.holidays.closed)
        off_hours = [
            (z, loc) for z, loc in zip(zones, local_now, strict=True) if not within_windows(loc, rules.hours)
        ]
        holidays = [
            (z, loc, name) for z, loc in zip(zones, local_now, strict=True) if (name := closed(loc.date()))
        ]
        moment: _Moment = (country, region, zones, today, rules, local_now, local_times, off_hours, holidays)
        if len(self._moments) >= _MOMENT_CACHE_LIMIT:
            self._moments.clear()
        self._moments[key] = moment
        return moment

    def _earliest_allowed(
        self,
        country: str,
        region: str | None,
        zones: tuple[ZoneInfo, ...],
        counter: CapCounter,
        now: datetime,
    ) -> tuple[datetime | None, list[str]]:
        """The first instant from `now` allowed by windows, holidays and caps together, under the rules of
        that day; with the rule ids that pushed it later. Iterates window -> cap release -> window."""
        limit = now + timedelta(days=self.horizon_days)
        pushed: list[str] = []
        t = now
        for _ in range(128):
            rules = self.rules.rules_for(country, region, t.astimezone(zones[0]).date())
            until = local_day_start(rules.valid_until, zones[0]) if rules.valid_until else None
            window = self._next_window(rules, country, region, zones, t)
            if window is None or window >= limit:
                if until is not None and until < limit:
                    t = until
                    continue
                return None, pushed
            if until is not None and window >= until:
                t = until  # another row applies from then: look again under its rules
                continue
            if window > t:
                closed = self._closed_day(country, region, rules.holidays.closed)
                on_holiday = any(closed(t.astimezone(zone).date()) for zone in zones)
                pushed.append((rules.holidays if on_holiday else rules.hours).rule.rule_id)
            release, cap_ids = first_release(counter, rules.caps, window)
            pushed.extend(cap_ids)
            if release == window:
                return window, list(dict.fromkeys(pushed))
            t = release
        return None, pushed

    def _next_window(
        self,
        rules: JurisdictionRules,
        country: str,
        region: str | None,
        zones: tuple[ZoneInfo, ...],
        at: datetime,
    ) -> datetime | None:
        """The first instant >= `at` inside the windows of every zone, from cached intervals."""
        day = at.astimezone(UTC).date()
        key = (rules.key, country, region, zones, day)
        intervals = self._intervals.get(key)
        if intervals is None:
            lo = datetime(day.year, day.month, day.day, tzinfo=UTC)
            hi = lo + timedelta(days=self.horizon_days + 2)
            closed = self._closed_day(country, region, rules.holidays.closed)
            intervals = allowed_intervals(lo, hi, zones, rules.hours, closed)
            if len(self._intervals) >= _INTERVAL_CACHE_LIMIT:
                self._intervals.clear()
            self._intervals[key] = intervals
        return first_at_or_after(intervals, at)

    def _closed_day(self, country: str, region: str | None, holidays_closed: bool) -> ClosedDay:
        """A function naming the holiday on a local date when holidays close contact, else never closed."""
        key = (country, region, holidays_closed)
        closed = self._closed_days.get(key)
        if closed is None:
            if holidays_closed:
                calendar = self.calendar

                def closed(day: date) -> str | None:
                    return calendar.holiday_name(country, region, day)

            else:

                def closed(day: date) -> str | None:
                    return None

            self._closed_days[key] = closed
        return closed


def _zones(keys: Sequence[str]) -> tuple[ZoneInfo, ...]:
    """The debtor's candidate zones, or () when any name is unknown (the gate then blocks: no local time)."""
    zones: list[ZoneInfo] = []
    for key in keys:
        try:
            zone = zone_named(key)
        except (ZoneInfoNotFoundError, ValueError):
            return ()
        if zone not in zones:
            zones.append(zone)
    return tuple(zones)


def _time_barred_from(rules: JurisdictionRules, account: AccountContext) -> date | None:
    """The local date from which the account's oldest open debt is time-barred, when a rule says so."""
    if rules.limitation is None or account.oldest_due_date is None:
        return None
    due = account.oldest_due_date
    years = rules.limitation.years
    try:
        return due.replace(year=due.year + years)
    except ValueError:  # 29 February
        return due.replace(year=due.year + years, day=28)


def _required_content(rules: JurisdictionRules, time_barred: bool, first_contact: bool) -> list[str]:
    """The content ids the message must carry here, now."""
    required = [
        item.rule.rule_id for item in rules.content if item.moment is ContentMoment.ALWAYS or first_contact
    ]
    if time_barred and rules.limitation is not None and rules.limitation.policy is TimeBarredPolicy.DISCLOSE:
        required.extend(rules.limitation.disclosures)
    return required
