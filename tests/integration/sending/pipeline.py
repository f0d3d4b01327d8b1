"""What the send-pipeline tests share: a seeded creditor, an approved sandbox, and a worker's steps run
one by one (dispatch, send a batch, apply the sandbox's webhooks), plus the duplicate and loss checks."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from cobro.adapters.db.tables import outbox
from cobro.adapters.queue.rate_limit import InMemoryRateLimiter
from cobro.adapters.whatsapp import WhatsAppClient
from cobro.adapters.whatsapp.sender import GraphSender
from cobro.adapters.whatsapp.template_account import GraphTemplateAccount
from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.plan_contacts import plan_contacts
from cobro.app.ports import QueuedBatch
from cobro.app.record_webhooks import process_webhook_deliveries, store_webhook_delivery
from cobro.app.send_outbox import Sender, SendPolicy, catalogue_index, dispatch_due, send_batch
from cobro.app.sync_templates import sync_templates
from cobro.domain.template_catalogue import load_catalogue
from cobro.entrypoints.planning import catalogue_pairs, planning_policy_with, shared_gate
from tests.integration.sandbox.conftest import ACCESS_TOKEN, Receiver, Running

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday, 13:00 in Madrid
WABA = "1020000000000001"
NUMBER = "1090000000000001"
DEBTORS = 5


class Crash(BaseException):
    """Stands for SIGKILL inside a test: nothing after the point it is raised runs, nothing is cleaned up."""


def die(items: Sequence[Any]) -> None:
    """A before_send/before_record hook that kills the worker right there."""
    raise Crash


class RecordingQueue:
    """A SendQueue that keeps the batches it was given (the broker's part is tested in test_worker_engine)."""

    def __init__(self) -> None:
        self.batches: list[QueuedBatch] = []

    def publish(self, batches: Sequence[QueuedBatch]) -> None:
        self.batches.extend(batches)


def plan(uow_factory, clock, at=NOON) -> int:
    policy = planning_policy_with(uow_factory, approved=catalogue_pairs())
    return plan_contacts(uow_factory, clock, policy, at=at).stored


def rows(engine) -> list[Any]:
    with engine.connect() as connection:
        return connection.execute(select(outbox).order_by(outbox.c.id)).all()


def approve_catalogue(base_url: str, uow_factory, clock) -> None:
    async def go() -> None:
        async with WhatsAppClient(
            base_url=base_url,
            api_version="v23.0",
            access_token=ACCESS_TOKEN,
            phone_number_id=NUMBER,
            waba_id=WABA,
        ) as client:
            report = await sync_templates(
                uow_factory,
                clock,
                GraphTemplateAccount(client),
                load_catalogue(),
                waba_id=WABA,
                wait=True,
                review_timeout=20,
                poll_every=0.05,
            )
            assert report is not None

    asyncio.run(go())


def make_sender(uow_factory, clock, base_url: str, token: str = ACCESS_TOKEN, **hooks: Any) -> Sender:
    policy = SendPolicy(
        gate=shared_gate(),
        catalogue=catalogue_index(load_catalogue()),
        default_phone_number_id=NUMBER,
        lease=timedelta(minutes=2),
        unknown_deadline=timedelta(minutes=15),
        batch_size=2,
    )
    graph = GraphSender(
        base_url=base_url,
        api_version="v23.0",
        access_token=token,
        waba_id=WABA,
        phone_number_id=NUMBER,
    )
    return Sender(
        uow_factory=uow_factory,
        clock=clock,
        sender=graph,
        limiter=InMemoryRateLimiter(rates=None, default_rate=1000.0),
        policy=policy,
        worker="test-worker",
        rng=random.Random(6),
        **hooks,
    )


def run_batches(sender: Sender, batches: Sequence[QueuedBatch]) -> list[Any]:
    """Runs send tasks one after the other on one event loop (as a worker's loop would)."""

    async def go() -> list[Any]:
        results = []
        try:
            for batch in batches:
                results.append(await send_batch(sender, batch.phone_number_id, list(batch.ids)))
        finally:
            await sender.sender.aclose()  # type: ignore[attr-defined]
        return results

    return asyncio.run(go())


def dispatch(uow_factory, clock) -> list[QueuedBatch]:
    queue = RecordingQueue()
    dispatch_due(uow_factory, clock, queue, batch_size=2)
    return queue.batches


def stats(running: Running) -> dict[str, Any]:
    return running.http.get(f"{running.url}/sandbox/stats").json()


def duplicates(running: Running) -> int:
    """Callback keys (one per outbox row) the sandbox accepted more than one message for."""
    return int(stats(running)["callback_data"]["duplicated_keys"])


def accepted_keys(running: Running) -> int:
    """Outbox rows the sandbox accepted a message for."""
    return int(stats(running)["callback_data"]["keys"])


def apply_webhooks(uow_factory, clock, receiver: Receiver, start: int = 0) -> int:
    """Feeds the webhooks the sandbox posted (signed, Meta's shape) through Cobro's store-then-apply path."""
    posts = receiver.posts()[start:]
    for post in posts:
        store_webhook_delivery(uow_factory, post.body, clock.now())
    process_webhook_deliveries(uow_factory, clock, parse_webhook)
    return len(posts)


def states(engine) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in rows(engine):
        found[row.state] = found.get(row.state, 0) + 1
    return found


def assert_nothing_lost(engine) -> None:
    """Every row ends sent, failed, cancelled or with a person, each non-sent one with its reason."""
    for row in rows(engine):
        assert row.state in {"sent", "failed", "cancelled", "unknown", "review"}, row
        if row.state == "sent":
            assert row.wamid
        else:
            assert row.reason, row
