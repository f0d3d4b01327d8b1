"""The phone API (not Meta's): people's phones, their chats, what they send, and live events for the phone page.

See docs/sandbox.md for the Phone and PhoneMessage shapes. A phone's message becomes Meta's inbound message
webhook (text, interactive button_reply/list_reply, template quick-reply `button`, reaction, image with a
media id), with `contacts[].user_id` always and no `wa_id` for a username user who hides their number.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import ServerSentEvent, ServerSentEventMessage

from cobro.sandbox.errors import invalid_parameter
from cobro.sandbox.graph_routes import json_object, json_response
from cobro.sandbox.render import render_inbound
from cobro.sandbox.runtime import Sandbox
from cobro.sandbox.state import Message, Phone, normalize_phone
from cobro.sandbox.webhooks import inbound_value

# What the phone can send -> the webhook message type it becomes.
KINDS = {
    "text": "text",
    "button_reply": "interactive",
    "list_reply": "interactive",
    "button": "button",
    "reaction": "reaction",
    "image": "image",
}
KEEPALIVE_SECONDS = 15.0


def _e164(raw: str) -> str:
    e164 = normalize_phone(raw)
    if not 8 <= len(e164) - 1 <= 15:
        raise invalid_parameter(f"{raw!r} is not an E.164 phone number")
    return e164


def _limit(request: Request[Any, Any, Any], default: int | None) -> int | None:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise invalid_parameter("limit must be a positive integer")
    return int(raw)


def _text(payload: dict[str, Any], key: str, limit: int, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise invalid_parameter(f"{key} must be a string of 1 to {limit} characters")
    return value


def webhook_content(sandbox: Sandbox, kind: str, payload: Any) -> dict[str, Any]:
    """The inbound message's own object in Meta's shape, checked."""
    if kind == "text":
        if not isinstance(payload, str) or not payload.strip() or len(payload) > 4096:
            raise invalid_parameter("text must be 1 to 4,096 characters")
        return {"body": payload}
    if not isinstance(payload, dict):
        raise invalid_parameter(f"{kind} must be an object")
    if kind == "button_reply":
        reply = {"id": _text(payload, "id", 256), "title": _text(payload, "title", 20)}
        return {"type": "button_reply", "button_reply": reply}
    if kind == "list_reply":
        reply = {"id": _text(payload, "id", 200), "title": _text(payload, "title", 24)}
        description = _text(payload, "description", 72, required=False)
        if description:
            reply["description"] = description
        return {"type": "list_reply", "list_reply": reply}
    if kind == "button":
        return {"payload": _text(payload, "payload", 256), "text": _text(payload, "text", 25)}
    if kind == "reaction":
        return {"message_id": _text(payload, "message_id", 512), "emoji": _text(payload, "emoji", 16)}
    caption = _text(payload, "caption", 1024, required=False)
    image: dict[str, Any] = {
        "mime_type": "image/jpeg",
        "sha256": "K8zRbzVZBiyX2UdQK1lS2lT2U0uZAPz7i0KaZgmIXwY=",
        "id": sandbox.state.new_media_id(),
    }
    if caption:
        image["caption"] = caption
    return image


def receive_from_phone(sandbox: Sandbox, phone: Phone, body: dict[str, Any]) -> Message:
    """The person sends something: store it, open the service window, post the webhook, tell the page."""
    kinds = [k for k in KINDS if k in body]
    if len(kinds) != 1:
        raise invalid_parameter(f"Send exactly one of: {', '.join(KINDS)}")
    kind = kinds[0]
    settings = sandbox.settings
    number = settings.number(str(body.get("to", ""))) or settings.business_numbers[0]
    content = webhook_content(sandbox, kind, body[kind])
    context = body.get("context")
    if isinstance(context, dict):
        context = context.get("message_id") or context.get("id")
    if context is not None and not isinstance(context, str):
        raise invalid_parameter("context must be a wamid")
    # A reaction names its message in reaction.message_id; the PhoneMessage shows it as context_id, so the
    # phone page can put the badge on that bubble, while the webhook keeps Meta's shape (no context).
    reacted_to = content["message_id"] if kind == "reaction" else None
    wall = time.time()
    message = Message(
        id=sandbox.state.new_wamid(phone),
        phone=phone.phone,
        number_id=number.id,
        direction="from_phone",
        timestamp=int(wall),
        type=KINDS[kind],
        status="delivered",
        context_id=context or reacted_to,
        render=render_inbound(kind, body[kind]),
    )
    sandbox.state.add_message(phone, message)
    sandbox.state.stats.inbound += 1
    phone.last_inbound[number.id] = wall
    sent = replace(message, context_id=context) if message.context_id != context else message
    sandbox.dispatcher.enqueue_change("messages", inbound_value(number, phone, sent, content))
    sandbox.hub.notify(phone, "message", message.to_json())
    return message


def phone_routes(sandbox: Sandbox) -> list[HTTPRouteHandler]:
    """The /sandbox/phones route handlers bound to one sandbox."""

    @get("/sandbox/phones")
    async def list_phones(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Every phone the sandbox knows (seeded first, then in order of first contact), up to `limit`."""
        limit = _limit(request, 1000) or 1000
        phones = list(sandbox.state.phones.values())[:limit]
        return json_response({"phones": [p.to_json() for p in phones]})

    @get("/sandbox/phones/{e164:str}/messages")
    async def chat(request: Request[Any, Any, Any]) -> Response[bytes]:
        """One phone's chat, oldest first (the last `limit` messages if given)."""
        limit = _limit(request, None)
        phone = sandbox.state.phone(_e164(request.path_params["e164"]))
        messages = [m.to_json() for m in sandbox.state.chat(phone, limit)]
        return json_response({"phone": phone.to_json(), "messages": messages})

    @post("/sandbox/phones/{e164:str}/messages", status_code=200)
    async def send_from_phone(request: Request[Any, Any, Any]) -> Response[bytes]:
        """The person sends a message to the business."""
        phone = sandbox.state.phone(_e164(request.path_params["e164"]))
        message = receive_from_phone(sandbox, phone, json_object(await request.body()))
        return json_response({"id": message.id})

    @post("/sandbox/phones/{e164:str}/read", status_code=200)
    async def read_chat(request: Request[Any, Any, Any]) -> Response[bytes]:
        """The person opened the chat: delivered messages become read."""
        phone = sandbox.state.phone(_e164(request.path_params["e164"]))
        return json_response({"read": sandbox.lifecycle.read_all(phone)})

    @get("/sandbox/phones/{e164:str}/events")
    async def events(request: Request[Any, Any, Any]) -> ServerSentEvent:
        """Server-sent events for one phone: `message` (a PhoneMessage), `status` ({"id", "status"}), `typing`."""
        phone = sandbox.state.phone(_e164(request.path_params["e164"]))
        queue = sandbox.hub.subscribe(phone.phone)

        async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
            try:
                yield ServerSentEventMessage(comment="connected")
                while True:
                    try:
                        item = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield ServerSentEventMessage(comment="keepalive")
                        continue
                    if item is None:
                        return
                    event, data = item
                    yield ServerSentEventMessage(data=data.decode(), event=event)
            finally:
                sandbox.hub.unsubscribe(phone.phone, queue)

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return [list_phones, chat, send_from_phone, read_chat, events]
