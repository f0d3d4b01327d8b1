"""Catalogue templates in the Cloud API's terms: the definition submitted for review, and the parameters and
quick-reply payloads of a send."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cobro.adapters.whatsapp.messages import (
    CurrencyParam,
    QuickReplyButton,
    TemplateMessage,
    TemplateParam,
    TextParam,
)
from cobro.adapters.whatsapp.templates import TemplateDefinition
from cobro.app.template_parameters import TemplateParameter
from cobro.domain.template_catalogue import TemplateEntry


def definition_for(entry: TemplateEntry) -> TemplateDefinition:
    """The create request for a catalogue entry: header, body with its examples, footer, quick replies."""
    components: list[dict[str, Any]] = []
    if entry.header:
        components.append({"type": "HEADER", "format": "TEXT", "text": entry.header})
    body: dict[str, Any] = {"type": "BODY", "text": entry.body}
    if entry.examples:
        body["example"] = {"body_text": [list(entry.examples)]}
    components.append(body)
    if entry.footer:
        components.append({"type": "FOOTER", "text": entry.footer})
    if entry.buttons:
        buttons = [{"type": b.type, "text": b.label} for b in entry.buttons]
        components.append({"type": "BUTTONS", "buttons": buttons})
    return TemplateDefinition(
        name=entry.name,
        language=entry.language,
        category=entry.category,  # type: ignore[arg-type]  # checked against CATEGORIES at load
        components=components,
    )


def body_parameters(parameters: list[TemplateParameter]) -> tuple[TemplateParam, ...]:
    """The Cloud API body parameters: the amount as a currency parameter, everything else as text."""
    params: list[TemplateParam] = []
    for p in parameters:
        if p.currency_code is not None and p.amount_1000 is not None:
            amount = Decimal(p.amount_1000).scaleb(-3)
            params.append(CurrencyParam(amount=amount, code=p.currency_code, fallback_value=p.text))
        else:
            params.append(TextParam(p.text))
    return tuple(params)


def quick_reply_buttons(entry: TemplateEntry) -> tuple[QuickReplyButton, ...]:
    """The payload of each quick reply, by its index, as Meta echoes it when the debtor taps it."""
    return tuple(QuickReplyButton(index=i, payload=b.payload) for i, b in enumerate(entry.buttons))


def template_message(
    entry: TemplateEntry,
    parameters: list[TemplateParameter],
    *,
    to: str,
    biz_opaque_callback_data: str | None = None,
) -> TemplateMessage:
    """The whole send: the entry's name and language, its body parameters and its quick-reply payloads."""
    return TemplateMessage(
        to=to,
        name=entry.name,
        language=entry.language,
        body=body_parameters(parameters),
        buttons=quick_reply_buttons(entry),
        biz_opaque_callback_data=biz_opaque_callback_data,
    )
