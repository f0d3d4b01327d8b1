"""The flows: what the bot does with each intent and each step it waits on.

Every request that would show a debt (balance, pay, plan, promise, more time, already paid) first passes
identity: the account number, then the creditor's second factor. Three failures lock disclosure and hand the
conversation to a person. Anything the bot cannot resolve after two tries, or understand twice, goes to the
agent inbox with the reason.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from cobro.app.conversation.templates import template_content, template_language
from cobro.app.conversation.turn import SERVICE_WINDOW, Turn
from cobro.app.payment_references import issue_reference
from cobro.app.template_parameters import TemplateValues
from cobro.domain.accounts import OptOut
from cobro.domain.contact import MessageKind
from cobro.domain.conversation.answers import yes_or_no
from cobro.domain.conversation.identity import (
    HolderFacts,
    SecondFactor,
    account_shape_ok,
    normalise_reference,
    second_factor_matches,
)
from cobro.domain.conversation.intents import Intent, intent_of_payload
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
from cobro.domain.outbox import PreparedMessage
from cobro.i18n.currencies import find_currency

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
# Intents that leave whatever step the conversation waits on.
ESCAPES = frozenset(
    {Intent.TALK_TO_AGENT, Intent.WRONG_NUMBER, Intent.OPT_OUT, Intent.DISPUTE, Intent.HARDSHIP}
)
MAX_TRIES = 2


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
    if chosen is None and reading is not None and _confident(t):
        chosen = reading.intent
    if chosen is None or chosen is Intent.OTHER:
        clarify(t)
        return
    start(t, chosen)


# Intents whose effect cannot be undone by the bot (it stops writing, or pauses collection) need more
# certainty than the policy's threshold before free text triggers them; their buttons need none.
GRAVE = frozenset({Intent.WRONG_NUMBER, Intent.OPT_OUT, Intent.DISPUTE})
GRAVE_CONFIDENCE = 0.85


def _confident(t: Turn) -> bool:
    reading = t.reading
    if reading is None:
        return False
    threshold = t.policy().confidence_threshold
    if reading.intent in GRAVE:
        threshold = max(threshold, GRAVE_CONFIDENCE)
    return reading.confidence >= threshold


def escaping(t: Turn) -> bool:
    """True when a message that does not answer the step asks, with confidence, to leave it (a person, a
    dispute, hardship, wrong number, stop)."""
    return t.reading is not None and t.reading.intent in ESCAPES and _confident(t)


def asks_something_else(t: Turn, *also: Intent) -> bool:
    """True when a message that does not answer the step is, with confidence, another request."""
    reading = t.reading
    return (
        reading is not None
        and reading.intent is not Intent.OTHER
        and reading.intent not in also
        and _confident(t)
    )


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
    elif intent is Intent.WRONG_NUMBER:
        wrong_number(t)
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


def clarify(t: Turn) -> None:
    """Asks what the person wants; twice unclear in a row goes to a person."""
    tries = t.conversation.tries + 1
    if tries >= MAX_TRIES:
        t.handoff("not_understood", key="handoff_unresolved")
        return
    t.update(tries=tries)
    t.say("clarify")
    t.offer_menu()


def unresolved(t: Turn, key: str, **values: object) -> None:
    """The step's answer did not fit: say why and wait again, or hand over after two tries."""
    tries = t.conversation.tries + 1
    if tries >= MAX_TRIES:
        t.handoff(f"unresolved_{t.conversation.flow.value}", key="handoff_unresolved")
        return
    t.update(tries=tries)
    t.say(key, **values)


# --- identity ------------------------------------------------------------------------------------------------


