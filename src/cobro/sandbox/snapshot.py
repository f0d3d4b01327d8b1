"""The optional state file: phones, chats, service windows and webhook subscriptions kept across restarts.

Written on shutdown and read at start when `state_file` is set; templates and counters start afresh.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from cobro.sandbox.state import Message, Phone

if TYPE_CHECKING:
    from cobro.sandbox.runtime import Sandbox

VERSION = 1


def save_snapshot(sandbox: Sandbox, path: Path) -> None:
    """Writes the snapshot atomically (a temporary file, then a rename)."""
    state = sandbox.state
    dispatcher = sandbox.dispatcher
    data: dict[str, Any] = {
        "version": VERSION,
        "phones": [
            {**phone.to_json(), "last_inbound": phone.last_inbound, "message_ids": phone.message_ids}
            for phone in state.phones.values()
        ],
        "messages": [
            {
                **message.to_json(),
                "phone": message.phone,
                "number_id": message.number_id,
                "biz_opaque_callback_data": message.biz_opaque_callback_data,
                "category": message.category,
                "free": message.free,
            }
            for message in state.messages.values()
        ],
        "subscriptions": {
            "app_callback": dispatcher.app_callback,
            "app_fields": dispatcher.app_fields,
            "waba_override": dispatcher.waba_override,
            "waba_subscribed": dispatcher.waba_subscribed,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(msgspec.json.encode(data))
    os.replace(tmp, path)


def load_snapshot(sandbox: Sandbox, path: Path) -> bool:
    """Reads the snapshot if the file exists; returns whether it did."""
    if not path.exists():
        return False
    data = msgspec.json.decode(path.read_bytes())
    if data.get("version") != VERSION:
        return False
    state = sandbox.state
    for item in data["phones"]:
        phone = Phone(
            phone=item["phone"],
            digits=item["phone"][1:],
            wa_id=item["wa_id"],
            user_id=item["user_id"],
            parent_user_id=item["parent_user_id"],
            username=item["username"],
            name=item["name"],
            on_whatsapp=item["on_whatsapp"],
            last_inbound=item["last_inbound"],
            message_ids=item["message_ids"],
        )
        state.phones[phone.phone] = phone
        state.by_user_id[phone.user_id] = phone
    for item in data["messages"]:
        message = Message(
            id=item["id"],
            phone=item["phone"],
            number_id=item["number_id"],
            direction=item["direction"],
            timestamp=item["timestamp"],
            type=item["type"],
            status=item["status"],
            context_id=item["context_id"],
            biz_opaque_callback_data=item["biz_opaque_callback_data"],
            category=item["category"],
            free=item["free"],
            render=item["render"],
        )
        state.messages[message.id] = message
    subscriptions = data["subscriptions"]
    sandbox.dispatcher.app_callback = subscriptions["app_callback"]
    sandbox.dispatcher.app_fields = subscriptions["app_fields"]
    sandbox.dispatcher.waba_override = subscriptions["waba_override"]
    sandbox.dispatcher.waba_subscribed = subscriptions["waba_subscribed"]
    return True
