"""What a verified person asks about their debt: the balance, a payment link, a plan, a promise or more
time, "I already paid". Every amount, date and reference comes from the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from cobro.app.conversation.guards import asks_something_else, unresolved
from cobro.app.conversation.turn import Turn
from cobro.app.payment_references import issue_reference
from cobro.domain.conversation.answers import yes_or_no
from cobro.domain.conversation.intents import Intent
from cobro.domain.conversation.ledger import AccountCard
from cobro.domain.conversation.plans import (
    CounterProblem,
    PlanOption,
    counter_proposal,
    plan_for,
    plan_options,
)
from cobro.domain.conversation.state import Flow, Step
from cobro.domain.events import EventKind
from cobro.domain.money import Currency, Money
from cobro.i18n.currencies import find_currency


def run_verified(t: Turn, intent: Intent, said: str | None = None) -> None:
    """What a verified person asked for; `said` is the message that asked (its date, if it names one)."""
    account = t.account()
    if account.outstanding_minor <= 0 and intent is not Intent.ALREADY_PAID:
        t.idle()
        t.say("balance_zero", account=account.reference)
        return
    if intent is Intent.CHECK_BALANCE:
        balance(t, account)
    elif intent is Intent.PAY_NOW:
        pay_now(t, account, account.outstanding_minor)
    elif intent is Intent.PAYMENT_PLAN:
        offer_plans(t, account)
    elif intent in (Intent.MORE_TIME, Intent.PROMISE_TO_PAY):
        ask_promise(t, account, extension=intent is Intent.MORE_TIME, said=said)
    elif intent is Intent.ALREADY_PAID:
        t.move(Flow.PAID, Step.DETAILS)
        t.say("paid_ask")


def balance(t: Turn, account: AccountCard) -> None:
    """The exact balance from the ledger, with what can be done next."""
    t.idle()
    t.say(
        "balance",
        account=account.reference,
        amount=t.money(account.outstanding_minor, account.currency),
        invoice=account.invoice_reference or account.reference,
        due_date=t.day(account.oldest_due_date) if account.oldest_due_date else "-",
    )
    t.say("next_prompt")
    t.offer_buttons(
        ("PAY_NOW", "button.pay_now"),
        ("PAYMENT_PLAN", "button.payment_plan"),
        ("MORE_TIME", "button.more_time"),
    )


def pay_now(
    t: Turn, account: AccountCard, amount_minor: int, *, purpose: str = "balance", plan_id: int | None = None
) -> None:
    """A payment link and cash reference for exactly the amount the ledger says (tool chaining: the balance
    read a moment ago is the amount the reference is issued for)."""
    t.idle()
    currency = find_currency(account.currency)
    if currency is None:
        raise LookupError(f"unknown currency {account.currency}")
    valid_until = t.now + timedelta(days=t.policy().reference_valid_days)
    issued = issue_reference(
        t.uow,
        creditor_id=account.creditor_id,
        account_id=account.id,
        amount=Money.from_minor(amount_minor, currency),
        purpose=purpose,
        valid_until=valid_until,
        now=t.now,
        plan_id=plan_id,
    )
    t.say(
        "payment_link",
        amount=t.money(amount_minor, account.currency),
        link=issued.link(t.bot.public_url),
        reference=issued.formatted,
        valid_until=t.day(valid_until.astimezone(ZoneInfo(t.zone())).date()),
    )


def offer_plans(t: Turn, account: AccountCard) -> None:
    """The plans the policy allows for this balance, as a list; the person may also write an amount."""
    policy = t.policy().plan
    options = plan_options(account.outstanding_minor, policy, t.today())
    if not options:
        t.handoff("plan_outside_policy")
        return
    t.move(Flow.PLAN, Step.CHOOSE)
    t.say("plan_intro", amount=t.money(account.outstanding_minor, account.currency))
    t.offer_rows([_plan_row(t, account, option) for option in options], "plan_button")


def _plan_row(t: Turn, account: AccountCard, option: PlanOption) -> dict[str, str]:
    instalment = t.money(option.instalment_minor, account.currency)
    title = t.label("plan_row", count=option.count, instalment=instalment)
    if len(title) > 24:  # WhatsApp's limit for a row title: large amounts keep only the figures
        title = f"{option.count} × {instalment}"
    row = {"id": f"PLAN:{option.count}", "title": title}
    if option.down_payment_minor:
        row["description"] = t.label(
            "plan_row_down",
            down=t.money(option.down_payment_minor, account.currency),
            count=option.count,
            instalment=instalment,
        )
    else:
        row["description"] = t.label("plan_row_description", first_due=t.day(option.first_due))
    return row


def plan_choose(t: Turn) -> bool:
    account = t.account()
    policy = t.policy().plan
    chosen: PlanOption | CounterProblem | None = None
    payload = (t.payload or "").upper()
    if payload.startswith("PLAN:") and payload[5:].isdigit():
        count = int(payload[5:])
        if 1 <= count <= policy.max_instalments:
            chosen = plan_for(account.outstanding_minor, count, policy, t.today())
    elif t.text:
        amounts = t.bot.reader.entities(t.text, t.language, t.zone(), t.today()).amounts
        currency = find_currency(account.currency)
        if amounts and currency is not None:
            minor = (
                Money(amounts[0], account.currency).to_minor(currency) if _fits(amounts[0], currency) else 0
            )
            chosen = counter_proposal(account.outstanding_minor, minor, policy, t.today())
    if chosen is None:
        if asks_something_else(t, Intent.PAYMENT_PLAN):
            t.idle()
            return False  # a new request: let it start
        unresolved(t, "clarify")
        if t.conversation.flow is Flow.PLAN:
            t.offer_rows(
                [
                    _plan_row(t, account, o)
                    for o in plan_options(account.outstanding_minor, policy, t.today())
                ],
                "plan_button",
            )
        return True
    if chosen is CounterProblem.TOO_LOW:
        unresolved(t, "plan_counter_too_low", minimum=t.money(policy.min_instalment_minor, account.currency))
        return True
    if chosen is CounterProblem.TOO_MANY:
        unresolved(t, "plan_counter_too_many", maximum=policy.max_instalments)
        return True
    assert isinstance(chosen, PlanOption)
    t.move(
        Flow.PLAN,
        Step.CONFIRM,
        count=chosen.count,
        down=chosen.down_payment_minor,
        schedule=[[d.isoformat(), amount] for d, amount in chosen.schedule],
        instalment=chosen.instalment_minor,
    )
    values = {
        "count": chosen.count,
        "instalment": t.money(chosen.instalment_minor, account.currency),
        "first_due": t.day(chosen.first_due),
    }
    if chosen.down_payment_minor and chosen.down_due is not None:
        t.say(
            "plan_confirm_down",
            down=t.money(chosen.down_payment_minor, account.currency),
            down_due=t.day(chosen.down_due),
            **values,
        )
    else:
        t.say("plan_confirm", **values)
    t.offer_buttons(
        ("CONFIRM", "button.yes"), ("CHANGE", "button.change"), ("TALK_TO_AGENT", "button.talk_to_agent")
    )
    return True


def _fits(amount: Decimal, currency: Currency) -> bool:
    """True when the amount has no more decimals than the currency (a written "10.505" is no instalment)."""
    return amount == amount.quantize(currency.quantum())


def plan_confirm(t: Turn) -> bool:
    answer = yes_or_no(t.text, t.payload)
    account = t.account()
    if answer is None:
        if asks_something_else(t, Intent.PAYMENT_PLAN):
            t.idle()
            return False
        unresolved(t, "clarify")
        return True
    if not answer:
        offer_plans(t, account)
        return True
    slots = t.conversation.slots
    schedule = tuple((date.fromisoformat(d), int(amount)) for d, amount in slots["schedule"])
    option = PlanOption(int(slots["count"]), int(slots["instalment"]), int(slots["down"]), schedule)
    if option.total_minor != account.outstanding_minor:
        offer_plans(t, account)  # the balance changed meanwhile (a payment): offer again from the ledger
        return True
    replaced = t.uow.conversations.replace_current_plans(account.id, t.now)  # one current plan per account
    plan_id = t.uow.conversations.add_plan(account, option, t.conversation.id, t.now)
    t.uow.conversations.set_account_state(account.id, t.now, plan_status="current")
    t.record(
        EventKind.PLAN_AGREED,
        plan_id=plan_id,
        instalments=option.count,
        total_minor=option.total_minor,
        replaced=replaced,
    )
    t.say(
        "plan_confirmed",
        count=option.count,
        instalment=t.money(option.instalment_minor, account.currency),
        first_due=t.day(option.first_due),
    )
    first_amount = option.schedule[0][1]
    pay_now(
        t,
        account,
        first_amount,
        purpose="down_payment" if option.down_payment_minor else "instalment",
        plan_id=plan_id,
    )
    return True


def ask_promise(t: Turn, account: AccountCard, *, extension: bool, said: str | None = None) -> None:
    """A promise to pay or more time: the date, from the message that asked when it says one."""
    t.move(Flow.PROMISE, Step.DATE, extension=extension)
    if said and promise_date(t, first=True, text=said):
        return
    t.say("ask_date")


def promise_date(t: Turn, first: bool = False, text: str | None = None) -> bool:
    """The promised date: within the policy's maximum, then confirmed."""
    account = t.account()
    text = t.text if text is None else text
    dates = t.bot.reader.entities(text, t.language, t.zone(), t.today()).dates if text else ()
    if not dates:
        if first:
            return False
        if asks_something_else(t, Intent.PROMISE_TO_PAY, Intent.MORE_TIME):
            t.idle()
            return False
        unresolved(t, "date_unclear", example=t.day(t.today() + timedelta(days=7)))
        return True
    chosen = dates[0]
    latest = t.policy().latest_date(t.today(), extension=bool(t.conversation.slots.get("extension")))
    if chosen > latest:
        unresolved(t, "date_too_far", max_date=t.day(latest))
        return True
    t.move(
        Flow.PROMISE,
        Step.CONFIRM,
        extension=t.conversation.slots.get("extension", False),
        date=chosen.isoformat(),
    )
    t.say("promise_confirm", amount=t.money(account.outstanding_minor, account.currency), date=t.day(chosen))
    t.offer_buttons(("CONFIRM", "button.yes"), ("CHANGE", "button.change"))
    return True


