"""The demo's first WhatsApp conversation: subscribe Cobro's webhook, get a template approved, send it.

Runs against whatever `COBRO_WHATSAPP_API_BASE` points at; `cobro demo start` points it at the sandbox.
The strategy and the send pipeline will own sending later; this is the smallest real round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency
from sqlalchemy import Engine, select

from cobro.adapters.db import tables as t
from cobro.adapters.whatsapp import (
    CurrencyParam,
    DateTimeParam,
    QuickReplyButton,
    TemplateDefinition,
    TemplateMessage,
    TextParam,
    WhatsAppClient,
)
from cobro.adapters.whatsapp.template_account import GraphTemplateAccount
from cobro.app.record_webhooks import record_outbound_message
from cobro.app.sync_templates import sync_templates
from cobro.bootstrap import Container
from cobro.domain.money import Money
from cobro.domain.template_catalogue import load_catalogue
from cobro.i18n.currencies import find_currency

DEMO_TEMPLATE = "cobro_demo_reminder"
DEMO_LANGUAGE = "es_MX"
DEMO_TEMPLATE_DEFINITION = TemplateDefinition(
    name=DEMO_TEMPLATE,
    language=DEMO_LANGUAGE,
    category="UTILITY",
    components=[
        {"type": "HEADER", "format": "TEXT", "text": "Recordatorio de pago"},
        {
            "type": "BODY",
            "text": (
                "Hola {{1}}, te recordamos que la factura {{2}} por {{3}} vence el {{4}}. "
                "Elige una opción y te ayudamos."
            ),
            "example": {"body_text": [["Ana", "F-1001", "$1,250.00", "30 de noviembre de 2026"]]},
        },
        {"type": "FOOTER", "text": "Cobro · escribe BAJA para no recibir más"},
        {
            "type": "BUTTONS",
            "buttons": [
                {"type": "QUICK_REPLY", "text": "Pagar ahora"},
                {"type": "QUICK_REPLY", "text": "Plan de pagos"},
                {"type": "QUICK_REPLY", "text": "Hablar con alguien"},
            ],
        },
    ],
)
QUICK_REPLIES = ("PAY_NOW", "PAYMENT_PLAN", "TALK_TO_AGENT")


@dataclass(frozen=True)
class DemoInvoice:
    """The open invoice the demo reminds a Mexican debtor of."""

    debtor_id: int
    creditor_id: int
    name: str
    phone: str
    reference: str
    amount: Money
    due_date: date


def first_mexican_invoice(engine: Engine, today: date) -> DemoInvoice | None:
    """The demo creditor's open invoice, owed from a Mexican number, that falls due next (the template is a
    friendly reminder before the due date), if the demo data is loaded."""
    query = (
        select(
            t.debtors.c.id,
            t.debtors.c.creditor_id,
            t.debtors.c.name,
            t.debtors.c.phone,
            t.invoices.c.reference,
            t.invoices.c.outstanding_minor,
            t.invoices.c.currency,
            t.invoices.c.due_date,
        )
        .join(t.accounts, t.accounts.c.debtor_id == t.debtors.c.id)
        .join(t.invoices, t.invoices.c.account_id == t.accounts.c.id)
        .join(t.creditors, t.creditors.c.id == t.debtors.c.creditor_id)
        .where(
            t.creditors.c.slug == "demo",
            t.debtors.c.phone.like("+52%"),
            t.invoices.c.status == "open",
            t.invoices.c.due_date >= today,
        )
        .order_by(t.invoices.c.due_date, t.debtors.c.id)
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    currency = find_currency(row[6]) if row is not None else None
    if row is None or currency is None:
        return None
    return DemoInvoice(
        debtor_id=row[0],
        creditor_id=row[1],
        name=row[2],
        phone=row[3],
        reference=row[4],
        amount=Money.from_minor(row[5], currency),
        due_date=row[7],
    )


async def start_demo_conversation(container: Container, callback_url: str) -> str | None:
    """Subscribes Cobro's webhook, ensures the demo template is approved and sends it; returns the phone."""
    settings = container.settings
    invoice = first_mexican_invoice(container.engine, container.clock.now().date())
    async with WhatsAppClient.from_settings(settings) as client:
        await client.subscribe_app(
            app_id=settings.whatsapp_app_id,
            app_secret=settings.whatsapp_app_secret.get_secret_value(),
            callback_url=callback_url,
            verify_token=settings.whatsapp_verify_token.get_secret_value(),
        )
        # The collection catalogue (every stage, four languages) goes to review first: the planner uses
        # only approved templates.
        await sync_templates(
            container.uow_factory,
            container.clock,
            GraphTemplateAccount(client),
            load_catalogue(),
            waba_id=settings.whatsapp_waba_id,
            wait=True,
            review_timeout=60,
            poll_every=0.5,
        )
        known = [t for t in await client.list_templates(name=DEMO_TEMPLATE) if t.language == DEMO_LANGUAGE]
        if not known:
            await client.create_template(DEMO_TEMPLATE_DEFINITION)
        review = await client.wait_for_template_review(
            DEMO_TEMPLATE, DEMO_LANGUAGE, timeout=30, poll_every=0.2
        )
        if review.status != "APPROVED" or invoice is None:
            return None
        message = TemplateMessage(
            to=invoice.phone,
            name=DEMO_TEMPLATE,
            language=DEMO_LANGUAGE,
            body=(
                TextParam(invoice.name),
                TextParam(invoice.reference),
                CurrencyParam.from_money(
                    invoice.amount,
                    fallback_value=format_currency(
                        invoice.amount.amount, invoice.amount.currency, locale="es_MX"
                    ),
                ),
                DateTimeParam(format_date(invoice.due_date, format="long", locale="es_MX")),
            ),
            buttons=tuple(QuickReplyButton(index=i, payload=p) for i, p in enumerate(QUICK_REPLIES)),
            biz_opaque_callback_data=f"demo:{invoice.reference}",
        )
        accepted = await client.send(message)
    record_outbound_message(
        container.uow_factory,
        container.clock,
        wamid=accepted.wamid,
        phone_number_id=settings.whatsapp_phone_number_id,
        to=invoice.phone,
        type="template",
        content=message.to_payload(),
        biz_opaque_callback_data=message.biz_opaque_callback_data,
        creditor_id=invoice.creditor_id,
        debtor_id=invoice.debtor_id,
    )
    return invoice.phone