def verify_step(t: Turn) -> bool:
    """The account number, then the second factor; False when the message is no answer but a way out."""
    c = t.conversation
    if c.is_locked(t.now):
        t.idle()
        t.say("verify_locked")
        return True
    policy = t.policy()
    if c.step is Step.ACCOUNT:
        numbers = (
            list(t.bot.reader.entities(t.text, t.language, t.zone(), t.today()).numbers) if t.text else []
        )
        whole = normalise_reference(t.text)
        candidates = [n for n in [*numbers, whole] if n and account_shape_ok(n, policy.account_pattern)]
        if not candidates:
            if escaping(t):
                t.idle()
                return False
            unresolved(t, "account_format", example=policy.account_example)
            return True
        creditor_ids = t.uow.conversations.creditors_of_number(t.message.phone_number_id)
        found: list[AccountCard] = []
        for number in dict.fromkeys(candidates):
            found = t.uow.conversations.accounts_by_reference(number, creditor_ids or None)
            if found:
                break
        if not found:
            failed(t, "account_not_found")
            return True
        t.move(
            Flow.VERIFY,
            Step.SECOND_FACTOR,
            pending=c.slots.get("pending"),
            said=c.slots.get("said"),
            accounts=[a.id for a in found],
        )
        factor = t.policy_of(found[0].creditor_id).second_factor
        if factor is SecondFactor.NAME:
            t.say("ask_name")
        elif factor is SecondFactor.BIRTH_DATE:
            t.say("ask_birth_date")
        else:
            t.say("ask_national_id", digits=t.policy_of(found[0].creditor_id).national_id_digits)
        return True
    for account_id in c.slots.get("accounts", []):
        account = t.uow.conversations.account(int(account_id))
        debtor = t.uow.conversations.debtor(account.debtor_id) if account else None
        if account is None or debtor is None:
            continue
        creditor_policy = t.policy_of(account.creditor_id)
        birth = None
        if creditor_policy.second_factor is SecondFactor.BIRTH_DATE:
            birth = t.bot.reader.birth_date(t.text, t.language)
        facts = HolderFacts(debtor.name, debtor.birth_date, debtor.national_id)
        if second_factor_matches(
            creditor_policy.second_factor,
            t.text,
            facts,
            birth_date=birth,
            digits=creditor_policy.national_id_digits,
        ):
            verified(t, account, debtor.id, debtor.name, c.slots.get("pending"), c.slots.get("said"))
            return True
    if escaping(t):
        t.idle()
        return False
    failed(t, "verify_failed")
    return True


def failed(t: Turn, key: str) -> None:
    """A failed proof: counted; the policy's maximum locks disclosure and hands over to a person."""
    policy = t.policy()
    failures = t.conversation.failures + 1
    t.record(EventKind.IDENTITY_FAILED, failures=failures, step=t.conversation.step.value)
    if failures >= policy.max_failures:
        t.update(failures=0, locked_until=t.now + policy.lock)
        t.record(EventKind.IDENTITY_LOCKED, until=(t.now + policy.lock).isoformat())
        t.handoff("verification_locked", key="verify_locked")
        return
    t.update(failures=failures)
    if key == "verify_failed":
        t.say(key, remaining=policy.max_failures - failures)
    else:
        t.say(key)
        t.say("verify_failed", remaining=policy.max_failures - failures)


def verified(
    t: Turn, account: AccountCard, debtor_id: int, name: str, pending: object, said: object = None
) -> None:
    """The person proved who they are: linked, confirmed as the right party, then what they asked for."""
    policy = t.policy_of(account.creditor_id)
    t.update(
        verified_debtor_id=debtor_id,
        verified_account_id=account.id,
        verified_until=t.now + policy.verified_for,
        failures=0,
        creditor_id=account.creditor_id,
        debtor_id=debtor_id,
    )
    t.idle()
    if t.message.user_id:
        t.uow.conversations.link_user_id(debtor_id, t.message.user_id, t.now)
    t.uow.debtor_flags.confirm_right_party([debtor_id], t.now, t.now)
    t.record(EventKind.IDENTITY_VERIFIED, account_id=account.id)
    t.say("verified", name=name.split()[0] if name.split() else name)
    intent = Intent(str(pending)) if pending else Intent.CHECK_BALANCE
    run_verified(t, intent, said if isinstance(said, str) else None)


# --- verified requests -----------------------------------------------------------------------------------


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
    row = {
        "id": f"PLAN:{option.count}",
        "title": t.label("plan_row", count=option.count, instalment=instalment),
    }
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
    plan_id = t.uow.conversations.add_plan(account, option, t.conversation.id, t.now)
    t.uow.conversations.set_account_state(account.id, t.now, plan_status="current")
    t.record(EventKind.PLAN_AGREED, plan_id=plan_id, instalments=option.count, total_minor=option.total_minor)
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
    latest = t.policy().latest_promise(t.today())
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
    if entities is not None and (entities.amounts or entities.dates) and seen:
        currency = find_currency(account.currency)
        wanted = {
            Money(a, account.currency).to_minor(currency)
            for a in entities.amounts
            if currency and _fits(a, currency)
        }
        for payment in reversed(seen):
            if not wanted or payment.amount_minor in wanted:
                t.idle()
                t.say(
                    "paid_found",
                    amount=t.money(payment.amount_minor, payment.currency),
                    paid_on=t.day(payment.paid_at.date()),
                )
                return True
    # Not in the ledger: the claim is checked by a person, and collection waits meanwhile (a claim of payment
    # disputes the debt until someone confirms it).
    t.uow.conversations.set_account_state(account.id, t.now, disputed_at=t.now)
    t.say("paid_checking")
    t.handoff("payment_not_found", key=None)
    return True


