"""Requests that need no proof and disclose nothing: wrong number, opt-out, dispute, hardship."""

from __future__ import annotations

from cobro.app.conversation.templates import template_content, template_language
from cobro.app.conversation.turn import SERVICE_WINDOW, Turn
from cobro.app.template_parameters import TemplateValues
from cobro.domain.accounts import OptOut
from cobro.domain.contact import MessageKind
from cobro.domain.conversation.state import Flow, Step
from cobro.domain.events import EventKind
from cobro.domain.outbox import PreparedMessage


def wrong_number(t: Turn) -> None:
    """The person tapped "wrong number": app/inbound_requests already stored it on the debtors at this phone
    (or the one the tapped message was about); the bot apologises without a word about any debt and never
    writes to this contact again."""
    t.say("wrong_number_ack")
    t.update(flow=Flow.SILENCED, step=Step.NONE, slots={}, expires_at=None)


def opt_out(t: Turn, *, already_recorded: bool) -> None:
    """Honoured at once (stored before this turn when a keyword or the button asked for it), confirmed once:
    with the opt-out confirmation template to each debtor at this number (the planner then sends none), or
    a plain text to a number that is no debtor's.

    A debtor at this contact with no opt-out on record gets it now: all of them when the classifier read the
    request, and a username-only contact's debtor, whom the keyword step (by phone) could not find. The
    confirmation's key is the debtor's opt-out instant, so a second STOP adds no second confirmation."""
    missing = [d.id for d in t.at_contact if d.opted_out_at is None]
    if missing:
        source = f"whatsapp:{t.message.wamid}"
        request = OptOut(at=t.message.timestamp, scope="channel", source=source)
        t.uow.debtor_flags.record_opt_out(missing, request, t.now)
        t.record(
            EventKind.OPT_OUT_RECORDED,
            via="keyword" if already_recorded else "classifier",
            debtors=len(missing),
        )
    t.idle()
    if not t.at_contact:
        t.say("opt_out_ack")
        return
    for stale in t.at_contact:
        debtor = t.uow.conversations.debtor(stale.id)
        if debtor is None or debtor.opted_out_at is None:
            continue
        entry = t.bot.catalogue.get(("cobro_opt_out_confirmation", template_language(debtor.language)))
        if entry is None:
            continue
        values = TemplateValues(debtor.name, debtor.creditor_name, debtor.language, debtor.country)
        t.extra.append(
            PreparedMessage(
                idempotency_key=f"opt-out:{debtor.id}:{debtor.opted_out_at.isoformat()}",
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
        account_id=t.conversation.verified_account_id if t.verified else None,
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
