"""What Cobro sends to the Cloud API and what it gets back, as msgspec Structs checked at construction.

Shapes follow Meta's Messages API reference
(https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api),
the template component object (https://whatsapp.github.io/WhatsApp-Nodejs-SDK/api-reference/types/component_object)
and the interactive list and reply-button pages
(https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from cobro.domain.money import Money


class InvalidMessage(ValueError):
    """A message Meta would reject for its shape; the text says which limit was broken."""


def _limit(value: str, most: int, what: str) -> None:
    if not value:
        raise InvalidMessage(f"{what} must not be empty")
    if len(value) > most:
        raise InvalidMessage(f"{what} is {len(value)} characters; WhatsApp allows at most {most}")


# --- template parameters -------------------------------------------------------------------------------


class TextParam(msgspec.Struct, frozen=True):
    """A text variable; `name` for templates created with named parameters."""

    text: str
    name: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """This parameter as Meta's JSON object."""
        payload: dict[str, Any] = {"type": "text", "text": self.text}
        if self.name is not None:
            payload["parameter_name"] = self.name
        return payload


class CurrencyParam(msgspec.Struct, frozen=True):
    """An amount of money; sent as `amount_1000`, the amount times 1,000 as an exact integer."""

    amount: Decimal
    code: str
    fallback_value: str
    name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise InvalidMessage("CurrencyParam.amount must be a Decimal, never a float")
        thousandths = self.amount * 1000
        if not thousandths.is_finite() or thousandths != thousandths.to_integral_value():
            raise InvalidMessage(f"{self.amount} has more than three decimals; amount_1000 cannot hold it")

    @classmethod
    def from_money(cls, money: Money, fallback_value: str, name: str | None = None) -> CurrencyParam:
        """A currency parameter for a domain Money, formatted elsewhere in the debtor's locale."""
        return cls(money.amount, money.currency, fallback_value, name)

    @property
    def amount_1000(self) -> int:
        """The amount times 1,000, exactly: Decimal('1250.50') gives 1250500."""
        return int(self.amount * 1000)

    def to_payload(self) -> dict[str, Any]:
        """This parameter as Meta's JSON object."""
        payload: dict[str, Any] = {
            "type": "currency",
            "currency": {
                "fallback_value": self.fallback_value,
                "code": self.code,
                "amount_1000": self.amount_1000,
            },
        }
        if self.name is not None:
            payload["parameter_name"] = self.name
        return payload


class DateTimeParam(msgspec.Struct, frozen=True):
    """A date shown as Cobro formatted it; Cloud API always renders the fallback value."""

    fallback_value: str
    name: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """This parameter as Meta's JSON object."""
        payload: dict[str, Any] = {"type": "date_time", "date_time": {"fallback_value": self.fallback_value}}
        if self.name is not None:
            payload["parameter_name"] = self.name
        return payload


TemplateParam = TextParam | CurrencyParam | DateTimeParam


class QuickReplyButton(msgspec.Struct, frozen=True):
    """The payload Meta echoes when the debtor taps the template's quick-reply button at `index`."""

    index: int
    payload: str

    def to_payload(self) -> dict[str, Any]:
        """This button component as Meta's JSON object."""
        return {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(self.index),
            "parameters": [{"type": "payload", "payload": self.payload}],
        }


class UrlButton(msgspec.Struct, frozen=True):
    """The suffix appended to the template's dynamic URL button at `index` (e.g. a payment token)."""

    index: int
    suffix: str

    def to_payload(self) -> dict[str, Any]:
        """This button component as Meta's JSON object."""
        return {
            "type": "button",
            "sub_type": "url",
            "index": str(self.index),
            "parameters": [{"type": "text", "text": self.suffix}],
        }


# --- messages ------------------------------------------------------------------------------------------


class _Outbound(msgspec.Struct, frozen=True, kw_only=True):
    """Fields every message carries: the recipient, an optional reply context and Cobro's own reference."""

    to: str
    reply_to: str | None = None  # a wamid: the message is sent as a reply to it
    # Echoed in this message's status webhooks: put the outbox row id here so a status settles the row
    # even when the send response was lost.
    biz_opaque_callback_data: str | None = None

    def __post_init__(self) -> None:
        _limit(self.to, 256, "to")  # a phone number, or a business-scoped user id
        if self.biz_opaque_callback_data is not None:
            _limit(self.biz_opaque_callback_data, 512, "biz_opaque_callback_data")
        self._check()

    def _check(self) -> None:
        """Each message type's own limits."""

    def _content(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def to_payload(self) -> dict[str, Any]:
        """The whole request body as a dict."""
        kind, content = self._content()
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": self.to,
            "type": kind,
            kind: content,
        }
        if self.reply_to is not None:
            payload["context"] = {"message_id": self.reply_to}
        if self.biz_opaque_callback_data is not None:
            payload["biz_opaque_callback_data"] = self.biz_opaque_callback_data
        return payload

    def to_json(self) -> bytes:
        """The whole request body as JSON bytes."""
        return msgspec.json.encode(self.to_payload())


class TextMessage(_Outbound, frozen=True, kw_only=True):
    """Free-form text; only inside the 24 h customer service window."""

    body: str
    preview_url: bool = False

    def _check(self) -> None:
        _limit(self.body, 4096, "text body")

    def _content(self) -> tuple[str, dict[str, Any]]:
        return "text", {"body": self.body, "preview_url": self.preview_url}


