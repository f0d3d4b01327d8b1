"""The gate's findings: which rule stopped a message, said in a sentence a person understands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from cobro.domain.compliance.caps import CapCounter
from cobro.domain.compliance.rules import (
    DEFAULT_CODE,
    WEEKDAY_NAMES,
    FrequencyCap,
    JurisdictionRules,
    Rule,
    TimeBarredPolicy,
)
from cobro.domain.contact import (
    AccountContext,
    ContactHistory,
    DebtorContext,
    MessageKind,
    OutboundIntent,
    RuleFinding,
)
from cobro.domain.masking import mask_phone

_INITIATED = frozenset({MessageKind.COLLECTION, MessageKind.RIGHT_PARTY_CHECK})
POLICY = "Cobro policy (docs/compliance.md)"
CITATIONS = {
    "consent.missing": f"{POLICY}; 47 CFR 64.1200(a) (TCPA); Ley 2300 de 2023, art. 2; GDPR art. 6",
    "opt_out.recorded": f"{POLICY}: honoured at once; 47 CFR 64.1200(a)(10)-(12); 15 USC 1692c(c)",
    "third_party.unlisted_number": f"{POLICY}: only the number the debtor gave with consent",
    "third_party.wrong_number": f"{POLICY}: a wrong-number answer suppresses the number for this debt",
    "pause.dispute": f"{POLICY}; 12 CFR 1006.38; 940 CMR 7.08(2); FCA CONC 7.14.1R",
    "pause.hardship": f"{POLICY}; FCA CONC 7.3; Directive (EU) 2023/2225, art. 35",
    "whatsapp.service_window": "WhatsApp Business Platform: free-form messages only within 24 hours of the user's",
    "whatsapp.template_not_approved": "WhatsApp Business Messaging Policy: business-initiated messages use approved templates",
    "time_zone.unknown": f"{POLICY}: contact hours are checked in the debtor's local time",
}


def block_findings(
    debtor: DebtorContext,
    account: AccountContext,
    intent: OutboundIntent,
    history: ContactHistory,
    rules: JurisdictionRules,
    now: datetime,
    zones: Sequence[ZoneInfo],
    window_open: bool,
    barred_from: date | None,
) -> list[RuleFinding]:
    """Every BLOCK rule the message breaks; empty when none does."""
    found: list[RuleFinding] = []
    kind = intent.kind

    def add(rule_id: str, reason: str, citation: str = "") -> None:
        found.append(RuleFinding(rule_id, reason, citation or CITATIONS.get(rule_id, POLICY)))

    if not zones:
        add(
            "time_zone.unknown",
            f"The debtor's time zones {list(debtor.time_zones)} are missing or unknown, so "
            "Cobro cannot tell the local time and sends nothing until a valid IANA zone is on record.",
        )
    # A reply inside the window answers the person who wrote: their message is the request to be answered,
    # and the bot discloses nothing before they prove who they are (domain/conversation).
    answering = kind is MessageKind.SERVICE_REPLY and window_open
    if kind is not MessageKind.OPT_OUT_CONFIRMATION and debtor.consent is None and not answering:
        add(
            "consent.missing",
            "There is no record of the debtor's consent to be contacted on WhatsApp by this "
            "creditor; Cobro sends nothing without it.",
        )
    opt_out = debtor.opt_out
    if kind is MessageKind.OPT_OUT_CONFIRMATION:
        if opt_out is None:
            add(
                "opt_out.recorded",
                "An opt-out confirmation is sent only after an opt-out, and none is on record.",
            )
        else:
            sent = [
                r.at
                for r in history.outbound
                if r.kind is MessageKind.OPT_OUT_CONFIRMATION and r.at >= opt_out.at
            ]
            if sent:
                add(
                    "opt_out.recorded",
                    f"The debtor opted out ({opt_out.scope}) at {_utc(opt_out.at)} and the one "
                    f"confirmation was already sent at {_utc(min(sent))}; nothing more may be sent.",
                )
    elif opt_out is not None:
        add(
            "opt_out.recorded",
            f"The debtor opted out ({opt_out.scope}) at {_utc(opt_out.at)}; Cobro honours an "
            "opt-out at once and sends nothing more on this channel.",
        )
    if intent.to_phone != debtor.phone and not answering:
        add(
            "third_party.unlisted_number",
            f"The message is addressed to {mask_phone(intent.to_phone)}, not to the "
            f"debtor's number on record {mask_phone(debtor.phone)}; Cobro writes only to the number the debtor gave.",
        )
    if debtor.wrong_number_at is not None:
        add(
            "third_party.wrong_number",
            f"Someone at {mask_phone(debtor.phone)} said at {_utc(debtor.wrong_number_at)} "
            "that it is not the debtor's number; the number is suppressed for this debt.",
        )
    if intent.mentions_debt and rules.right_party.required and debtor.right_party_confirmed_at is None:
        add(
            "third_party.right_party_unconfirmed",
            f"{_who(rules, rules.right_party.rule)} requires the right person "
            "to be confirmed before a message mentions the debt, and this debtor has not confirmed being the person "
            "addressed; ask first with a right-party check that says nothing about the debt.",
            rules.right_party.rule.citation,
        )
    if kind in _INITIATED:
        if account.disputed_at is not None:
            add(
                "pause.dispute",
                f"The account has been disputed since {_utc(account.disputed_at)}; collection is "
                "paused until the dispute is resolved.",
            )
        if account.hardship_at is not None:
            add(
                "pause.hardship",
                f"The debtor reported hardship at {_utc(account.hardship_at)}; automated "
                "collection stops and a person takes the case.",
            )
        limitation = rules.limitation
        if (
            limitation is not None
            and limitation.policy is TimeBarredPolicy.NO_CONTACT
            and barred_from is not None
        ):
            today = now.astimezone(zones[0]).date() if zones else now.date()
            if today >= barred_from:
                add(
                    limitation.rule.rule_id,
                    _time_barred_reason(rules, account, barred_from),
                    limitation.rule.citation,
                )
    inbound = history.last_inbound_at
    if not intent.is_template and not window_open:
        last = f"the debtor last wrote at {_utc(inbound)}" if inbound else "the debtor has never written"
        add(
            "whatsapp.service_window",
            f"A free-form message can only be sent within 24 hours of the debtor's last "
            f"message, and {last}; send an approved template instead.",
        )
    if intent.is_template and not intent.template_approved:
        add(
            "whatsapp.template_not_approved",
            f"The template {intent.template or '(unnamed)'} is not approved by "
            "Meta; only approved templates may be sent outside a conversation the debtor started.",
        )
    return found


def hours_finding(
    rules: JurisdictionRules,
    off_hours: Sequence[tuple[ZoneInfo, datetime]],
    local_now: Sequence[datetime],
    zones: Sequence[ZoneInfo],
    not_before: datetime,
) -> RuleFinding:
    """Outside the contact windows (or the next window is later because of another rule)."""
    rule = rules.hours.rule
    allows = f"{_who(rules, rule)} allows contact {rules.hours.describe()}"
    if rules.holidays.closed:
        allows += " and not on public holidays"
    if off_hours:
        zone, local = off_hours[0]
        others = [f"{_hm(loc)} in {z.key}" for z, loc in zip(zones, local_now, strict=True) if z != zone]
        extra = f" ({', '.join(others)})" if others else ""
        every = " in every zone the debtor may be in" if len(zones) > 1 else ""
        reason = f"It is {_day_time(local)} in {zone.key}{extra}; {allows}{every}."
    else:
        reason = f"{allows}; the earliest time the other rules allow falls outside these hours."
    return RuleFinding(rule.rule_id, f"{reason} {_next(not_before, zones)}", rule.citation)


def holiday_finding(
    rules: JurisdictionRules,
    country: str,
    region: str | None,
    holidays: Sequence[tuple[ZoneInfo, datetime, str]],
    zones: Sequence[ZoneInfo],
    not_before: datetime,
) -> RuleFinding:
    """A public holiday of the debtor's country or region."""
    rule = rules.holidays.rule
    place = f"{country}-{region}" if region else country
    if holidays:
        zone, local, name = holidays[0]
        reason = (
            f"{_date(local)} is {name}, a public holiday in {place} (local date in {zone.key}); "
            f"{_who(rules, rule)} allows no contact on public holidays. {_next(not_before, zones)}"
        )
    else:
        reason = (
            f"{_who(rules, rule)} allows no contact on public holidays, and the next contact window falls on one "
            f"in {place}. {_next(not_before, zones)}"
        )
    return RuleFinding(rule.rule_id, reason, rule.citation)


