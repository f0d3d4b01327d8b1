"""One contact decision for one account: the ladder says what is due, the gate says whether it may go now.

Pure: the planner (app/plan_contacts.py) loads the inputs, calls `decide_contact` for each account, and
stores what it returns.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cobro.domain.compliance import ComplianceGate
from cobro.domain.contact import (
    AccountContext,
    Action,
    ContactHistory,
    ContactRecord,
    DebtorContext,
    GateDecision,
    MessageKind,
    OutboundIntent,
    Verdict,
)
from cobro.domain.escalation import next_step
from cobro.domain.strategy import Strategy
from cobro.domain.template_choice import TemplateChoice, resolve_template

RIGHT_PARTY_TEMPLATE = "cobro_right_party_check"
RIGHT_PARTY_STAGE = "right_party_check"
RIGHT_PARTY_RULE = "third_party.right_party_unconfirmed"
TEMPLATE_UNAVAILABLE_RULE = "whatsapp.template_unavailable"
OPT_OUT_CONFIRMATION_TEMPLATE = "cobro_opt_out_confirmation"
OPT_OUT_CONFIRMATION_STAGE = "opt_out_confirmation"
OPT_OUT_CONFIRMATION_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class PlannedContact:
    """What the planner decided for one account, with everything `cobro plan` and the audit trail show."""

    account: AccountContext
    debtor: DebtorContext
    action: Action
    local_date: date
    kind: MessageKind = MessageKind.COLLECTION
    stage: str | None = None
    segments: tuple[str, ...] = ()
    template: str | None = None
    language: str | None = None
    menu: tuple[str, ...] = ()
    not_before: datetime | None = None
    rules: tuple[str, ...] = ()  # the rules that blocked, paused or deferred it
    strategy_rules: tuple[str, ...] = ()  # the ladder's choice of stage and segment overrides
    reason: str = ""
    jurisdiction: str = ""
    rules_version: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)

    def idempotency_key(self) -> str:
        """The key that makes planning the same instant twice store nothing new.

        A send is unique per account, stage and local day (the outbox identity). A defer or skip is stored
        once per account, stage, day, action and rules: re-planning an unchanged situation adds nothing, a
        changed reason adds one row.
        """
        base = f"{self.account.id}:{self.stage or self.kind.value}:{self.local_date.isoformat()}"
        if self.action is Action.SEND:
            return base
        return f"{base}:{self.action.value}:{','.join(self.rules)}"[:255]

    def as_record(self, at: datetime) -> ContactRecord:
        """How this decision counts in the debtor's history once it is a planned send."""
        return ContactRecord(at=at, kind=self.kind, stage=self.stage, account_id=self.account.id)


_PLANNED_FIELDS = tuple(f.name for f in fields(PlannedContact))


def _replace(planned: PlannedContact, **changes: Any) -> PlannedContact:
    """dataclasses.replace for PlannedContact, about three times faster (the planner calls it per account)."""
    values = {name: getattr(planned, name) for name in _PLANNED_FIELDS}
    values.update(changes)
    return PlannedContact(**values)


