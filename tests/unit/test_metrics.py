"""The send metrics: what a send task's result counts, the outbox gauge, and the Prometheus text format."""

from __future__ import annotations

from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from cobro.adapters.metrics import CONTENT_TYPE, SendMetrics
from cobro.app.send_outbox import BatchResult


def samples(metrics: SendMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the rendered text by (name, sorted labels), read back with Prometheus' own parser."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def batch(**fields: object) -> BatchResult:
    result = BatchResult("1090000000000001")
    for name, value in fields.items():
        setattr(result, name, value)
    return result


def test_a_batch_counts_its_sends_by_number_and_its_errors_by_code() -> None:
    metrics = SendMetrics()
    metrics.observe_batch(
        batch(
            claimed=6,
            states=Counter({"sent": 3, "planned": 2, "unknown": 1}),
            error_codes=Counter({"130429": 1, "none": 1, "unknown": 1}),
            throughput_limited=1,
            limiter_wait=0.75,
        )
    )
    metrics.observe_batch(batch(claimed=2, states=Counter({"sent": 2}), limiter_wait=0.25))
    found = samples(metrics)
    assert found[("cobro_messages_sent_total", (("phone_number_id", "1090000000000001"),))] == 5
    assert found[("cobro_send_errors_total", (("code", "130429"),))] == 1
    assert found[("cobro_send_errors_total", (("code", "none"),))] == 1
    assert found[("cobro_send_errors_total", (("code", "unknown"),))] == 1
    assert found[("cobro_throughput_limited_total", ())] == 1
    assert found[("cobro_limiter_wait_seconds_total", ())] == 1.0
    assert found[("cobro_limiter_batch_wait_seconds_count", ())] == 2
    assert found[("cobro_limiter_batch_wait_seconds_sum", ())] == 1.0
    # 0.25 s falls in the 0.25 bucket (le is inclusive); 0.75 s does not.
    assert found[("cobro_limiter_batch_wait_seconds_bucket", (("le", "0.25"),))] == 1
    assert found[("cobro_limiter_batch_wait_seconds_bucket", (("le", "1.0"),))] == 2
    assert found[("cobro_send_batches_total", (("result", "errors"),))] == 1
    assert found[("cobro_send_batches_total", (("result", "ok"),))] == 1


def test_a_task_that_found_nothing_to_claim_counts_as_an_empty_batch_and_no_send() -> None:
    metrics = SendMetrics()
    metrics.observe_batch(batch(claimed=0))
    found = samples(metrics)
    assert found[("cobro_send_batches_total", (("result", "empty"),))] == 1
    assert not any(name == "cobro_messages_sent_total" for name, _ in found)
    assert found[("cobro_limiter_batch_wait_seconds_bucket", (("le", "0.0"),))] == 1


def test_the_outbox_gauge_reads_the_last_counts_and_zero_for_a_state_that_emptied() -> None:
    metrics = SendMetrics()
    metrics.set_outbox_counts({"planned": 1200, "queued": 300, "sending": 40, "review": 2})
    metrics.set_outbox_counts({"planned": 900, "queued": 250, "sent": 41})
    found = samples(metrics)
    gauge = {
        labels[0][1]: value for (name, labels), value in found.items() if name == "cobro_outbox_messages"
    }
    assert gauge["planned"] == 900
    assert gauge["queued"] == 250
    assert gauge["sent"] == 41
    assert gauge["sending"] == 0
    assert gauge["review"] == 0
    assert gauge["unknown"] == 0  # every state is exported from the start, so a dashboard sees zeros


def test_the_text_format_names_each_metric_with_its_type() -> None:
    metrics = SendMetrics()
    metrics.sends_in_flight.inc(7)
    metrics.observe_batch(batch(claimed=1, states=Counter({"sent": 1})))
    text = metrics.render().decode()
    assert "# TYPE cobro_messages_sent_total counter" in text
    assert 'cobro_messages_sent_total{phone_number_id="1090000000000001"} 1.0' in text
    assert "# TYPE cobro_outbox_messages gauge" in text
    assert 'cobro_outbox_messages{state="planned"} 0.0' in text
    assert "# TYPE cobro_limiter_batch_wait_seconds histogram" in text
    assert "cobro_sends_in_flight 7.0" in text
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")


def test_each_instance_counts_on_its_own() -> None:
    first, second = SendMetrics(), SendMetrics()
    first.observe_batch(batch(claimed=1, states=Counter({"sent": 1})))
    assert ("cobro_messages_sent_total", (("phone_number_id", "1090000000000001"),)) not in samples(second)
