"""The thank-you and receipt after a payment lands (app/record_payments calls it in the same transaction).

Inside the debtor's 24-hour window it is a fixed text in the conversation; outside it, the approved
`cobro_payment_receipt` template to the debtor's phone. Either way its amounts come from the payment and the
ledger, and it goes through the outbox once per payment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cobro.app.conversation.bot import Bot
from cobro.app.conversation.templates import template_content, template_language
from cobro.app.record_payments import RecordedPayment
from cobro.app.template_parameters import TemplateValues
from cobro.app.uow import UnitOfWork
from cobro.domain.contact import MessageKind
from cobro.domain.outbox import PreparedMessage
from cobro.i18n.formatting import debtor_locale, format_amount, format_long_date

SERVICE_WINDOW = timedelta(hours=24)


def send_receipt(
    uow: UnitOfWork, bot: Bot, payment: RecordedPayment, now: datetime
) -> PreparedMessage | None:
    """Hands the receipt of `payment` to the outbox; None when there is nobody to send it to."""
    debtor = uow.conversations.debtor(payment.debtor_id)
    account = uow.conversations.account(payment.account_id)
    if debtor is None or account is None:
        return None
    conversation = uow.conversations.latest_for_debtor(debtor.id)
    language = (conversation.language if conversation else None) or debtor.language
    locale = debtor_locale(language, debtor.country)
    paid_on = payment.paid_at.astimezone(ZoneInfo(debtor.time_zone)).date()
    key = f"receipt:{payment.payment_id}"
    window = conversation.last_inbound_at if conversation is not None else None
    content: dict[str, Any]
    if conversation is not None and window is not None and now < window + SERVICE_WINDOW:
        values = {
            "amount": format_amount(payment.amount, locale),
            "paid_on": format_long_date(paid_on, locale),
            "account": account.reference,
        }
        if payment.remaining.amount > 0:
            remaining = format_amount(payment.remaining, locale)
            text = bot.replies.text(
                language,
                "receipt_partial",
                amount=values["amount"],
                paid_on=values["paid_on"],
                remaining=remaining,
            )
        else:
            text = bot.replies.text(language, "receipt_full", **values)
        prepared = PreparedMessage(
            idempotency_key=key,
            kind=MessageKind.SERVICE_REPLY,
            content={"type": "text", "text": text},
            due_at=now,
            window_until=window + SERVICE_WINDOW,
            mentions_debt=True,
            creditor_id=debtor.creditor_id,
            debtor_id=debtor.id,
            account_id=account.id,
            conversation_id=conversation.id,
            phone_number_id=conversation.phone_number_id,
            to_address=conversation.address,
        )
    else:
        entry = bot.catalogue.get(("cobro_payment_receipt", template_language(debtor.language)))
        if entry is None:
            return None
        content = template_content(
            entry,
            TemplateValues(
                debtor_name=debtor.name,
                creditor_name=debtor.creditor_name,
                language=debtor.language,
                country=debtor.country,
                invoice_reference=(
                    payment.invoice_references or (account.invoice_reference or account.reference,)
                )[0],
                paid_amount=payment.amount,
                remaining_amount=payment.remaining,
            ),
        )
        prepared = PreparedMessage(
            idempotency_key=key,
            kind=MessageKind.SERVICE_REPLY,
            content=content,
            due_at=now,
            window_until=None,
            mentions_debt=True,
            creditor_id=debtor.creditor_id,
            debtor_id=debtor.id,
            account_id=account.id,
        )
    uow.outbox.add_prepared([prepared], now)
    return prepared
