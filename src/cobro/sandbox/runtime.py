"""The running sandbox: settings, state, limits, lifecycle, webhooks and templates wired together, and its loops."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import httpx
import msgspec

from cobro.sandbox.errors import GraphError, invalid_parameter
from cobro.sandbox.lifecycle import Lifecycle, pricing_for
from cobro.sandbox.limits import Limits
from cobro.sandbox.settings import RUNTIME_KNOBS, BusinessNumber, SandboxSettings
from cobro.sandbox.state import Message, Phone, SandboxState
from cobro.sandbox.templates import TemplateStore
from cobro.sandbox.webhooks import WebhookDispatcher

_encode = msgspec.json.Encoder().encode


class PhoneHub:
    """Server-sent event subscribers per phone: one asyncio queue each, fed without blocking the sender."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[tuple[str, bytes] | None]]] = {}

    def subscribe(self, e164: str) -> asyncio.Queue[tuple[str, bytes] | None]:
        """A new queue of (event, JSON data) for this phone; None in it means the sandbox is stopping."""
        queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue(maxsize=1000)
        self._subscribers.setdefault(e164, set()).add(queue)
        return queue

    def unsubscribe(self, e164: str, queue: asyncio.Queue[tuple[str, bytes] | None]) -> None:
        """Forgets a queue whose page went away."""
        queues = self._subscribers.get(e164)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._subscribers[e164]

    def watched(self, e164: str) -> bool:
        """Whether any page is watching this phone (so a render is worth making)."""
        return e164 in self._subscribers

    def notify(self, phone: Phone, event: str, data: dict[str, Any]) -> None:
        """Sends an event to every page watching the phone; a page too slow to keep up misses events."""
        queues = self._subscribers.get(phone.phone)
        if not queues:
            return
        item = (event, _encode(data))
        for queue in queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(item)

    def close(self) -> None:
        """Ends every stream."""
        for queues in self._subscribers.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)


