"""Webhooks from the sandbox to the business: batching, signatures, retries, injected disorder, the handshake.

Shapes follow Meta's webhook references (developers.facebook.com/documentation/business-messaging/whatsapp/
webhooks/reference/messages and .../messages/status): `{"object": "whatsapp_business_account", "entry": [{"id":
WABA_ID, "changes": [{"field": "messages", "value": {...}}]}]}`, several entries and changes per POST allowed.
Every POST is signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`; one that gets no
2xx is sent again, same body, after each delay of `webhook_retry_delays` (Meta retries with backoff for days).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import itertools
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from cobro.sandbox.errors import GraphError
from cobro.sandbox.settings import BusinessNumber, SandboxSettings
from cobro.sandbox.state import Message, Phone

_encode = msgspec.json.Encoder().encode


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header value for this exact body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def metadata(number: BusinessNumber) -> dict[str, str]:
    """The `metadata` of a messages change: which business number it concerns."""
    return {"display_phone_number": number.display_phone_number, "phone_number_id": number.id}


def contact(phone: Phone) -> dict[str, Any]:
    """A `contacts[]` item: profile, wa_id unless the person hides their number, and the business-scoped ids.

    Meta's business-scoped user ids (developers.facebook.com/documentation/business-messaging/whatsapp/
    business-scoped-user-ids): `user_id` always, `parent_user_id` where the business has one, the username in
    `profile`, and no `wa_id` for a username user whose number is withheld.
    """
    profile: dict[str, str] = {"name": phone.name}
    if phone.username:
        profile["username"] = phone.username
    item: dict[str, Any] = {"profile": profile}
    if phone.wa_id is not None:
        item["wa_id"] = phone.wa_id
    item["user_id"] = phone.user_id
    if phone.parent_user_id:
        item["parent_user_id"] = phone.parent_user_id
    return item


def inbound_value(
    number: BusinessNumber, phone: Phone, message: Message, content: dict[str, Any]
) -> dict[str, Any]:
    """The `value` of a messages change carrying one message from the person (content: the type's own object)."""
    item: dict[str, Any] = {}
    if phone.wa_id is not None:
        item["from"] = phone.wa_id
    item["from_user_id"] = phone.user_id
    if phone.parent_user_id:
        item["from_parent_user_id"] = phone.parent_user_id
    item["id"] = message.id
    item["timestamp"] = str(message.timestamp)
    if message.context_id:
        item["context"] = {"from": number.display_phone_number, "id": message.context_id}
    item["type"] = message.type
    item[message.type] = content
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata(number),
        "contacts": [contact(phone)],
        "messages": [item],
    }