def cap_finding(
    rules: JurisdictionRules,
    cap: FrequencyCap,
    counter: CapCounter,
    now: datetime,
    zones: Sequence[ZoneInfo],
    not_before: datetime,
) -> RuleFinding:
    """A frequency cap reached (counting the message itself)."""
    n = counter.count(cap, now)
    instants = counter.instants(cap)
    last = max((r for r in instants if r <= now), default=None)
    last_text = f"; the last one was at {_hm_day(last, zones[0])} in {zones[0].key}" if last else ""
    counted = f"{n} collection message{'s' if n != 1 else ''} already count{'s' if n == 1 else ''} against it"
    if n == 0:
        counted = "messages near the next allowed time count against it"
    reason = (
        f"{_who(rules, cap.rule)} allows {cap.describe()}; {counted}{last_text}. {_next(not_before, zones)}"
    )
    return RuleFinding(cap.rule_id, reason, cap.rule.citation)


def no_time_finding(rules: JurisdictionRules, zones: Sequence[ZoneInfo], horizon_days: int) -> RuleFinding:
    """No instant within the horizon is allowed in every zone (e.g. zones too far apart)."""
    rule = rules.hours.rule
    names = ", ".join(z.key for z in zones)
    reason = (
        f"No time in the next {horizon_days} days is inside the contact hours in every zone the debtor may be in "
        f"({names}); {_who(rules, rule)} allows contact {rules.hours.describe()}. Fix the debtor's time zone."
    )
    return RuleFinding(rule.rule_id, reason, rule.citation)


