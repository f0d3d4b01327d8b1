"""What a debtor's message asks for: one intent per message, with a confidence, and the language it is in.

Free text is read by a classifier (adapters/nlu); menu taps (quick-reply buttons and list rows) map to their
intent directly through `intent_of_payload`, with no classification.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

LANGUAGES = ("es", "en", "pt", "it")  # ISO 639-1 codes the bot understands and answers in


class Intent(enum.StrEnum):
    """The fourteen things a debtor's message can ask for."""

    CHECK_BALANCE = "check_balance"
    PAY_NOW = "pay_now"
    PAYMENT_PLAN = "payment_plan"
    MORE_TIME = "more_time"
    PROMISE_TO_PAY = "promise_to_pay"
    ALREADY_PAID = "already_paid"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    WRONG_NUMBER = "wrong_number"
    OPT_OUT = "opt_out"
    TALK_TO_AGENT = "talk_to_agent"
    GREETING = "greeting"
    THANKS = "thanks"
    OTHER = "other"


# Button payloads of the catalogue's templates and ids of the bot's own menus -> the intent they choose.
_PAYLOADS: dict[str, Intent] = {
    "CHECK_BALANCE": Intent.CHECK_BALANCE,
    "PAY_NOW": Intent.PAY_NOW,
    "PAYMENT_PLAN": Intent.PAYMENT_PLAN,
    "MORE_TIME": Intent.MORE_TIME,
    "PROMISE_TO_PAY": Intent.PROMISE_TO_PAY,
    "ALREADY_PAID": Intent.ALREADY_PAID,
    "DISPUTE": Intent.DISPUTE,
    "HARDSHIP": Intent.HARDSHIP,
    "WRONG_NUMBER": Intent.WRONG_NUMBER,
    "OPT_OUT": Intent.OPT_OUT,
    "TALK_TO_AGENT": Intent.TALK_TO_AGENT,
    # "Yes, it's me" to the right-party check: the person is there; the bot greets and offers the menu.
    "RIGHT_PARTY_YES": Intent.GREETING,
}


def intent_of_payload(payload: str | None) -> Intent | None:
    """The intent a menu tap chooses (`PAY_NOW`, `MENU:PAY_NOW`), or None for a payload that is no intent
    (a flow's own answer such as `PLAN:3`, or something Cobro never sent)."""
    if not payload:
        return None
    key = payload.strip().upper().removeprefix("MENU:")
    return _PAYLOADS.get(key)


@dataclass(frozen=True, slots=True)
class Reading:
    """How one free-text message was understood."""

    language: str  # one of LANGUAGES
    intent: Intent
    confidence: float  # 0..1, the classifier's probability for `intent`
    language_confidence: float = 1.0
    language_fallback: bool = False  # too short to tell: the debtor's stored language was used


@dataclass(frozen=True, slots=True)
class Entities:
    """Values found in a message, each already resolved: dates in the debtor's zone, amounts as decimals in
    the message's locale, and account or reference numbers as the digits and letters written."""

    dates: tuple[date, ...] = ()
    amounts: tuple[Decimal, ...] = ()
    numbers: tuple[str, ...] = field(default=())  # account, service or payment reference numbers (normalised)
