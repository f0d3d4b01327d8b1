"""POST /{phone-number-id}/messages parsed and checked the way Meta's Cloud API does, with Meta's errors.

References (Meta's WhatsApp Business Platform docs):
- Cloud API messages reference: `messaging_product` "whatsapp", `recipient_type` "individual", `to`, `type`
  (text when absent), `context.message_id`, `biz_opaque_callback_data` up to 512 characters; text body up
  to 4,096 characters with `preview_url`; mark as read with `status` "read", `message_id` and an optional
  `typing_indicator` {"type": "text"}.
- Business-scoped user IDs (2026 usernames): a send may name the person by BSUID or parent BSUID in
  `recipient` ("US.13491208655302741918", "US.ENT.11815799212886844830") instead of, or beside, `to`; when
  both are given `to` takes precedence.
- Interactive messages guide: reply buttons 1 to 3, id up to 256 and title up to 20 characters, unique;
  lists with a button up to 20 characters, 1 to 10 sections, 10 rows in all, row id up to 200, row title up
  to 24, description up to 72, section title up to 24 and required with more than one section; body up to
  1,024, footer up to 60, text header up to 60.
- Error codes: a value past a limit is (#131009) Parameter value is not valid, as Meta answers a footer
  that is too long; a missing field is (#100) "The parameter text['body'] is required."; a type Meta knows
  that the sandbox does not serve, or one it does not know, is (#131051) Unsupported message type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cobro.sandbox.errors import GraphError, invalid_parameter, parameter_required, parameter_value_invalid
from cobro.sandbox.template_parameters import TemplateValues, check_template
from cobro.sandbox.templates import Template, TemplateStore

LIMITS = {
    "text_body": 4096,
    "biz_opaque_callback_data": 512,
    "body": 1024,
    "footer": 60,
    "header": 60,
    "buttons": 3,
    "button_id": 256,
    "button_title": 20,
    "list_button": 20,
    "sections": 10,
    "rows": 10,
    "row_id": 200,
    "row_title": 24,
    "row_description": 72,
    "section_title": 24,
}
# Types the Cloud API takes that this sandbox does not serve: refused as unsupported, naming the type.
KNOWN_UNSERVED_TYPES = frozenset(
    ("audio", "contacts", "document", "image", "location", "reaction", "sticker", "video")
)
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]*")
_NON_DIGITS = re.compile(r"\D")
_BSUID = re.compile(r"[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}")


@dataclass(slots=True)
class OutboundMessage:
    """A send Meta would accept: who it goes to, its type and per-type object, and the template it uses."""

    to: str  # as sent: the `to` number, or the `recipient` BSUID when there is no `to`
    recipient: str  # what finds the person: the digits of `to`, or the BSUID
    type: str
    content: dict[str, Any]
    context_id: str | None = None
    biz_opaque_callback_data: str | None = None
    template: Template | None = None
    recipient_kind: str = "phone"  # "phone" | "user_id" | "parent_user_id"
    user_id: str | None = None  # a BSUID sent in `recipient` beside `to`
    values: TemplateValues | None = None  # what a template send fills in, for render()


@dataclass(frozen=True, slots=True)
class MarkRead:
    """A mark-as-read request, with or without a typing indicator."""

    message_id: str
    typing_indicator: bool = False


def unsupported_type(kind: object) -> GraphError:
    """(#131051) The message type is not one the sandbox serves."""
    if kind in KNOWN_UNSERVED_TYPES:
        details = f"Message type {kind!r} is not served by this sandbox; use text, template or interactive."
    else:
        details = f"Message type {kind!r} is not a Cloud API message type."
    return GraphError(131051, "(#131051) Unsupported message type", details=details)


def _string(value: Any, path: str, limit: int, *, required: bool = True) -> str | None:
    """A string field: present when required, non-empty and within its length limit."""
    if value is None:
        if required:
            raise parameter_required(path)
        return None
    if not isinstance(value, str):
        raise invalid_parameter(f"{path} must be a string.")
    if not value or len(value) > limit:
        raise parameter_value_invalid(
            f"{path} length invalid: {len(value)} characters. Min length: 1, Max length: {limit}"
        )
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        raise parameter_required(path)
    if not isinstance(value, dict):
        raise invalid_parameter(f"{path} must be an object.")
    return value


def _mark_read(body: dict[str, Any]) -> MarkRead:
    if body["status"] != "read":
        raise invalid_parameter(f"status must be 'read' to mark a message as read; got {body['status']!r}.")
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise parameter_required("message_id")
    indicator = body.get("typing_indicator")
    if indicator is not None and (not isinstance(indicator, dict) or indicator.get("type") != "text"):
        raise invalid_parameter('typing_indicator must be {"type": "text"}.')
    return MarkRead(message_id, indicator is not None)


def _bsuid(value: Any, path: str) -> tuple[str | None, str]:
    if not isinstance(value, str) or not _BSUID.fullmatch(value):
        raise invalid_parameter(
            f"{path} {value!r} is not a business-scoped user id such as US.13491208655302741918."
        )
    return value, "parent_user_id" if value[3:7] == "ENT." else "user_id"


def _recipient(body: dict[str, Any]) -> tuple[str, str, str, str | None]:
    """(to as sent, recipient key, recipient kind, BSUID given beside `to`)."""
    kind = body.get("recipient_type")
    if kind is not None and kind != "individual":
        raise invalid_parameter(f"recipient_type {kind!r} is not served by this sandbox; use 'individual'.")
    to, user = body.get("to"), body.get("recipient")
    user_id, user_kind = _bsuid(user, "recipient") if user is not None else (None, "")
    if to is None:
        if user_id is None:
            raise parameter_required("to")
        return user_id, user_id, user_kind, None
    if isinstance(to, int) and not isinstance(to, bool):
        to = str(to)
    if not isinstance(to, str) or not _PHONE.fullmatch(to):
        raise invalid_parameter(f"to {to!r} is not a phone number (digits, an optional + and separators).")
    digits = _NON_DIGITS.sub("", to)
    if not 7 <= len(digits) <= 15:
        raise invalid_parameter(f"to {to!r} has {len(digits)} digits; a phone number has 7 to 15.")
    return to, digits, "phone", user_id


def _text(content: dict[str, Any]) -> None:
    body = content.get("body")
    if body is None:
        raise parameter_required("text['body']")
    if not isinstance(body, str) or not body.strip():
        raise invalid_parameter("Param text['body'] must be a non-empty string.")
    if len(body) > LIMITS["text_body"]:
        raise invalid_parameter(
            f"Param text['body'] must be at most {LIMITS['text_body']} characters long; it has {len(body)}."
        )
    preview = content.get("preview_url")
    if preview is not None and not isinstance(preview, bool):
        raise invalid_parameter(f"Param text['preview_url'] must be a boolean; got {preview!r}.")


def _interactive_frame(content: dict[str, Any]) -> None:
    """The header, body and footer shared by button and list messages."""
    body = _object(content.get("body"), "interactive['body']")
    _string(body.get("text"), "interactive['body']['text']", LIMITS["body"])
    footer = content.get("footer")
    if footer is not None:
        _string(
            _object(footer, "interactive['footer']").get("text"),
            "interactive['footer']['text']",
            LIMITS["footer"],
        )
    header = content.get("header")
    if header is not None:
        header = _object(header, "interactive['header']")
        if header.get("type") != "text":
            raise unsupported_type(f"interactive header {header.get('type')!r}")
        _string(header.get("text"), "interactive['header']['text']", LIMITS["header"])


def _unique(value: str, seen: set[str], path: str, what: str) -> None:
    if value in seen:
        raise parameter_value_invalid(f"{path}: duplicate {what} {value!r}; {what}s must be unique")
    seen.add(value)


def _reply_buttons(action: dict[str, Any]) -> None:
    buttons = action.get("buttons")
    if buttons is None:
        raise parameter_required("interactive['action']['buttons']")
    if not isinstance(buttons, list):
        raise invalid_parameter("interactive['action']['buttons'] must be an array.")
    if not 1 <= len(buttons) <= LIMITS["buttons"]:
        raise parameter_value_invalid(
            f"interactive['action']['buttons'] has {len(buttons)} buttons; "
            f"a reply button message has 1 to {LIMITS['buttons']}"
        )
    ids: set[str] = set()
    titles: set[str] = set()
    for index, button in enumerate(buttons):
        path = f"interactive['action']['buttons'][{index}]"
        button = _object(button, path)
        if button.get("type") != "reply":
            raise parameter_value_invalid(f"{path}['type'] must be 'reply'; got {button.get('type')!r}")
        reply = _object(button.get("reply"), f"{path}['reply']")
        button_id = _string(reply.get("id"), f"{path}['reply']['id']", LIMITS["button_id"])
        title = _string(reply.get("title"), f"{path}['reply']['title']", LIMITS["button_title"])
        _unique(button_id or "", ids, f"{path}['reply']['id']", "button id")
        _unique(title or "", titles, f"{path}['reply']['title']", "button title")


def _list_sections(action: dict[str, Any]) -> None:
    _string(action.get("button"), "interactive['action']['button']", LIMITS["list_button"])
    sections = action.get("sections")
    if sections is None:
        raise parameter_required("interactive['action']['sections']")
    if not isinstance(sections, list):
        raise invalid_parameter("interactive['action']['sections'] must be an array.")
    if not 1 <= len(sections) <= LIMITS["sections"]:
        raise parameter_value_invalid(
            f"interactive['action']['sections'] has {len(sections)} sections; a list has 1 to {LIMITS['sections']}"
        )
    row_ids: set[str] = set()
    total = 0
    for index, section in enumerate(sections):
        path = f"interactive['action']['sections'][{index}]"
        section = _object(section, path)
        _string(section.get("title"), f"{path}['title']", LIMITS["section_title"], required=len(sections) > 1)
        rows = section.get("rows")
        if rows is None:
            raise parameter_required(f"{path}['rows']")
        if not isinstance(rows, list) or not rows:
            raise parameter_value_invalid(f"{path}['rows'] must hold at least one row")
        total += len(rows)
        if total > LIMITS["rows"]:
            raise parameter_value_invalid(
                f"interactive['action']['sections'] hold more than {LIMITS['rows']} rows in all"
            )
        for row_index, row in enumerate(rows):
            row_path = f"{path}['rows'][{row_index}]"
            row = _object(row, row_path)
            row_id = _string(row.get("id"), f"{row_path}['id']", LIMITS["row_id"])
            _string(row.get("title"), f"{row_path}['title']", LIMITS["row_title"])
            _string(
                row.get("description"),
                f"{row_path}['description']",
                LIMITS["row_description"],
                required=False,
            )
            _unique(row_id or "", row_ids, f"{row_path}['id']", "row id")


def _interactive(content: dict[str, Any]) -> None:
    kind = content.get("type")
    if kind is None:
        raise parameter_required("interactive['type']")
    if kind not in ("button", "list"):
        raise unsupported_type(f"interactive {kind}")
    _interactive_frame(content)
    action = _object(content.get("action"), "interactive['action']")
    if kind == "button":
        _reply_buttons(action)
    else:
        _list_sections(action)


def parse_send(body: Any, templates: TemplateStore) -> OutboundMessage | MarkRead:
    """A POST /messages body checked as Meta checks it; raises GraphError with Meta's code and details."""
    if not isinstance(body, dict):
        raise invalid_parameter("The request body must be a JSON object.")
    product = body.get("messaging_product")
    if product is None:
        raise parameter_required("messaging_product")
    if product != "whatsapp":
        raise invalid_parameter(f"messaging_product must be 'whatsapp'; got {product!r}.")
    if "status" in body:
        return _mark_read(body)
    to, recipient, recipient_kind, user_id = _recipient(body)
    kind = body.get("type", "text")
    if kind not in ("text", "template", "interactive"):
        raise unsupported_type(kind)
    content = _object(body.get(kind), kind)
    template: Template | None = None
    values: TemplateValues | None = None
    if kind == "text":
        _text(content)
    elif kind == "interactive":
        _interactive(content)
    else:
        template, values = check_template(content, templates)
    context_id = None
    context = body.get("context")
    if context is not None:
        context_id = _object(context, "context").get("message_id")
        if not isinstance(context_id, str) or not context_id:
            raise parameter_required("context['message_id']")
    callback = body.get("biz_opaque_callback_data")
    if callback is not None and (
        not isinstance(callback, str) or len(callback) > LIMITS["biz_opaque_callback_data"]
    ):
        raise invalid_parameter(
            f"biz_opaque_callback_data must be a string of at most {LIMITS['biz_opaque_callback_data']} characters."
        )
    return OutboundMessage(
        to=to,
        recipient=recipient,
        type=kind,
        content=content,
        context_id=context_id,
        biz_opaque_callback_data=callback,
        template=template,
        recipient_kind=recipient_kind,
        user_id=user_id,
        values=values,
    )
