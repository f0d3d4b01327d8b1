"""The dispatcher: what the bot does with each message. A menu tap chooses at once; otherwise the step the
conversation waits on reads the message first; what answers no step is a new request, read with
confidence or asked about.

Every request that would show a debt (balance, pay, plan, promise, more time, already paid) first passes
identity (identity.py). Anything the bot cannot resolve after two tries, or understand twice, goes to the
agent inbox with the reason (guards.py).
"""

from __future__ import annotations

from cobro.app.conversation.debts import (
    paid_details,
    plan_choose,
    plan_confirm,
    promise_confirm,
    promise_date,
    run_verified,
)
from cobro.app.conversation.guards import clarify, confident
from cobro.app.conversation.identity import verify_step
from cobro.app.conversation.requests import dispute, hardship, opt_out, wrong_number
from cobro.app.conversation.turn import Turn
from cobro.domain.conversation.intents import Intent, intent_of_payload
from cobro.domain.conversation.state import Flow, Step

DISCLOSING = frozenset(
    {
        Intent.CHECK_BALANCE,
        Intent.PAY_NOW,
        Intent.PAYMENT_PLAN,
        Intent.MORE_TIME,
        Intent.PROMISE_TO_PAY,
        Intent.ALREADY_PAID,
    }
)


def respond(t: Turn, opted_out: bool) -> None:
    """Answers one inbound message."""
    c = t.conversation
    if c.flow is Flow.SILENCED:
        return  # a wrong number: never written to again
    if opted_out:
        opt_out(t, already_recorded=True)
        return
    if c.flow is Flow.HANDED_OVER:
        return  # a person has it: the bot stays quiet until the inbox item is resolved
    if c.is_expired(t.now):
        t.idle()
        t.say("expired")
    # A menu tap chooses at once. Otherwise the step the conversation waits on reads the message first (a
    # name, an account number, a date); only what is no answer to it is taken as a new request.
    chosen = intent_of_payload(t.payload)
    if chosen is None and t.conversation.flow is not Flow.NONE and continue_flow(t):
        return
    reading = t.reading
    if chosen is None and reading is not None and confident(t):
        chosen = reading.intent
    if chosen is None or chosen is Intent.OTHER:
        clarify(t)
        return
    start(t, chosen)


def start(t: Turn, intent: Intent) -> None:
    """Starts what an intent asks for."""
    t.intent = intent.value
    t.update(tries=0)
    if intent is Intent.GREETING:
        t.idle()
        t.say("greeting")
        t.say("menu_prompt")
        t.offer_menu()
    elif intent is Intent.THANKS:
        t.idle()
        t.say("thanks_reply")
    elif intent is Intent.WRONG_NUMBER and intent_of_payload(t.payload) is Intent.WRONG_NUMBER:
        wrong_number(t)  # the button: app/inbound_requests stored it on the debtors it concerns
    elif intent is Intent.WRONG_NUMBER:
        # Free text never silences a number by itself ("hola soy María López" can read as "wrong number"):
        # the person confirms with a button first.
        t.idle()
        t.say("confirm_wrong_number")
        t.offer_buttons(("WRONG_NUMBER", "button.wrong_number"), ("RIGHT_PARTY_YES", "button.its_me"))
    elif intent is Intent.OPT_OUT:
        opt_out(t, already_recorded=False)
    elif intent is Intent.TALK_TO_AGENT:
        t.handoff("asked_for_person")
    elif intent is Intent.DISPUTE:
        dispute(t)
    elif intent is Intent.HARDSHIP:
        hardship(t)
    elif intent in DISCLOSING:
        if t.conversation.is_locked(t.now):
            t.say("verify_locked")
            return
        if not t.verified:
            # What they wrote is kept for after the proof ("pago el viernes" still says Friday then).
            t.move(Flow.VERIFY, Step.ACCOUNT, pending=intent.value, said=t.text[:500])
            t.say("ask_account")
            return
        run_verified(t, intent, t.text)


def continue_flow(t: Turn) -> bool:
    """Feeds the message to the step the conversation waits on; False when it is not an answer to it."""
    c = t.conversation
    if c.flow is Flow.VERIFY:
        return verify_step(t)
    if not t.verified:  # the proof expired mid-flow: prove it again, then go on
        t.move(Flow.VERIFY, Step.ACCOUNT, pending=c.slots.get("pending", Intent.CHECK_BALANCE.value))
        t.say("ask_account")
        return True
    if c.flow is Flow.PLAN and c.step is Step.CHOOSE:
        return plan_choose(t)
    if c.flow is Flow.PLAN and c.step is Step.CONFIRM:
        return plan_confirm(t)
    if c.flow is Flow.PROMISE and c.step is Step.DATE:
        return promise_date(t)
    if c.flow is Flow.PROMISE and c.step is Step.CONFIRM:
        return promise_confirm(t)
    if c.flow is Flow.PAID and c.step is Step.DETAILS:
        return paid_details(t)
    t.idle()
    return False