def status_contacts(statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `contacts` of a statuses change: each recipient once, in order, named as its statuses name it.

    Since business-scoped user ids (2026), status webhooks identify the person in `contacts` too (pywa 4.x
    and whatsapp-api-js read it there); a person whose number is withheld has `user_id` and no `wa_id`.
    """
    seen: set[str] = set()
    contacts: list[dict[str, Any]] = []
    for status in statuses:
        user_id = status.get("recipient_user_id")
        if user_id is None or user_id in seen:
            continue
        seen.add(user_id)
        item: dict[str, Any] = {}
        if "recipient_id" in status:
            item["wa_id"] = status["recipient_id"]
        item["user_id"] = user_id
        if "recipient_parent_user_id" in status:
            item["parent_user_id"] = status["recipient_parent_user_id"]
        contacts.append(item)
    return contacts


@dataclass(slots=True)
class WebhookStats:
    """Counters of webhook delivery for /sandbox/stats."""

    posts: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    retries: int = 0
    gave_up: int = 0
    statuses_posted: int = 0
    changes_posted: int = 0
    dropped: int = 0
    duplicated: int = 0
    held_back: int = 0
    no_callback: int = 0

    def to_json(self) -> dict[str, int]:
        """The counters as JSON."""
        return {name: getattr(self, name) for name in self.__slots__}


class WebhookDispatcher:
    """Queues changes, batches them into signed POSTs to the callback URL, retries, and runs the handshake."""

    def __init__(
        self,
        settings: Callable[[], SandboxSettings],
        rng: random.Random,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._rng = rng
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.stats = WebhookStats()
        # Callback set by POST /{app-id}/subscriptions and by subscribed_apps' override_callback_uri.
        self.app_callback: str | None = None
        self.app_fields: list[str] = []
        self.waba_override: str | None = None
        self.waba_subscribed = True
        self._statuses: dict[str, list[dict[str, Any]]] = {}
        self._changes: list[tuple[str, dict[str, Any]]] = []
        self._held: list[tuple[float, int, str, dict[str, Any]]] = []  # (due, seq, number id, status)
        self._retries: list[tuple[float, int, bytes, int]] = []  # (due, seq, body, attempt)
        self._seq = itertools.count()
        self._numbers: dict[str, BusinessNumber] = {}
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._semaphore: asyncio.Semaphore | None = None

    # configuration

    def callback_url(self) -> str | None:
        """Where webhooks go: the WABA's override, else the app's subscription, else the configured URL."""
        if not self.waba_subscribed:
            return None
        return self.waba_override or self.app_callback or self._settings().callback_url

    def client(self) -> httpx.AsyncClient:
        """The shared HTTP client (made on first use, inside the running loop)."""
        if self._client is None:
            settings = self._settings()
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=settings.webhook_timeout,
                limits=httpx.Limits(max_connections=settings.webhook_concurrency * 2),
                headers={"User-Agent": "facebookexternalua"},
            )
        return self._client

    # queueing

    def enqueue_status(self, number: BusinessNumber, status: dict[str, Any]) -> None:
        """Queues one status for the next batch, dropping, duplicating or holding it back as the knobs say."""
        settings = self._settings()
        self._numbers[number.id] = number
        rng = self._rng
        if settings.webhook_drop_rate and rng.random() < settings.webhook_drop_rate:
            self.stats.dropped += 1
            return
        now = time.monotonic()
        if settings.out_of_order_rate and rng.random() < settings.out_of_order_rate:
            # Held back, so statuses queued after it (delivered, read) overtake it.
            self.stats.held_back += 1
            heapq.heappush(
                self._held, (now + settings.out_of_order_delay, next(self._seq), number.id, status)
            )
        else:
            self._statuses.setdefault(number.id, []).append(status)
        if settings.duplicate_status_rate and rng.random() < settings.duplicate_status_rate:
            self.stats.duplicated += 1
            later = now + settings.webhook_flush_interval * 2
            heapq.heappush(self._held, (later, next(self._seq), number.id, status))

    def enqueue_change(self, field: str, value: dict[str, Any]) -> None:
        """Queues a change (an inbound message, a template review) and flushes at once: people are waiting."""
        self._changes.append((field, value))
        self._wake.set()

    # the loop

    async def run(self) -> None:
        """Flushes every webhook_flush_interval (or at once for changes) until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._settings().webhook_flush_interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Turns what is queued and due into POSTs."""
        now = time.monotonic()
        held = self._held
        while held and held[0][0] <= now:
            _, _, number_id, status = heapq.heappop(held)
            self._statuses.setdefault(number_id, []).append(status)
        retries = self._retries
        while retries and retries[0][0] <= now:
            _, _, body, attempt = heapq.heappop(retries)
            self.stats.retries += 1
            self._spawn(body, attempt)
        if not self._changes and not self._statuses:
            return
        changes, self._changes = self._changes, []
        statuses, self._statuses = self._statuses, {}
        if self.callback_url() is None:
            self.stats.no_callback += len(changes) + sum(len(s) for s in statuses.values())
            return
        for body in self._bodies(changes, statuses):
            self._spawn(body, 0)

    def _bodies(
        self, changes: list[tuple[str, dict[str, Any]]], statuses: dict[str, list[dict[str, Any]]]
    ) -> list[bytes]:
        settings = self._settings()
        size = settings.webhook_batch_size
        all_changes = [{"field": field, "value": value} for field, value in changes]
        for number_id, items in statuses.items():
            meta = metadata(self._numbers[number_id])
            for start in range(0, len(items), size):
                chunk = items[start : start + size]
                value = {
                    "messaging_product": "whatsapp",
                    "metadata": meta,
                    "contacts": status_contacts(chunk),
                    "statuses": chunk,
                }
                all_changes.append({"field": "messages", "value": value})
        bodies: list[bytes] = []
        batch: list[dict[str, Any]] = []
        weight = 0
        for change in all_changes:
            w = len(change["value"].get("statuses", ())) or 1
            if batch and weight + w > size:
                bodies.append(self._body(batch))
                batch, weight = [], 0
            batch.append(change)
            weight += w
        if batch:
            bodies.append(self._body(batch))
        return bodies

    def _body(self, changes: list[dict[str, Any]]) -> bytes:
        waba_id = self._settings().waba_id
        messages = [c for c in changes if c["field"] == "messages"]
        others = [c for c in changes if c["field"] != "messages"]
        entries: list[dict[str, Any]] = []
        if messages:
            entries.append({"id": waba_id, "changes": messages})
        if others:
            # Account-level fields (template reviews) carry the entry's `time`, as in Meta's examples of
            # message_template_status_update; messages entries do not.
            entries.append({"id": waba_id, "time": int(time.time()), "changes": others})
        for change in changes:
            self.stats.changes_posted += 1
            self.stats.statuses_posted += len(change["value"].get("statuses", ()))
        return _encode({"object": "whatsapp_business_account", "entry": entries})

    def _spawn(self, body: bytes, attempt: int) -> None:
        task = asyncio.get_running_loop().create_task(self._post(body, attempt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, body: bytes, attempt: int) -> None:
        settings = self._settings()
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(settings.webhook_concurrency)
        url = self.callback_url()
        if url is None:
            self.stats.no_callback += 1
            return
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(settings.app_secret, body)}
        async with self._semaphore:
            self.stats.posts += 1
            try:
                response = await self.client().post(url, content=body, headers=headers)
                ok = 200 <= response.status_code < 300
            except httpx.HTTPError:
                ok = False
        if ok:
            self.stats.delivered += 1
            return
        self.stats.failed_attempts += 1
        delays = settings.webhook_retry_delays
        if attempt >= len(delays):
            self.stats.gave_up += 1
            return
        heapq.heappush(
            self._retries, (time.monotonic() + delays[attempt], next(self._seq), body, attempt + 1)
        )

    async def drain(self, timeout: float = 5.0) -> None:
        """Flushes what is queued and waits for the POSTs in flight (tests and shutdown)."""
        self.flush()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def aclose(self) -> None:
        """Cancels POSTs in flight and closes the client."""
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # the verification handshake

    async def verify(self, url: str, verify_token: str) -> None:
        """GETs the callback with hub.mode, hub.verify_token and hub.challenge; raises 2200 unless it is echoed."""
        challenge = str(secrets.randbelow(10**9) + 10**9)
        params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
        try:
            response = await self.client().get(url, params=params)
        except httpx.HTTPError as exc:
            raise _verification_failed(f"curl_errno = 7; curl_error = {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise _verification_failed(f"HTTP Status Code = {response.status_code}")
        if response.text.strip() != challenge:
            raise _verification_failed("The URL couldn't be validated. Response does not match challenge")


def _verification_failed(reason: str) -> GraphError:
    return GraphError(
        2200,
        f"(#2200) Callback verification failed with the following errors: {reason}",
        error_type="OAuthException",
    )
