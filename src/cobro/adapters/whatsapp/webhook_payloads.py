"""Reads a Cloud API webhook delivery (object `whatsapp_business_account`) into domain objects.

Shapes follow Meta's "messages webhook reference" and "Status messages webhook reference"
(developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/), the
`message_template_status_update` field reference, and the business-scoped user id changes
(developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/): a contact
may carry `user_id` (and `parent_user_id`, `profile.username`) with no `wa_id`, a message `from_user_id`
with no `from`, a status `recipient_user_id` with no `recipient_id`.

Strict only where Cobro cannot act without the field (ids, statuses, timestamps); fields, change kinds,
message types and status values it does not know are skipped or kept as they are, so a new Meta feature
does not turn into rejected deliveries.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cobro.domain.errors import InvalidInput
from cobro.domain.messaging import (
    InboundMessage,
    MessageStatus,
    StatusUpdate,
    TemplateStatusUpdate,
    WebhookContents,
)

_MEDIA_TYPES = {"image", "document", "audio", "video", "sticker"}
_STATUSES = {status.value: status for status in MessageStatus}


class MalformedWebhook(InvalidInput):
    """A delivery that is not a WhatsApp Business Account webhook Cobro can read; answered with 400."""


def parse_webhook(raw_body: bytes) -> WebhookContents:
    """Every message, status and template review in one delivery; raises MalformedWebhook on a bad shape."""
    try:
        data = json.loads(raw_body)
    except RecursionError as exc:
        raise MalformedWebhook("body is nested too deeply") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedWebhook(f"body is not JSON: {exc}") from exc
    _refuse_nul(data)
    try:
        return _contents(data)
    except MalformedWebhook:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        # A shape no rule above foresaw: still the sender's mistake (400), never a crash (500), since a
        # body Cobro cannot read would otherwise be redelivered by Meta for days.
        raise MalformedWebhook(f"unexpected shape: {type(exc).__name__}: {str(exc)[:100]}") from exc


def _refuse_nul(data: Any) -> None:
    """PostgreSQL text cannot hold NUL; no WhatsApp field carries one, so a body with one is refused whole."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise MalformedWebhook("a text contains a NUL character")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _contents(data: Any) -> WebhookContents:
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise MalformedWebhook("'object' must be 'whatsapp_business_account'")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    templates: list[TemplateStatusUpdate] = []
    ignored: list[str] = []
    for e, entry in enumerate(_list(data, "entry", "")):
        where = f"entry[{e}]"
        entry = _object(entry, where)
        for c, change in enumerate(_list(entry, "changes", where)):
            at = f"{where}.changes[{c}]"
            change = _object(change, at)
            kind = change.get("field")
            value = _object(change.get("value"), f"{at}.value")
            if kind == "messages":
                _read_messages(value, at, messages, statuses, ignored)
            elif kind == "message_template_status_update":
                templates.append(_template_update(value, entry, at))
            else:
                ignored.append(f"field:{kind}")
    return WebhookContents(tuple(messages), tuple(statuses), tuple(templates), tuple(ignored))


def _read_messages(
    value: dict[str, Any],
    at: str,
    messages: list[InboundMessage],
    statuses: list[StatusUpdate],
    ignored: list[str],
) -> None:
    metadata = _object(value.get("metadata"), f"{at}.value.metadata")
    phone_number_id = _text(metadata, "phone_number_id", f"{at}.value.metadata")
    contacts = [
        _object(c, f"{at}.value.contacts[{i}]")
        for i, c in enumerate(_list(value, "contacts", f"{at}.value", []))
    ]
    for m, raw in enumerate(_list(value, "messages", f"{at}.value", [])):
        messages.append(_message(_object(raw, f"{at}.value.messages[{m}]"), phone_number_id, contacts, at, m))
    for s, raw in enumerate(_list(value, "statuses", f"{at}.value", [])):
        status = _status(
            _object(raw, f"{at}.value.statuses[{s}]"), phone_number_id, f"{at}.value.statuses[{s}]"
        )
        if isinstance(status, str):
            ignored.append(status)
        else:
            statuses.append(status)


def _message(
    raw: dict[str, Any], phone_number_id: str, contacts: list[dict[str, Any]], at: str, m: int
) -> InboundMessage:
    where = f"{at}.value.messages[{m}]"
    wa_id = _optional(raw, "from")
    user_id = _optional(raw, "from_user_id")
    contact = _contact_for(contacts, wa_id, user_id)
    wa_id = wa_id or _optional(contact, "wa_id")
    user_id = user_id or _optional(contact, "user_id")
    if wa_id is None and user_id is None:
        raise MalformedWebhook(f"{where}: no sender ('from', 'from_user_id' or a contact)")
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    kind = _text(raw, "type", where)
    body = raw.get(kind) if isinstance(raw.get(kind), dict) else {}
    context = raw.get("context") if isinstance(raw.get("context"), dict) else {}
    fields: dict[str, str | None] = {}
    if kind == "text":
        fields["text"] = _optional(body, "body")
    elif kind == "interactive":
        reply_kind = body.get("type")  # button_reply or list_reply
        reply_body = body.get(reply_kind) if isinstance(reply_kind, str) else None
        reply = reply_body if isinstance(reply_body, dict) else {}
        fields["reply_id"] = _optional(reply, "id")
        fields["reply_title"] = _optional(reply, "title")
    elif kind == "button":
        fields["payload"] = _optional(body, "payload")
        fields["reply_title"] = _optional(body, "text")
    elif kind == "reaction":
        fields["reaction_emoji"] = _optional(body, "emoji")
        fields["reacted_wamid"] = _optional(body, "message_id")
    elif kind in _MEDIA_TYPES:
        fields["media_id"] = _optional(body, "id")
        fields["caption"] = _optional(body, "caption")
    return InboundMessage(
        wamid=_text(raw, "id", where),
        phone_number_id=phone_number_id,
        type=kind,
        timestamp=_timestamp(raw.get("timestamp"), f"{where}.timestamp"),
        wa_id=wa_id,
        user_id=user_id,
        parent_user_id=_optional(contact, "parent_user_id"),
        profile_name=_optional(profile, "name"),
        username=_optional(profile, "username"),
        context_wamid=_optional(context, "id"),
        **fields,
    )


