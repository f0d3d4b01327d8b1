"""The send pipeline's metrics in Prometheus text format (prometheus_client, decision 0034).

Each `SendMetrics` holds its own CollectorRegistry rather than the library's global one, so a worker exposes
only what it counts and a test starts from zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from cobro.domain.outbox import OutboxState

if TYPE_CHECKING:
    from cobro.app.send_outbox import BatchResult

# The Content-Type of `SendMetrics.render()`: the classic text format 0.0.4, which every Prometheus reads
# (the names here need none of format 1.0.0's escaping); prometheus_client's own server sends it by default.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# Seconds a send task waited for its first slot: zero when the number is idle; up to minutes when the
# dispatcher queued far ahead of the number's rate.
LIMITER_WAIT_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class SendMetrics:
    """The send metrics of one process, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.messages_sent = Counter(
            "cobro_messages_sent",
            "Messages Meta accepted, by sending number.",
            ["phone_number_id"],
            registry=r,
        )
        self.send_errors = Counter(
            "cobro_send_errors",
            "Sends that were not accepted, by Meta's code ('unknown': outcome unknown; 'none': refused "
            "without a code).",
            ["code"],
            registry=r,
        )
        self.throughput_limited = Counter(
            "cobro_throughput_limited",
            "Throughput refusals (130429 and the other back-off codes): the limiter let too much through.",
            registry=r,
        )
        self.limiter_wait = Counter(
            "cobro_limiter_wait_seconds", "Seconds send tasks waited for their slots, in all.", registry=r
        )
        # Not "cobro_limiter_wait_seconds": that name is the counter's, and one name holds one metric.
        self.limiter_batch_wait = Histogram(
            "cobro_limiter_batch_wait_seconds",
            "Seconds each send task waited for its first slot.",
            buckets=LIMITER_WAIT_BUCKETS,
            registry=r,
        )
        self.send_batches = Counter(
            "cobro_send_batches",
            "Send tasks run, by result: 'empty' (nothing left to claim), 'ok', 'errors' (some not accepted).",
            ["result"],
            registry=r,
        )
        self.outbox_messages = Gauge(
            "cobro_outbox_messages", "Outbox rows in each state, at the last sweep.", ["state"], registry=r
        )
        self.sends_in_flight = Gauge(
            "cobro_sends_in_flight", "Outbox rows in the send tasks running in this process.", registry=r
        )
        for state in OutboxState:
            self.outbox_messages.labels(state=state.value).set(0)
        self._outbox_states: set[str] = {state.value for state in OutboxState}

    def observe_batch(self, result: BatchResult) -> None:
        """Counts what one send task did: sends accepted, errors by code, 130429s, the limiter's wait."""
        sent = result.states.get(OutboxState.SENT.value, 0)
        if sent:
            self.messages_sent.labels(phone_number_id=result.phone_number_id).inc(sent)
        for code, count in result.error_codes.items():
            if count:
                self.send_errors.labels(code=code).inc(count)
        if result.throughput_limited:
            self.throughput_limited.inc(result.throughput_limited)
        wait = max(0.0, result.limiter_wait)
        self.limiter_wait.inc(wait)
        self.limiter_batch_wait.observe(wait)
        if not result.claimed:
            outcome = "empty"
        elif any(result.error_codes.values()):
            outcome = "errors"
        else:
            outcome = "ok"
        self.send_batches.labels(result=outcome).inc()

    def set_outbox_counts(self, counts: Mapping[str, int]) -> None:
        """Sets the outbox gauge from `counts` (state -> rows); a state seen before but absent now reads 0."""
        self._outbox_states.update(counts)
        for state in self._outbox_states:
            self.outbox_messages.labels(state=state).set(counts.get(state, 0))

    def render(self) -> bytes:
        """Every metric in Prometheus text format (serve with CONTENT_TYPE)."""
        return generate_latest(self.registry)
