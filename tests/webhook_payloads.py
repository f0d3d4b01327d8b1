"""Cloud API webhook bodies written by hand after Meta's webhook reference pages, for tests."""

from __future__ import annotations

import json
from typing import Any

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
TS = "1795435200"  # 2026-11-23 12:00:00 UTC


def delivery(*changes: dict[str, Any], entries: int = 1) -> dict[str, Any]:
    """A whole POST body: `entries` entries, each carrying the given changes."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": list(changes)} for _ in range(entries)],
    }


def body(payload: dict[str, Any]) -> bytes:
    """The JSON bytes Meta would post."""
    return json.dumps(payload, separators=(",", ":")).encode()


def messages_change(
    *messages: dict[str, Any], contacts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A `messages` change with inbound messages (and their contacts)."""
    return {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
            "contacts": contacts if contacts is not None else [contact()],
            "messages": list(messages),
        },
    }


def contact(
    wa_id: str | None = "5215512345678", user_id: str = "MX.1234567890", **extra: Any
) -> dict[str, Any]:
    """One entry of `contacts`; a username-only user has no wa_id."""
    found: dict[str, Any] = {"profile": {"name": "María López"}, "user_id": user_id, **extra}
    if wa_id is not None:
        found["wa_id"] = wa_id
    return found


def text_message(
    wamid: str = "wamid.IN1", sender: str | None = "5215512345678", text: str = "¿Cuánto debo?", **extra: Any
) -> dict[str, Any]:
    """An inbound text message."""
    found: dict[str, Any] = {"id": wamid, "timestamp": TS, "type": "text", "text": {"body": text}, **extra}
    if sender is not None:
        found["from"] = sender
    return found


def statuses_change(*statuses: dict[str, Any]) -> dict[str, Any]:
    """A `messages` change carrying statuses of outbound messages."""
    return {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
            "statuses": list(statuses),
        },
    }


def status(
    wamid: str, name: str, ts: int = 1795435200, recipient: str | None = "5215512345678", **extra: Any
) -> dict[str, Any]:
    """One status; `failed` gets Meta's errors[] unless given."""
    found: dict[str, Any] = {"id": wamid, "status": name, "timestamp": str(ts), **extra}
    if recipient is not None:
        found["recipient_id"] = recipient
    if name in ("sent", "delivered", "read"):
        found.setdefault("pricing", {"billable": True, "pricing_model": "PMP", "category": "utility"})
    if name == "failed":
        found.setdefault(
            "errors",
            [
                {
                    "code": 131026,
                    "title": "Message undeliverable",
                    "message": "Message undeliverable",
                    "error_data": {"details": "Message Undeliverable."},
                }
            ],
        )
    return found


def template_change(
    event: str = "APPROVED", template_id: int = 594425479261596, reason: str = "NONE"
) -> dict[str, Any]:
    """A `message_template_status_update` change."""
    return {
        "field": "message_template_status_update",
        "value": {
            "event": event,
            "message_template_id": template_id,
            "message_template_name": "recordatorio_pago",
            "message_template_language": "es_MX",
            "reason": reason,
        },
    }


def template_delivery(**kwargs: Any) -> dict[str, Any]:
    """A template review delivery; entries of this field carry a `time`."""
    payload = delivery(template_change(**kwargs))
    payload["entry"][0]["time"] = 1795435200
    return payload