def _contact_for(contacts: list[dict[str, Any]], wa_id: str | None, user_id: str | None) -> dict[str, Any]:
    for contact in contacts:
        if (wa_id and contact.get("wa_id") == wa_id) or (user_id and contact.get("user_id") == user_id):
            return contact
    # A username-only user's message may name no sender itself: one contact in the change is that sender.
    return contacts[0] if len(contacts) == 1 else {}


def _status(raw: dict[str, Any], phone_number_id: str, where: str) -> StatusUpdate | str:
    name = _text(raw, "status", where)
    status = _STATUSES.get(name)
    if status is None:
        return f"status:{name}"
    errors = raw.get("errors")
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    error_data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    pricing = raw.get("pricing") if isinstance(raw.get("pricing"), dict) else {}
    billable = pricing.get("billable")
    code = error.get("code")
    return StatusUpdate(
        wamid=_text(raw, "id", where),
        status=status,
        timestamp=_timestamp(raw.get("timestamp"), f"{where}.timestamp"),
        phone_number_id=phone_number_id,
        recipient_id=_optional(raw, "recipient_id"),
        recipient_user_id=_optional(raw, "recipient_user_id"),
        biz_opaque_callback_data=_optional(raw, "biz_opaque_callback_data"),
        error_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        error_title=_optional(error, "title") or _optional(error, "message"),
        error_details=_optional(error_data, "details"),
        pricing_category=_optional(pricing, "category"),
        pricing_billable=billable if isinstance(billable, bool) else None,
        pricing_model=_optional(pricing, "pricing_model"),
    )


def _template_update(value: dict[str, Any], entry: dict[str, Any], at: str) -> TemplateStatusUpdate:
    where = f"{at}.value"
    template_id = value.get("message_template_id")
    if not isinstance(template_id, (int, str)) or isinstance(template_id, bool) or template_id == "":
        raise MalformedWebhook(f"{where}.message_template_id: missing")
    time = entry.get("time")
    return TemplateStatusUpdate(
        event=_text(value, "event", where),
        template_id=str(template_id),
        name=_optional(value, "message_template_name") or "",
        language=_optional(value, "message_template_language") or "",
        waba_id=str(entry.get("id", "")),
        timestamp=_timestamp(time, f"{at}.time") if time is not None else None,
        reason=_optional(value, "reason"),
    )


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedWebhook(f"{where or 'body'}: expected an object")
    return value


def _list(parent: dict[str, Any], key: str, where: str, default: list[Any] | None = None) -> list[Any]:
    value = parent.get(key, default)
    if not isinstance(value, list):
        raise MalformedWebhook(f"{where + '.' if where else ''}{key}: expected a list")
    return value


# The longest value Cobro stores for each identifier (the columns in adapters/db/tables.py). A longer one is
# refused with the whole body (400) rather than accepted and then never storable.
_MAX_LENGTH = {
    "id": 128,
    "from": 32,
    "wa_id": 32,
    "recipient_id": 32,
    "type": 32,
    "status": 16,
    "user_id": 160,
    "from_user_id": 160,
    "parent_user_id": 160,
    "from_parent_user_id": 160,
    "recipient_user_id": 160,
    "phone_number_id": 64,
    "biz_opaque_callback_data": 512,
    "event": 32,
    "message_template_id": 64,
    "message_template_name": 512,
    "message_template_language": 16,
}


def _text(parent: dict[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedWebhook(f"{where}.{key}: expected a non-empty string")
    return _within_limit(value, key, where)


def _optional(parent: dict[str, Any], key: str, where: str = "") -> str | None:
    value = parent.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return _within_limit(value, key, where) if isinstance(value, str) and value else None


def _within_limit(value: str, key: str, where: str) -> str:
    limit = _MAX_LENGTH.get(key)
    if limit is not None and len(value) > limit:
        raise MalformedWebhook(f"{where}.{key}: longer than {limit} characters")
    return value


def _timestamp(value: Any, where: str) -> datetime:
    """Meta sends Unix seconds, as a string in messages and statuses and as a number in entry.time."""
    # ASCII digits only ("²".isdigit() is True) and at most 12 of them (Unix seconds until year 33658).
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedWebhook(f"{where}: expected Unix seconds")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedWebhook(f"{where}: {value} is out of range") from exc