# --- requests that need no proof -----------------------------------------------------------------------------


def wrong_number(t: Turn) -> None:
    """Not the debtor: apologise without a word about any debt; this number is never written to again."""
    ids = [d.id for d in t.at_contact]
    if ids:
        t.uow.debtor_flags.record_wrong_number(ids, t.message.timestamp, t.now)
    t.record(EventKind.WRONG_NUMBER_RECORDED, debtors=len(ids), via="bot")
    t.say("wrong_number_ack")
    t.update(flow=Flow.SILENCED, step=Step.NONE, slots={}, expires_at=None)


def opt_out(t: Turn, *, already_recorded: bool) -> None:
    """Honoured at once (stored before this turn when a keyword or the button asked for it), confirmed once:
    with the opt-out confirmation template to each debtor at this number (the planner then sends none), or
    a plain text to a number that is no debtor's."""
    if not already_recorded and t.at_contact:
        at = t.message.timestamp
        t.uow.debtor_flags.record_opt_out(
            [d.id for d in t.at_contact],
            OptOut(at=at, scope="channel", source=f"whatsapp:{t.message.wamid}"),
            t.now,
        )
        t.record(EventKind.OPT_OUT_RECORDED, via="classifier")
    t.idle()
    if not t.at_contact:
        t.say("opt_out_ack")
        return
    for debtor in t.at_contact:
        entry = t.bot.catalogue.get(("cobro_opt_out_confirmation", template_language(debtor.language)))
        if entry is None:
            continue
        values = TemplateValues(debtor.name, debtor.creditor_name, debtor.language, debtor.country)
        t.extra.append(
            PreparedMessage(
                idempotency_key=f"opt-out:{debtor.id}:{t.message.wamid}",
                kind=MessageKind.OPT_OUT_CONFIRMATION,
                content=template_content(entry, values),
                due_at=t.now,
                window_until=t.message.timestamp + SERVICE_WINDOW,
                mentions_debt=False,
                creditor_id=debtor.creditor_id,
                debtor_id=debtor.id,
                conversation_id=t.conversation.id,
                phone_number_id=t.message.phone_number_id,
            )
        )


def dispute(t: Turn) -> None:
    """Pauses collection on the account(s) and hands the case, with the conversation, to a person."""
    for account_id in _accounts_concerned(t):
        t.uow.conversations.set_account_state(account_id, t.now, disputed_at=t.now)
    t.record(EventKind.DISPUTE_OPENED, accounts=len(_accounts_concerned(t)))
    t.say("dispute_ack")
    t.handoff("dispute", key=None)


def hardship(t: Turn) -> None:
    """Pauses reminders, opens a case for a person, and offers what the policy allows."""
    accounts = _accounts_concerned(t)
    for account_id in accounts:
        t.uow.conversations.set_account_state(account_id, t.now, hardship_at=t.now)
    t.record(EventKind.HARDSHIP_RECORDED, accounts=len(accounts))
    debtor = t.debtor()
    item_id, new = t.uow.inbox.open(
        conversation_id=t.conversation.id,
        creditor_id=debtor.creditor_id if debtor else None,
        debtor_id=debtor.id if debtor else None,
        account_id=t.conversation.verified_account_id,
        reason="hardship",
        detail=None,
        now=t.now,
    )
    if new:
        t.record(EventKind.HANDOFF_OPENED, inbox_item=item_id, reason="hardship")
    t.idle()
    t.say("hardship_ack")
    t.offer_buttons(
        ("PAYMENT_PLAN", "button.payment_plan"),
        ("MORE_TIME", "button.more_time"),
        ("TALK_TO_AGENT", "button.talk_to_agent"),
    )


def _accounts_concerned(t: Turn) -> list[int]:
    """The verified account, or every open account of the debtors at this contact (pausing is the safe error)."""
    if t.verified and t.conversation.verified_account_id is not None:
        return [t.conversation.verified_account_id]
    found: list[int] = []
    for debtor in t.at_contact:
        found.extend(t.uow.conversations.open_accounts(debtor.id))
    return found
