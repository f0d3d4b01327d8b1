"""What a phone shows for a message: the Render object of docs/sandbox.md.

`{"header", "body", "footer", "buttons": [{"kind", "id", "title", "url"}], "list"}`; a template shows its
texts with the variables filled in (text parameters as sent, currency and date_time by `fallback_value`, as
WhatsApp does) and its buttons (a quick reply's id is the payload sent for it, or its text when none was).
"""

from __future__ import annotations

from typing import Any

from cobro.sandbox.errors import invalid_parameter
from cobro.sandbox.outbound import OutboundMessage
from cobro.sandbox.template_parameters import TemplateValues
from cobro.sandbox.template_rules import VARIABLE
from cobro.sandbox.templates import Template

_BUTTON_KINDS = {"QUICK_REPLY": "quick_reply", "URL": "url", "PHONE_NUMBER": "phone_number"}


def _shown(header: str | None, body: str, footer: str | None) -> dict[str, Any]:
    return {"header": header, "body": body, "footer": footer, "buttons": [], "list": None}


def _filled(text: str | None, values: dict[str, str]) -> str | None:
    if text is None:
        return None
    return VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _template(template: Template, values: TemplateValues) -> dict[str, Any]:
    shape = template.shape
    shown = _shown(
        _filled(shape.header_text, values.header),
        _filled(shape.body_text, values.body) or "",
        shape.footer_text,
    )
    for index, button in enumerate(shape.buttons):
        item: dict[str, Any] = {
            "kind": _BUTTON_KINDS[button.type],
            "id": None,
            "title": button.text,
            "url": None,
        }
        if button.type == "QUICK_REPLY":
            item["id"] = values.payloads.get(index, button.text)
        elif button.type == "URL":
            suffix = values.url_suffixes.get(index, "")
            item["url"] = _filled(button.url, {button.url_variable or "1": suffix})
        else:
            item["url"] = f"tel:{button.phone_number}"
        shown["buttons"].append(item)
    return shown


def _interactive(content: dict[str, Any]) -> dict[str, Any]:
    header = content.get("header")
    footer = content.get("footer")
    shown = _shown(
        header.get("text") if header else None,
        content["body"]["text"],
        footer.get("text") if footer else None,
    )
    action = content["action"]
    if content["type"] == "button":
        shown["buttons"] = [
            {"kind": "reply", "id": b["reply"]["id"], "title": b["reply"]["title"], "url": None}
            for b in action["buttons"]
        ]
    else:
        shown["list"] = {
            "button": action["button"],
            "sections": [
                {
                    "title": section.get("title") or "",
                    "rows": [
                        {"id": row["id"], "title": row["title"], "description": row.get("description")}
                        for row in section["rows"]
                    ],
                }
                for section in action["sections"]
            ],
        }
    return shown


def render(message: OutboundMessage) -> dict[str, Any]:
    """The Render of an outbound message, from what parse_send accepted."""
    if message.type == "template" and message.template is not None:
        return _template(message.template, message.values or TemplateValues())
    if message.type == "interactive":
        return _interactive(message.content)
    return _shown(None, message.content.get("body", ""), None)


def render_inbound(kind: str, payload: Any) -> dict[str, Any]:
    """The Render of what the phone sends: its text, or the title or emoji or caption it stands for."""
    if kind == "text" and isinstance(payload, str):
        return _shown(None, payload, None)
    if kind in ("button_reply", "list_reply") and isinstance(payload, dict):
        return _shown(None, str(payload.get("title", "")), None)
    if kind == "button" and isinstance(payload, dict):
        return _shown(None, str(payload.get("text") or payload.get("payload") or ""), None)
    if kind == "reaction" and isinstance(payload, dict):
        return _shown(None, str(payload.get("emoji", "")), None)
    if kind == "image" and isinstance(payload, dict):
        return _shown(None, str(payload.get("caption") or ""), None)
    raise invalid_parameter(f"The phone cannot send {kind!r} with {payload!r}.")
