import anyio
import pytest

from cobro.entrypoints.web.webhooks import drain_periodically


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
