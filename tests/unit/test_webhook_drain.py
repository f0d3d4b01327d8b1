import anyio
import pytest

from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.record_webhooks import store_webhook_delivery
from cobro.entrypoints.web.webhooks import WebhookProcessor, drain_periodically
from tests.unit.fakes import FakeUnitOfWorkFactory
from tests.webhook_payloads import body, delivery, status, statuses_change


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class CountingProcessor:
    """Stands in for WebhookProcessor: counts drains, stops after three."""

    def __init__(self) -> None:
        import threading

        self.stopping = threading.Event()
        self.drains = 0
        self.limiter = None  # anyio's default thread limiter

    def drain(self) -> None:
        self.drains += 1
        if self.drains == 3:
            self.stopping.set()


@pytest.mark.anyio
async def test_stored_deliveries_are_retried_on_a_timer_even_when_no_webhook_arrives() -> None:
    processor = CountingProcessor()
    with anyio.fail_after(5):
        await drain_periodically(processor, every=0.01)  # type: ignore[arg-type]
    assert processor.drains == 3


class _CountingClaims:
    """The fake deliveries, counting the claims made for given delivery ids."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.claims_for_ids: list[list[int]] = []

    def claim(self, now, lease_until, limit, ids=None):
        if ids is not None:
            self.claims_for_ids.append(sorted(ids))
        return self._inner.claim(now, lease_until, limit, ids)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _stored(uow_factory, clock, wamid):
    raw = body(delivery(statuses_change(status(wamid, "sent"))))
    return store_webhook_delivery(uow_factory, raw, clock.now()), raw


@pytest.mark.anyio
async def test_deliveries_stored_while_the_appliers_are_busy_are_then_applied_together(clock) -> None:
    uow_factory = FakeUnitOfWorkFactory()
    claims = _CountingClaims(uow_factory.store.deliveries)
    uow_factory.store.deliveries = claims
    processor = WebhookProcessor(uow_factory, clock, appliers=1)
    stored = [_stored(uow_factory, clock, f"wamid.B{n}") for n in range(3)]
    await processor.limiter.acquire()  # the one applier is busy
    async with anyio.create_task_group() as tasks:
        for delivery_id, _ in stored:
            tasks.start_soon(processor.apply_in_background, delivery_id)
        await anyio.sleep(0.05)
        processor.limiter.release()
    assert claims.claims_for_ids == [[1, 2, 3]]
    assert len(uow_factory.store.statuses.items) == 3


@pytest.mark.anyio
async def test_a_delivery_is_applied_from_what_its_request_parsed_not_parsed_again(clock) -> None:
    uow_factory = FakeUnitOfWorkFactory()
    delivery_id, raw = _stored(uow_factory, clock, "wamid.P")
    unreadable = b"not JSON: parsing it again would fail"
    uow_factory.store.deliveries.rows[delivery_id][0] = unreadable
    processor = WebhookProcessor(uow_factory, clock)
    await processor.apply_in_background(delivery_id, unreadable, parse_webhook(raw))
    assert [s.wamid for s in uow_factory.store.statuses.items.values()] == ["wamid.P"]
    other, _ = _stored(uow_factory, clock, "wamid.Q")
    await processor.apply_in_background(other)  # nothing kept for it: parsed from the stored body
    assert [s.wamid for s in uow_factory.store.statuses.items.values()] == ["wamid.P", "wamid.Q"]
