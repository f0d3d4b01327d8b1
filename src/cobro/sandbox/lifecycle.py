"""What happens to a message after the send was accepted: `sent`, `delivered`, `read`, or `failed`.

One background loop over a heap of due events (not a task per message), so a benchmark's hundred thousand
sends cost a few heap entries each. Status objects follow Meta's status webhook reference
(developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status):
`biz_opaque_callback_data` echoed, `conversation` and per-message `pricing` ("pricing_model": "PMP", category,
type) on sent/delivered/read, `errors[]` on failed; `recipient_id` is the wa_id and is left out for a
username user whose number is withheld, who is named by `recipient_user_id` (business-scoped user ids).

Failures that Meta reports after accepting the send come here as a `failed` status, not as an HTTP error:
131026 (not on WhatsApp / undeliverable) and 131047 (free-form message more than 24 hours after the person
last wrote; the send itself answers 200 with a wamid).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import random
import time
from collections.abc import Callable
from typing import Any

from cobro.sandbox.settings import SandboxSettings
from cobro.sandbox.state import STATUS_RANK, Message, Phone, SandboxState
from cobro.sandbox.webhooks import WebhookDispatcher

SENT, DELIVERED, READ = 1, 2, 3
UNDELIVERABLE, REENGAGEMENT = 131026, 131047
_STATUS_NAMES = {SENT: "sent", DELIVERED: "delivered", READ: "read"}
ERRORS: dict[int, tuple[str, str]] = {
    UNDELIVERABLE: ("Message undeliverable", "Message Undeliverable."),
    REENGAGEMENT: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last replied to "
        "this number.",
    ),
}
ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

# (phone, event name, data) -> None: tells the phone page what changed.
Notify = Callable[[Phone, str, dict[str, Any]], None]


def pricing_for(message: Message, window_open: bool) -> None:
    """Sets the message's pricing category and whether it is free (per-message pricing since July 2025).

    Free-form replies and utility templates inside an open customer service window are free.
    """
    if message.type == "template":
        template = getattr(message.outbound, "template", None)
        category = str(getattr(template, "category", "utility") or "utility").lower()
    else:
        category = "service"
    message.category = category
    message.free = window_open and category in ("service", "utility")


class Lifecycle:
    """Schedules each accepted message's statuses and emits them as webhooks and phone events."""

    def __init__(
        self,
        settings: Callable[[], SandboxSettings],
        state: SandboxState,
        dispatcher: WebhookDispatcher,
        rng: random.Random,
        notify: Notify,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._state = state
        self._dispatcher = dispatcher
        self._rng = rng
        self._notify = notify
        self._clock = clock
        self._heap: list[tuple[float, int, str, int]] = []  # (due, seq, wamid, step)
        self._seq = itertools.count()
        self._wake = asyncio.Event()

    def accept(self, phone: Phone, message: Message, window_open: bool) -> None:
        """Plans what happens to a just-accepted message."""
        settings = self._settings()
        rng = self._rng
        t = self._clock() + settings.sent_delay
        push = heapq.heappush
        heap = self._heap
        if not phone.on_whatsapp:
            push(heap, (t, next(self._seq), message.id, UNDELIVERABLE))
        elif message.type != "template" and not window_open:
            push(heap, (t, next(self._seq), message.id, REENGAGEMENT))
        else:
            push(heap, (t, next(self._seq), message.id, SENT))
            if rng.random() < settings.delivered_probability:
                t += settings.delivered_delay * (0.5 + rng.random())
                push(heap, (t, next(self._seq), message.id, DELIVERED))
                if rng.random() < settings.read_probability:
                    t += settings.read_delay * (0.5 + rng.random())
                    push(heap, (t, next(self._seq), message.id, READ))
        if heap[0][2] == message.id:
            self._wake.set()

    def read_all(self, phone: Phone) -> int:
        """The person opened the chat: every delivered message to them becomes read now. Returns how many."""
        count = 0
        for message in self._state.chat(phone):
            if message.direction == "to_phone" and message.status == "delivered":
                self.apply(message, READ)
                count += 1
        return count

    async def run(self) -> None:
        """Emits due statuses until cancelled."""
        heap = self._heap
        while True:
            now = self._clock()
            while heap and heap[0][0] <= now:
                _, _, wamid, step = heapq.heappop(heap)
                message = self._state.messages.get(wamid)
                if message is not None:
                    self.apply(message, step)
            timeout = (heap[0][0] - now) if heap else 1.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.001))

    def apply(self, message: Message, step: int) -> None:
        """Moves a message to a status (never backwards) and tells the business and the phone."""
        name = _STATUS_NAMES.get(step, "failed")
        if STATUS_RANK[name] <= STATUS_RANK[message.status] or message.status == "failed":
            return
        message.status = name
        state = self._state
        state.stats.statuses[name] += 1
        phone = state.phones.get(message.phone)
        settings = self._settings()
        number = settings.number(message.number_id)
        if phone is None or number is None:
            return
        self._dispatcher.enqueue_status(number, self.status_object(phone, message, step))
        self._notify(phone, "status", {"id": message.id, "status": name})

    def status_object(self, phone: Phone, message: Message, step: int) -> dict[str, Any]:
        """One item of a webhook's `statuses` array."""
        now = time.time()
        status: dict[str, Any] = {
            "id": message.id,
            "status": _STATUS_NAMES.get(step, "failed"),
            "timestamp": str(int(now)),
        }
        if phone.wa_id is not None:
            status["recipient_id"] = phone.wa_id
        status["recipient_user_id"] = phone.user_id
        if phone.parent_user_id:
            status["recipient_parent_user_id"] = phone.parent_user_id
        if message.biz_opaque_callback_data is not None:
            status["biz_opaque_callback_data"] = message.biz_opaque_callback_data
        if step in ERRORS:
            title, details = ERRORS[step]
            status["errors"] = [
                {
                    "code": step,
                    "title": title,
                    "message": title,
                    "error_data": {"details": details},
                    "href": ERROR_HREF,
                }
            ]
            return status
        conv_id, expires = self._state.conversation(phone, message.number_id, message.category, now)
        conversation: dict[str, Any] = {"id": conv_id, "origin": {"type": message.category}}
        if step == SENT:
            conversation["expiration_timestamp"] = str(expires)
        status["conversation"] = conversation
        status["pricing"] = {
            "billable": not message.free,
            "pricing_model": "PMP",
            "category": message.category,
            "type": "free_customer_service" if message.free else "regular",
        }
        return status