def promise_confirm(t: Turn) -> bool:
    answer = yes_or_no(t.text, t.payload)
    account = t.account()
    if answer is None:
        if t.text and t.bot.reader.entities(t.text, t.language, t.zone(), t.today()).dates:
            t.move(Flow.PROMISE, Step.DATE, extension=t.conversation.slots.get("extension", False))
            return promise_date(t)
        if asks_something_else(t, Intent.PROMISE_TO_PAY, Intent.MORE_TIME):
            t.idle()
            return False
        unresolved(t, "clarify")
        return True
    if not answer:
        t.move(Flow.PROMISE, Step.DATE, extension=t.conversation.slots.get("extension", False))
        t.say("ask_date")
        return True
    promised = date.fromisoformat(t.conversation.slots["date"])
    extension = bool(t.conversation.slots.get("extension"))
    t.uow.conversations.set_account_state(account.id, t.now, promise_until=promised)
    t.record(EventKind.PROMISE_RECORDED, promise_until=promised.isoformat(), extension=extension)
    t.idle()
    key = "extension_confirmed" if extension else "promise_confirmed"
    t.say(key, amount=t.money(account.outstanding_minor, account.currency), date=t.day(promised))
    return True


def paid_details(t: Turn) -> bool:
    account = t.account()
    if t.message.type in ("image", "document"):
        t.uow.conversations.set_account_state(account.id, t.now, disputed_at=t.now)
        t.say("paid_checking")
        t.handoff("receipt_sent", key=None)
        return True
    entities = t.bot.reader.entities(t.text, t.language, t.zone(), t.today()) if t.text else None
    since = t.now - timedelta(days=45)
    seen = t.uow.conversations.payments_since(account.id, since)
    # Only an amount can be checked: the date reader looks ahead (a promise's date), so a past date said
    # alone proves nothing; a person checks what the ledger cannot confirm.
    currency = find_currency(account.currency)
    wanted = {
        Money(a, account.currency).to_minor(currency)
        for a in (entities.amounts if entities is not None else ())
        if currency and _fits(a, currency)
    }
    if wanted and seen:
        for payment in reversed(seen):
            if payment.amount_minor in wanted:
                t.idle()
                t.say(
                    "paid_found",
                    amount=t.money(payment.amount_minor, payment.currency),
                    paid_on=t.day(payment.paid_at.astimezone(ZoneInfo(t.zone())).date()),
                )
                return True
    # Not in the ledger: the claim is checked by a person, and collection waits meanwhile (a claim of payment
    # disputes the debt until someone confirms it).
    t.uow.conversations.set_account_state(account.id, t.now, disputed_at=t.now)
    t.say("paid_checking")
    t.handoff("payment_not_found", key=None)
    return True