class TemplateMessage(_Outbound, frozen=True, kw_only=True):
    """An approved template with its variables; the only kind allowed outside the service window."""

    name: str
    language: str
    header: tuple[TemplateParam, ...] = ()
    body: tuple[TemplateParam, ...] = ()
    buttons: tuple[QuickReplyButton | UrlButton, ...] = ()

    def _check(self) -> None:
        _limit(self.name, 512, "template name")
        _limit(self.language, 15, "template language")
        indexes = [button.index for button in self.buttons]
        if len(set(indexes)) != len(indexes):
            raise InvalidMessage(f"template button indexes repeat: {indexes}")

    def _content(self) -> tuple[str, dict[str, Any]]:
        components: list[dict[str, Any]] = []
        if self.header:
            components.append({"type": "header", "parameters": [p.to_payload() for p in self.header]})
        if self.body:
            components.append({"type": "body", "parameters": [p.to_payload() for p in self.body]})
        components.extend(button.to_payload() for button in self.buttons)
        template: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if components:
            template["components"] = components
        return "template", template


class ReplyButton(msgspec.Struct, frozen=True):
    """One interactive reply button: the id comes back in the webhook, the title is shown."""

    id: str
    title: str

    def __post_init__(self) -> None:
        _limit(self.id, 256, "button id")
        _limit(self.title, 20, "button title")


class ButtonsMessage(_Outbound, frozen=True, kw_only=True):
    """Text with up to three reply buttons."""

    body: str
    buttons: tuple[ReplyButton, ...]
    header: str | None = None
    footer: str | None = None

    def _check(self) -> None:
        _limit(self.body, 1024, "interactive body")
        if not 1 <= len(self.buttons) <= 3:
            raise InvalidMessage(f"{len(self.buttons)} reply buttons; WhatsApp allows one to three")
        if len({button.id for button in self.buttons}) != len(self.buttons):
            raise InvalidMessage("reply button ids must be unique")
        _check_header_footer(self.header, self.footer)

    def _content(self) -> tuple[str, dict[str, Any]]:
        action = {
            "buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in self.buttons]
        }
        return "interactive", _interactive("button", self.body, self.header, self.footer, action)


class ListRow(msgspec.Struct, frozen=True):
    """One choice in a list message."""

    id: str
    title: str
    description: str | None = None

    def __post_init__(self) -> None:
        _limit(self.id, 200, "list row id")
        _limit(self.title, 24, "list row title")
        if self.description is not None:
            _limit(self.description, 72, "list row description")


class ListSection(msgspec.Struct, frozen=True):
    """A titled group of rows; the title is required only when there are several sections."""

    rows: tuple[ListRow, ...]
    title: str | None = None

    def __post_init__(self) -> None:
        if not self.rows:
            raise InvalidMessage("a list section needs at least one row")
        if self.title is not None:
            _limit(self.title, 24, "list section title")


class ListMessage(_Outbound, frozen=True, kw_only=True):
    """Text with a button that opens a menu of up to ten rows."""

    body: str
    button: str
    sections: tuple[ListSection, ...]
    header: str | None = None
    footer: str | None = None

    def _check(self) -> None:
        _limit(self.body, 4096, "list body")
        _limit(self.button, 20, "list button text")
        rows = [row for section in self.sections for row in section.rows]
        if not 1 <= len(self.sections) <= 10 or not 1 <= len(rows) <= 10:
            raise InvalidMessage("a list message takes 1-10 sections and 1-10 rows in all")
        if len(self.sections) > 1 and any(section.title is None for section in self.sections):
            raise InvalidMessage("every section needs a title when there are several")
        if len({row.id for row in rows}) != len(rows):
            raise InvalidMessage("list row ids must be unique")
        _check_header_footer(self.header, self.footer)

    def _content(self) -> tuple[str, dict[str, Any]]:
        sections = []
        for section in self.sections:
            rows = [
                _omit_none({"id": r.id, "title": r.title, "description": r.description}) for r in section.rows
            ]
            sections.append(_omit_none({"title": section.title, "rows": rows}))
        action = {"button": self.button, "sections": sections}
        return "interactive", _interactive("list", self.body, self.header, self.footer, action)


OutboundMessage = TextMessage | TemplateMessage | ButtonsMessage | ListMessage


def _check_header_footer(header: str | None, footer: str | None) -> None:
    if header is not None:
        _limit(header, 60, "interactive header")
    if footer is not None:
        _limit(footer, 60, "interactive footer")


def _interactive(
    kind: str, body: str, header: str | None, footer: str | None, action: dict[str, Any]
) -> dict[str, Any]:
    content: dict[str, Any] = {"type": kind}
    if header is not None:
        content["header"] = {"type": "text", "text": header}
    content["body"] = {"text": body}
    if footer is not None:
        content["footer"] = {"text": footer}
    content["action"] = action
    return content


def _omit_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# --- responses -----------------------------------------------------------------------------------------


class SendAccepted(msgspec.Struct, frozen=True):
    """Meta took the message: its wamid, and the recipient as Meta resolved it."""

    wamid: str
    wa_id: str | None  # absent for a user who has only a username (Meta's 2026 change)
    input: str | None
    message_status: str | None  # "accepted", or "held_for_quality_assessment" for some templates
    user_id: str | None = None  # the business-scoped user id, when Meta sends one


class _Contact(msgspec.Struct):
    input: str | None = None
    wa_id: str | None = None
    user_id: str | None = None


class _MessageRef(msgspec.Struct):
    id: str
    message_status: str | None = None


class SendResponse(msgspec.Struct):
    """The raw success body of a send; decoded strictly enough to find the wamid."""

    messages: list[_MessageRef]
    contacts: list[_Contact] = msgspec.field(default_factory=list)

    def accepted(self) -> SendAccepted:
        """The typed result; the first message and contact, since Cobro sends one message per call."""
        if not self.messages:
            raise ValueError("success response without a message id")
        contact = self.contacts[0] if self.contacts else _Contact()
        message = self.messages[0]
        return SendAccepted(message.id, contact.wa_id, contact.input, message.message_status, contact.user_id)