class Sandbox:
    """Everything one running sandbox holds; the routes close over it."""

    def __init__(
        self, settings: SandboxSettings, webhook_transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.state = SandboxState(settings)
        self.limits = Limits(self._tiers(), settings.pair_rate, settings.pair_burst)
        self.hub = PhoneHub()
        self.dispatcher = WebhookDispatcher(lambda: self.settings, self.rng, webhook_transport)
        self.lifecycle = Lifecycle(
            lambda: self.settings, self.state, self.dispatcher, self.rng, self.hub.notify
        )
        self.templates = TemplateStore()
        # What became of the handshake with a callback given by setting: "not configured", "pending",
        # "verified" or "failed: <Meta's reason>".
        self.callback_verification = "pending" if settings.callback_url else "not configured"
        self._tasks: list[asyncio.Task[None]] = []

    def _tiers(self) -> dict[str, int]:
        override = self.settings.tier
        return {number.id: override or number.tier for number in self.settings.business_numbers}

    # lifecycle of the process

    async def start(self) -> None:
        """Starts the status, webhook and template review loops."""
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self.lifecycle.run()),
            loop.create_task(self.dispatcher.run()),
            loop.create_task(self._review_templates()),
        ]
        if self.settings.callback_url:
            self._tasks.append(loop.create_task(self._verify_configured_callback(self.settings.callback_url)))

    async def stop(self) -> None:
        """Stops the loops, ends the event streams and closes the webhook client."""
        self.hub.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.dispatcher.aclose()

    async def _verify_configured_callback(self, url: str, attempts: int = 60, every: float = 1.0) -> None:
        """Runs the verification handshake against a callback given by setting, as Meta does for one set
        through the API; the app may start after the sandbox, so it is tried once a second for a minute.
        Deliveries are not held back meanwhile: the setting is the operator's word that the URL is theirs."""
        for _ in range(attempts):
            try:
                await self.dispatcher.verify(url, self.settings.verify_token)
            except GraphError as exc:
                self.callback_verification = f"failed: {exc.message}"
                await asyncio.sleep(every)
                continue
            self.callback_verification = "verified"
            return

    async def _review_templates(self) -> None:
        while True:
            delay = self.settings.review_delay
            await asyncio.sleep(min(0.25, max(delay / 4, 0.01)))
            for template in self.templates.review_due(time.time(), delay):
                self.dispatcher.enqueue_change(
                    "message_template_status_update", template_status_update(template)
                )

    # knobs

    def update(self, patch: dict[str, Any]) -> None:
        """Applies POST /sandbox/admin: any subset of the runtime knobs, validated as settings are."""
        unknown = sorted(set(patch) - RUNTIME_KNOBS)
        if unknown:
            raise invalid_parameter(f"Not a runtime knob: {', '.join(unknown)}")
        merged = {**self.settings.model_dump(), **patch}
        try:
            self.settings = SandboxSettings.model_validate(merged)
        except ValueError as exc:
            raise invalid_parameter(
                str(exc).splitlines()[0] + ": " + str(exc).splitlines()[-1].strip()
            ) from exc
        self.state.settings = self.settings
        self.state.refresh_reachability()
        self.limits.configure(self._tiers(), self.settings.pair_rate, self.settings.pair_burst)

    # sending

    def accept(self, number: BusinessNumber, outbound: Any) -> tuple[Phone, Message]:
        """Takes a parsed send: checks the limits, stores the message and plans its statuses."""
        state = self.state
        phone = state.find_recipient(outbound.recipient, outbound.recipient_kind)
        if phone is None:
            raise invalid_parameter(f"No WhatsApp user has the business-scoped user id {outbound.recipient}.")
        self.limits.check(number.id, phone.user_id)
        wall = time.time()
        window_open = state.window_open(phone, number.id, wall)
        message = Message(
            id=state.new_wamid(phone),
            phone=phone.phone,
            number_id=number.id,
            direction="to_phone",
            timestamp=int(wall),
            type=outbound.type,
            status="accepted",
            context_id=outbound.context_id,
            biz_opaque_callback_data=outbound.biz_opaque_callback_data,
            outbound=outbound,
        )
        pricing_for(message, window_open)
        state.add_message(phone, message)
        state.record_accepted(message, time.monotonic())
        self.lifecycle.accept(phone, message, window_open)
        if self.hub.watched(phone.phone):
            self.hub.notify(phone, "message", message.to_json())
        return phone, message

    def set_template_status(self, change: Any) -> None:
        """Admin: moves a template to APPROVED, REJECTED, PAUSED or DISABLED and posts Meta's webhook for it."""
        if not isinstance(change, dict) or not {"name", "language", "status"} <= change.keys():
            raise invalid_parameter(
                "template_status needs name, language and status (and reason if REJECTED)"
            )
        template = self.templates.set_status(
            str(change["name"]),
            str(change["language"]),
            str(change["status"]),
            str(change.get("reason", "NONE")),
        )
        self.dispatcher.enqueue_change("message_template_status_update", template_status_update(template))

    def mark_read(self, message_id: str, typing_indicator: Any) -> None:
        """The business read a person's message (and may show "typing…"): the phone sees blue ticks."""
        message = self.state.messages.get(message_id)
        if message is None or message.direction != "from_phone":
            raise invalid_parameter(f"Message {message_id} was not received by this business number")
        phone = self.state.phones.get(message.phone)
        if message.status != "read":
            message.status = "read"
            if phone is not None:
                self.hub.notify(phone, "status", {"id": message.id, "status": "read"})
        if typing_indicator and phone is not None:
            self.hub.notify(phone, "typing", {"id": message.id})

    def config(self) -> dict[str, Any]:
        """GET /sandbox/config."""
        s = self.settings
        base = s.base_url()
        numbers = [{**n.model_dump(), "tier": s.tier or n.tier} for n in s.business_numbers]
        return {
            "graph_base_url": base,
            "app_id": s.app_id,
            "app_secret": s.app_secret,
            "app_access_token": f"{s.app_id}|{s.app_secret}",
            "waba_id": s.waba_id,
            "business_numbers": numbers,
            "phone_numbers": numbers,  # Graph's name for the WABA's numbers edge
            "access_tokens": s.access_tokens,
            "verify_token": s.verify_token,
            "callback_url": self.dispatcher.callback_url(),
            "callback_verification": self.callback_verification,
            "subscriptions": {
                "app_callback_url": self.dispatcher.app_callback,
                "app_fields": self.dispatcher.app_fields,
                "waba_override_callback_uri": self.dispatcher.waba_override,
                "waba_subscribed": self.dispatcher.waba_subscribed,
            },
            "phone_page": f"{base}/phone",
            "knobs": s.knobs(),
        }

    def stats(self) -> dict[str, Any]:
        """GET /sandbox/stats."""
        return {
            **self.state.stats.to_json(),
            "webhooks": self.dispatcher.stats.to_json(),
            "phones": len(self.state.phones),
            "messages_stored": len(self.state.messages),
        }


def template_status_update(template: Any) -> dict[str, Any]:
    """The value of a message_template_status_update change (APPROVED, REJECTED, PAUSED, DISABLED)."""
    return {
        "event": template.status,
        "message_template_id": int(template.id) if str(template.id).isdigit() else template.id,
        "message_template_name": template.name,
        "message_template_language": template.language,
        "message_template_category": template.category,
        "reason": template.rejected_reason or "NONE",
    }


def graph_error_body(exc: GraphError) -> bytes:
    """The JSON bytes of Meta's error envelope."""
    return _encode(exc.envelope())
