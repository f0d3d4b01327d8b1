"""What the planner, the escalation ladder and the compliance gate talk about: one debtor, one account, the
message Cobro would send, the contact history, and the decision with its reasons.

Standard library only. Every datetime here is aware (UTC unless said otherwise); local dates are computed
in the debtor's zone by whoever builds these objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cobro.domain.accounts import Consent, OptOut
from cobro.domain.money import Money


class MessageKind(enum.StrEnum):
    """Why a message goes out; the gate treats each kind by its own rules."""

    COLLECTION = "collection"  # a ladder stage: reminder, notices, plan options, final notice, long-debt
    RIGHT_PARTY_CHECK = "right_party_check"  # "Is this María?": says nothing about any debt
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"  # the single confirmation after an opt-out
    SERVICE_REPLY = "service_reply"  # the bot's answer to something the debtor wrote


class PlanStatus(enum.StrEnum):
    """Where an account's payment plan stands."""

    NONE = "none"
    CURRENT = "current"
    BROKEN = "broken"


class Action(enum.StrEnum):
    """What the planner does with an account now (the `action` of `cobro plan --json`)."""

    SEND = "send"  # allowed: a message is planned now
    DEFER = "defer"  # due, but not allowed yet: `not_before` says when
    SKIP = "skip"  # due, but blocked or paused: `rules` say why
    NONE = "none"  # nothing is due today


class Verdict(enum.StrEnum):
    """The compliance gate's answer."""

    ALLOW = "allow"
    DEFER = "defer"  # allowed later: the decision carries the next allowed instant
    BLOCK = "block"  # not allowed until something changes (consent, opt-out, dispute, ...)


@dataclass(frozen=True, slots=True)
class DebtorContext:
    """The debtor as the gate sees them."""

    id: int
    phone: str  # E.164, the number the debtor gave with consent
    country: str  # ISO 3166-1 alpha-2
    language: str  # ISO 639-1: es, en, pt, it
    time_zones: tuple[str, ...]  # IANA zones the debtor may be in; the first is the one on record
    region: str | None = None  # ISO 3166-2 subdivision code without the country, e.g. "MA" for US-MA
    consent: Consent | None = None  # consent for this creditor and the WhatsApp channel
    opt_out: OptOut | None = None
    wrong_number_at: datetime | None = None  # someone at this phone said it is not the debtor
    right_party_confirmed_at: datetime | None = None  # the debtor confirmed being the person addressed


@dataclass(frozen=True, slots=True)
class AccountContext:
    """One account and the state of its collection."""

    id: int
    reference: str
    creditor_id: int
    outstanding: Money  # across open invoices; zero or less means nothing is owed
    oldest_due_date: date | None  # of the open invoices
    open_invoices: int = 0
    invoice_reference: str | None = None  # of the oldest open invoice, for personalisation
    payment_link: str | None = None
    original_amount: Money | None = None  # billed on the open invoices, to tell partial payers
    paid_late_before: int = 0  # earlier invoices of this account paid or settled after their due date
    disputed_at: datetime | None = None
    hardship_at: datetime | None = None
    promise_until: date | None = None  # promised to pay by this (local) date
    promise_broken_at: datetime | None = None
    plan_status: PlanStatus = PlanStatus.NONE


@dataclass(frozen=True, slots=True)
class OutboundIntent:
    """The message Cobro would send."""

    kind: MessageKind
    to_phone: str
    is_template: bool = True
    template_approved: bool = True  # meaningful only for templates
    mentions_debt: bool = True  # False for a right-party check or an opt-out confirmation
    stage: str | None = None
    template: str | None = None
    language: str | None = None  # template language code, e.g. es, en, pt_BR, it


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One outbound message to the debtor from this creditor (planned or sent), for caps and timing."""

    at: datetime  # when it was planned or sent
    kind: MessageKind
    stage: str | None = None
    account_id: int | None = None
    status: str | None = None  # accepted, sent, delivered, read, failed; None while only planned
    read_at: datetime | None = None
    outbox_id: int | None = None  # the outbox row of a planned send, so a claim-time re-check skips itself


@dataclass(frozen=True, slots=True)
class ContactHistory:
    """What Cobro has done with this debtor recently: enough for caps, windows and timing."""

    outbound: tuple[ContactRecord, ...] = ()  # oldest first; at least the last 35 days
    last_inbound_at: datetime | None = None  # opens WhatsApp's 24-hour customer service window
    replied_since: datetime | None = None  # the debtor's latest reply after Cobro's latest outbound message

    def collection_messages(self) -> tuple[ContactRecord, ...]:
        """The records the frequency caps count: everything but the opt-out confirmation and failures."""
        return tuple(
            r
            for r in self.outbound
            if r.kind is not MessageKind.OPT_OUT_CONFIRMATION and r.status != "failed"
        )


@dataclass(frozen=True, slots=True)
class RuleFinding:
    """One rule that blocked or deferred a message, said so a person understands it."""

    rule_id: str  # e.g. "co.hours", "us.reg_f.7in7", "default.frequency.daily", "consent.missing"
    reason: str  # "Colombia allows contact Monday-Friday 07:00-19:00 and Saturday 08:00-15:00 ..."
    citation: str = ""  # "Ley 2300 de 2023, art. 3"


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The gate's answer for one message: allow, or block/defer with the rules and the next allowed time."""

    verdict: Verdict
    findings: tuple[RuleFinding, ...] = ()
    not_before: datetime | None = None  # for DEFER: the next instant every rule allows (aware)
    jurisdiction: str = ""  # e.g. "US-MA", "CO", "default"
    rules_version: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)  # local time, counters, flags: logged as evidence

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the rules that blocked or deferred the message."""
        return tuple(f.rule_id for f in self.findings)