def service_window_after_defer_finding(
    inbound: datetime, not_before: datetime, zones: Sequence[ZoneInfo]
) -> RuleFinding:
    """A free-form message that could only go after WhatsApp's 24-hour window has closed."""
    reason = (
        f"The next allowed time is {_hm_day(not_before, zones[0])} in {zones[0].key}, after the 24-hour window "
        f"opened by the debtor's last message at {_utc(inbound)} has closed; send an approved template instead."
    )
    return RuleFinding("whatsapp.service_window", reason, CITATIONS["whatsapp.service_window"])


def time_barred_after_defer_finding(
    rules: JurisdictionRules, account: AccountContext, barred: date
) -> RuleFinding:
    """A debt that becomes time-barred before the next allowed time."""
    assert rules.limitation is not None
    rule = rules.limitation.rule
    return RuleFinding(rule.rule_id, _time_barred_reason(rules, account, barred), rule.citation)


def _time_barred_reason(rules: JurisdictionRules, account: AccountContext, barred: date) -> str:
    assert rules.limitation is not None
    return (
        f"The oldest open debt (due {account.oldest_due_date}) is time-barred from {barred} after "
        f"{rules.limitation.years} years; {_who(rules, rules.limitation.rule)} allows no collection of a "
        "time-barred debt."
    )


def _who(rules: JurisdictionRules, rule: Rule) -> str:
    """Who sets the rule: the jurisdiction, or Cobro's strict default filling a gap for it."""
    if not rule.rule_id.startswith("default."):
        return rules.name
    if rules.code == DEFAULT_CODE:
        return "Cobro's strict default (no rules on record for this country)"
    return f"{rules.name} has no rule here Cobro can rely on, so Cobro's strict default applies: it"


def _next(not_before: datetime, zones: Sequence[ZoneInfo]) -> str:
    return f"Next allowed: {_hm_day(not_before, zones[0])} in {zones[0].key}."


def _hm(local: datetime) -> str:
    return f"{local:%H:%M}"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _date(local: datetime) -> str:
    return f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"


def _day_time(local: datetime) -> str:
    return f"{local:%H:%M} on {_date(local)}"


def _hm_day(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{_date(local)} {local:%H:%M}"


def _utc(instant: datetime | None) -> str:
    return "an unknown time" if instant is None else f"{instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