def local_date_of(debtor: DebtorContext, now: datetime) -> date:
    """The debtor's calendar date at `now`, in the zone on record (UTC when it is unknown: the gate blocks)."""
    zone = debtor.time_zones[0] if debtor.time_zones else "UTC"
    try:
        return now.astimezone(_zone(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(_zone("UTC")).date()


def decide_contact(
    strategy: Strategy,
    gate: ComplianceGate,
    account: AccountContext,
    debtor: DebtorContext,
    history: ContactHistory,
    now: datetime,
    approved: Collection[tuple[str, str]],
    creditor_language: str | None = None,
) -> PlannedContact:
    """Asks the ladder what is due for this account today and the gate whether it may be sent now."""
    today = local_date_of(debtor, now)
    if owes_opt_out_confirmation(debtor, history, now):
        return _opt_out_confirmation(gate, account, debtor, history, now, today, approved, creditor_language)
    step = next_step(strategy, account, debtor, history, today)
    fields: dict[str, Any] = {
        "account": account,
        "debtor": debtor,
        "action": step.action,
        "local_date": today,
        "stage": step.stage,
        "segments": tuple(step.segments),
        "menu": tuple(step.menu),
        # For a due stage the ladder's ids (stage, segment overrides) explain the choice, not a block: they
        # are kept apart so `rules` lists only what blocked, paused or deferred the contact.
        "rules": () if step.action is Action.SEND else tuple(step.rule_ids),
        "strategy_rules": tuple(step.rule_ids) if step.action is Action.SEND else (),
        "reason": step.reason,
    }
    if step.action is not Action.SEND or step.template is None:
        return PlannedContact(**fields)
    stage = strategy.stage(step.stage) if step.stage else None
    choice = resolve_template(
        step.template,
        stage.fallback if stage else None,
        debtor.language,
        approved,
        creditor_language=creditor_language,
    )
    if not isinstance(choice, TemplateChoice):
        fields["action"] = Action.SKIP
        fields["rules"] = (*fields["rules"], TEMPLATE_UNAVAILABLE_RULE)
        fields["reason"] = f"{step.reason} {_unavailable_reason(choice, step.template)}".strip()
        return PlannedContact(**fields)
    fields["template"], fields["language"] = choice.template, choice.language
    if choice.note:
        fields["reason"] = f"{step.reason} {choice.note}".strip()
    planned = PlannedContact(**fields)
    intent = OutboundIntent(
        kind=MessageKind.COLLECTION,
        to_phone=debtor.phone,
        stage=step.stage,
        template=choice.template,
        language=choice.language,
    )
    decision = gate.check(debtor, account, intent, now, history)
    if decision.verdict is Verdict.BLOCK and decision.rule_ids == (RIGHT_PARTY_RULE,):
        return _right_party_check(planned, gate, debtor, account, history, now, approved, decision)
    return _with_gate(planned, decision)


def owes_opt_out_confirmation(debtor: DebtorContext, history: ContactHistory, now: datetime) -> bool:
    """True while the debtor's opt-out is under a day old and no confirmation has been planned since: the
    one message the rules allow after an opt-out, sent as a reply inside WhatsApp's service window."""
    opt_out = debtor.opt_out
    if opt_out is None or now - opt_out.at > OPT_OUT_CONFIRMATION_WINDOW or opt_out.at > now:
        return False
    return not any(
        r.kind is MessageKind.OPT_OUT_CONFIRMATION and r.at >= opt_out.at for r in history.outbound
    )


def _opt_out_confirmation(
    gate: ComplianceGate,
    account: AccountContext,
    debtor: DebtorContext,
    history: ContactHistory,
    now: datetime,
    today: date,
    approved: Collection[tuple[str, str]],
    creditor_language: str | None,
) -> PlannedContact:
    """Confirms an opt-out once, through a fixed template that says nothing about any debt."""
    planned = PlannedContact(
        account=account,
        debtor=debtor,
        action=Action.SKIP,
        local_date=today,
        kind=MessageKind.OPT_OUT_CONFIRMATION,
        stage=OPT_OUT_CONFIRMATION_STAGE,
        reason="The debtor opted out: one confirmation that no more messages will come, nothing else.",
    )
    choice = resolve_template(
        OPT_OUT_CONFIRMATION_TEMPLATE, None, debtor.language, approved, creditor_language=creditor_language
    )
    if not isinstance(choice, TemplateChoice):
        return _replace(
            planned,
            rules=(TEMPLATE_UNAVAILABLE_RULE,),
            reason=f"{planned.reason} {_unavailable_reason(choice, OPT_OUT_CONFIRMATION_TEMPLATE)}",
        )
    intent = OutboundIntent(
        kind=MessageKind.OPT_OUT_CONFIRMATION,
        to_phone=debtor.phone,
        mentions_debt=False,
        stage=OPT_OUT_CONFIRMATION_STAGE,
        template=choice.template,
        language=choice.language,
    )
    decision = gate.check(debtor, account, intent, now, history)
    return _with_gate(_replace(planned, template=choice.template, language=choice.language), decision)


def _right_party_check(
    planned: PlannedContact,
    gate: ComplianceGate,
    debtor: DebtorContext,
    account: AccountContext,
    history: ContactHistory,
    now: datetime,
    approved: Collection[tuple[str, str]],
    blocked: GateDecision,
) -> PlannedContact:
    """The jurisdiction wants the right person confirmed before any detail: ask "Is this María?" first."""
    asked = [r for r in history.outbound if r.kind is MessageKind.RIGHT_PARTY_CHECK and r.status != "failed"]
    reason = blocked.findings[0].reason
    base = _replace(
        planned,
        kind=MessageKind.RIGHT_PARTY_CHECK,
        stage=RIGHT_PARTY_STAGE,
        template=None,
        language=None,
        menu=("RIGHT_PARTY_YES", "WRONG_NUMBER"),
        jurisdiction=blocked.jurisdiction,
        rules_version=blocked.rules_version,
    )
    if asked and asked[-1].at.astimezone(_zone(debtor.time_zones[0])).date() == planned.local_date:
        return _replace(
            base,
            action=Action.NONE,
            rules=(),
            reason="The right-party check is planned already today.",
        )
    if asked:
        last = asked[-1]
        return _replace(
            base,
            action=Action.SKIP,
            rules=(RIGHT_PARTY_RULE, "strategy.right_party.awaiting_answer"),
            reason=f"{reason} The right-party check sent {last.at:%Y-%m-%d} has no answer yet; "
            "nothing about the debt goes out until the debtor confirms.",
        )
    choice = resolve_template(RIGHT_PARTY_TEMPLATE, None, debtor.language, approved)
    if not isinstance(choice, TemplateChoice):
        return _replace(
            base,
            action=Action.SKIP,
            rules=(RIGHT_PARTY_RULE, TEMPLATE_UNAVAILABLE_RULE),
            reason=f"{reason} {_unavailable_reason(choice, RIGHT_PARTY_TEMPLATE)}",
        )
    intent = OutboundIntent(
        kind=MessageKind.RIGHT_PARTY_CHECK,
        to_phone=debtor.phone,
        mentions_debt=False,
        stage=RIGHT_PARTY_STAGE,
        template=choice.template,
        language=choice.language,
    )
    decision = gate.check(debtor, account, intent, now, history)
    checked = _replace(
        base,
        template=choice.template,
        language=choice.language,
        reason=f"Right-party check before the {planned.stage} message: {reason}",
    )
    return _with_gate(checked, decision, keep_reason=True)


def _with_gate(planned: PlannedContact, decision: GateDecision, keep_reason: bool = False) -> PlannedContact:
    common: dict[str, Any] = {
        "jurisdiction": decision.jurisdiction,
        "rules_version": decision.rules_version,
        "inputs": decision.inputs,
    }
    if decision.verdict is Verdict.ALLOW:
        return _replace(planned, action=Action.SEND, **common)
    gate_reason = " ".join(f.reason for f in decision.findings)
    reason = (
        f"{planned.reason} {gate_reason}".strip() if not keep_reason else f"{planned.reason} {gate_reason}"
    )
    return _replace(
        planned,
        action=Action.DEFER if decision.verdict is Verdict.DEFER else Action.SKIP,
        not_before=decision.not_before,
        rules=(*planned.rules, *decision.rule_ids),
        reason=reason.strip(),
        **common,
    )


def _unavailable_reason(choice: object, template: str) -> str:
    described = getattr(choice, "reason", None)
    return str(described) if described else f"Template {template} is not approved in any usable language."


_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone
