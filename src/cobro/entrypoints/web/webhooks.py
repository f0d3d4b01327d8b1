"""The WhatsApp webhook: Meta's verification handshake, and deliveries checked, stored raw, then applied.

The POST answers as soon as the body is signed, readable and stored; applying it runs after the response
(a background task) so Meta never waits on Cobro's database work and never retries for a slow answer.
There is no CSRF on this route by design: Meta cannot carry a CSRF token; the HMAC signature is the check.
"""

from __future__ import annotations

import hmac
import threading
import time
from typing import Any

import anyio
import anyio.to_thread
import structlog
from litestar import MediaType, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Response

from cobro.adapters.db import migrate
from cobro.adapters.whatsapp.signature import verify_signature
from cobro.adapters.whatsapp.webhook_payloads import MalformedWebhook, parse_webhook
from cobro.app.record_webhooks import (
    InboundAnswerer,
    WebhookProcessing,
    process_webhook_deliveries,
    store_webhook_delivery,
)
from cobro.app.uow import UnitOfWorkFactory
from cobro.bootstrap import Container
from cobro.domain.clock import Clock
from cobro.domain.messaging import WebhookContents

PATH = "/webhooks/whatsapp"
# Parsed deliveries kept for their apply (parsing is pure, so the request's result is reused): a bound, as
# a delivery may be applied by another process and never asked for here.
_PARSED_KEPT = 500
_log = structlog.get_logger(__name__)


class WebhookProcessor:
    """Applies stored deliveries in this process: each new one soon after its response, together with the
    others stored meanwhile, and the backlog (failed attempts due again, deliveries left by a crash) at most
    every `drain_every` seconds."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        batch: int = 100,
        drain_every: float = 30.0,
        appliers: int = 3,
        per_transaction: int = 25,
        answer: InboundAnswerer | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._answer = answer
        self._clock = clock
        self._batch = batch
        self._per_transaction = per_transaction
        self._drain_every = drain_every
        self._draining = threading.Lock()
        self._last_drain = float("-inf")
        self._lock = threading.Lock()  # guards the two below: requests add, appliers take
        self._pending: set[int] = set()
        self._parsed: dict[bytes, WebhookContents] = {}
        self.stopping = threading.Event()
        # Applying runs on a few threads of its own, far fewer than the database pool's connections, so a
        # burst of deliveries being applied never starves the requests that store new ones (anyio's shared
        # pool has 40 threads; SQLAlchemy's pool 15 connections). Few appliers also make big transactions:
        # while they work, the deliveries stored meanwhile wait and are then applied together, which is what
        # keeps up with thousands of statuses a second (bench/statuses.py).
        self.limiter = anyio.CapacityLimiter(appliers)

    async def apply_in_background(
        self, delivery_id: int, body: bytes | None = None, contents: WebhookContents | None = None
    ) -> None:
        """Applies a stored delivery on the processor's own threads (a response's background task); `contents`,
        what the request parsed from `body`, spares parsing it again."""
        self._add(delivery_id, body, contents)
        await anyio.to_thread.run_sync(self.apply_pending, limiter=self.limiter)

    def apply(self, delivery_id: int) -> None:
        """Applies one stored delivery, and any others waiting, unless another worker holds them."""
        self._add(delivery_id)
        self.apply_pending()

    def apply_pending(self) -> None:
        """Applies the deliveries stored by this process and not applied yet, up to `batch` at once (none when
        another thread took them first), then drains the backlog if due."""
        with self._lock:
            ids = sorted(self._pending)[: self._batch]
            self._pending.difference_update(ids)
        if ids:
            self._report(
                process_webhook_deliveries(
                    self._uow_factory,
                    self._clock,
                    self._parse,
                    limit=len(ids),
                    delivery_ids=ids,
                    per_transaction=self._per_transaction,
                    answer=self._answer,
                )
            )
        if time.monotonic() - self._last_drain >= self._drain_every:
            self.drain()

    def drain(self) -> None:
        """Applies every claimable delivery, batch by batch; returns at once if a drain is already running."""
        if not self._draining.acquire(blocking=False):
            return
        try:
            self._last_drain = time.monotonic()
            while not self.stopping.is_set():
                report = process_webhook_deliveries(
                    self._uow_factory,
                    self._clock,
                    self._parse,
                    limit=self._batch,
                    per_transaction=self._per_transaction,
                    answer=self._answer,
                )
                self._report(report)
                if report.claimed < self._batch:
                    return
        finally:
            self._draining.release()

    def _add(
        self, delivery_id: int, body: bytes | None = None, contents: WebhookContents | None = None
    ) -> None:
        with self._lock:
            self._pending.add(delivery_id)
            if body is not None and contents is not None:
                self._parsed[body] = contents
                while len(self._parsed) > _PARSED_KEPT:  # deliveries another process applied: forget them
                    del self._parsed[next(iter(self._parsed))]

    def _parse(self, body: bytes) -> WebhookContents:
        """What the request parsed from this body, else parsed now (a delivery from the backlog)."""
        with self._lock:
            contents = self._parsed.pop(body, None)
        return parse_webhook(body) if contents is None else contents

    def _report(self, report: WebhookProcessing) -> None:
        for failure in report.failures:
            _log.warning(
                "webhook_delivery_failed",
                delivery_id=failure.delivery_id,
                attempts=failure.attempts,
                error=failure.error,
            )
        if report.split:
            # Not an error yet (each delivery was then tried alone), but a sign of contention worth seeing.
            _log.warning("webhook_transactions_split", transactions=report.split)
        if report.processed:
            _log.info(
                "webhook_deliveries_applied",
                deliveries=report.processed,
                messages=report.messages,
                statuses=report.statuses,
                template_reviews=report.template_reviews,
            )


async def drain_periodically(processor: WebhookProcessor, every: float = 30.0) -> None:
    """Retries due deliveries (failed attempts, expired leases) even when no new webhook arrives."""
    while not processor.stopping.is_set():
        await anyio.sleep(every)
        try:
            await anyio.to_thread.run_sync(processor.drain, limiter=processor.limiter)
        except Exception as exc:  # logged; the next round tries again, the server keeps answering
            _log.error("webhook_drain_failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")


async def process_leftover_deliveries(container: Container, processor: WebhookProcessor) -> None:
    """At startup: applies what an earlier process stored but did not finish, once the schema is current."""
    try:
        revision = await anyio.to_thread.run_sync(migrate.current_revision, container.settings.database_url)
        if revision != migrate.head_revision():
            _log.warning("webhook_backlog_skipped", reason=f"database at {revision}")
            return
        await anyio.to_thread.run_sync(processor.drain)
    except Exception as exc:  # the backlog is retried by the next drain; startup must not fail on it
        _log.error("webhook_backlog_failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")


@get(PATH, media_type=MediaType.TEXT, sync_to_thread=False, opt={"exclude_from_csrf": True})
def verify_whatsapp_webhook(
    state: State,
    mode: str | None = QueryParameter(name="hub.mode", default=None),
    token: str | None = QueryParameter(name="hub.verify_token", default=None),
    challenge: str | None = QueryParameter(name="hub.challenge", default=None),
) -> Response[str]:
    """Meta's subscription handshake: echoes the challenge when the verify token matches, else 403."""
    expected = state.container.settings.whatsapp_verify_token.get_secret_value().encode()
    given = (token or "").encode()
    if mode == "subscribe" and challenge is not None and hmac.compare_digest(given, expected):
        return Response(challenge, media_type=MediaType.TEXT)
    _log.warning("webhook_verification_refused", mode=mode)
    return Response("forbidden", status_code=403, media_type=MediaType.TEXT)


@post(PATH, media_type=MediaType.JSON, status_code=200, opt={"exclude_from_csrf": True})
async def receive_whatsapp_webhook(request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
    """Checks the signature on the raw body, checks its shape, stores it, answers 200, applies it after."""
    container = state.container
    body = await request.body()
    header = request.headers.get("x-hub-signature-256")
    if header is None:
        return Response({"error": "missing X-Hub-Signature-256"}, status_code=401)
    secret = container.settings.whatsapp_app_secret.get_secret_value()
    if not verify_signature(body, header, secret):
        _log.warning("webhook_signature_refused", bytes=len(body))
        return Response({"error": "signature does not match"}, status_code=403)
    try:
        contents = parse_webhook(body)  # a body Cobro could never apply is refused before it is stored
    except MalformedWebhook as exc:
        _log.warning("webhook_malformed", reason=str(exc)[:200])
        return Response({"error": str(exc)[:200]}, status_code=400)
    delivery_id = await anyio.to_thread.run_sync(
        store_webhook_delivery, container.uow_factory, body, container.clock.now()
    )
    processor: WebhookProcessor = state.webhook_processor
    return Response(
        {"status": "received", "delivery": delivery_id},
        background=BackgroundTask(processor.apply_in_background, delivery_id, body, contents),
    )
