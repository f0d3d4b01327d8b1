"""What a row becomes after one send attempt: domain/outbox.resolve_outcome and the retry policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobro.domain.contact import MessageKind
from cobro.domain.outbox import (
    Accepted,
    OutboxItem,
    OutboxState,
    Refused,
    RetryPolicy,
    Unknown,
    callback_data_for,
    idempotency_key_from_callback,
    resolve_outcome,
)
from cobro.domain.send_failures import FailureAdvice, advice_for

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
POLICY = RetryPolicy()


def item(attempts: int = 1) -> OutboxItem:
    return OutboxItem(
        id=7,
        idempotency_key="acct:42:first_notice:2026-12-04",
        creditor_id=1,
        debtor_id=2,
        account_id=42,
        kind=MessageKind.COLLECTION,
        stage="first_notice",
        template="cobro_first_notice",
        language="es",
        phone_number_id=None,
        attempts=attempts,
    )


def refused(code: int, status: int = 400) -> Refused:
    return Refused(advice_for(code, status), "refused", code=code, http_status=status)


def test_accepted_is_sent_with_its_wamid() -> None:
    change = resolve_outcome(item(), Accepted("wamid.X"), NOW, POLICY, 0.5)
    assert (change.state, change.wamid) == (OutboxState.SENT, "wamid.X")


def test_unknown_is_never_retried() -> None:
    change = resolve_outcome(item(), Unknown("ReadTimeout after the request was written"), NOW, POLICY, 0.5)
    assert change.state is OutboxState.UNKNOWN
    assert "ReadTimeout" in (change.reason or "")


@pytest.mark.parametrize("code", [131026, 132000, 132001, 132015, 131047, 131050, 100, 131030])
def test_permanent_refusals_fail_with_the_code_and_are_not_retried(code: int) -> None:
    change = resolve_outcome(item(), refused(code), NOW, POLICY, 0.5)
    assert change.state is OutboxState.FAILED
    assert change.error_code == code
    assert change.due_at is None
    assert str(code) in (change.reason or "")


@pytest.mark.parametrize("code", [190, 131031, 131057, 368])
def test_a_stopped_sender_makes_rows_wait_not_fail(code: int) -> None:
    change = resolve_outcome(item(attempts=POLICY.max_attempts), refused(code), NOW, POLICY, 0.5)
    assert change.state is OutboxState.PLANNED
    assert change.refund_attempt
    assert change.due_at is not None
    assert change.due_at - NOW >= POLICY.sender_stopped_delay * 0.75


def test_lasting_slow_downs_wait_longer_than_the_throughput_limit() -> None:
    spam = resolve_outcome(item(), refused(131048), NOW, POLICY, 0.0)
    throughput = resolve_outcome(item(), refused(130429), NOW, POLICY, 1.0)
    assert spam.due_at is not None
    assert throughput.due_at is not None
    assert spam.due_at - NOW >= POLICY.slow_down_delay / 2 > throughput.due_at - NOW
    assert spam.refund_attempt


def test_throughput_limit_retries_soon_without_using_an_attempt() -> None:
    change = resolve_outcome(item(attempts=POLICY.max_attempts), refused(130429), NOW, POLICY, 0.5)
    assert change.state is OutboxState.PLANNED
    assert change.error_code == 130429
    assert change.refund_attempt
    assert change.due_at is not None
    assert NOW < change.due_at <= NOW + POLICY.throughput_delay


def test_pair_rate_limit_defers_that_row_for_minutes() -> None:
    change = resolve_outcome(item(), refused(131056), NOW, POLICY, 0.0)
    assert change.state is OutboxState.PLANNED
    assert change.due_at is not None
    assert change.due_at - NOW >= timedelta(minutes=7)


def test_transient_errors_back_off_then_give_up() -> None:
    retry = Refused(FailureAdvice.RETRY, "ConnectError", code=None)
    first = resolve_outcome(item(attempts=1), retry, NOW, POLICY, 0.0)
    assert first.state is OutboxState.PLANNED
    assert first.due_at == NOW + POLICY.base_delay / 2
    last = resolve_outcome(item(attempts=POLICY.max_attempts), retry, NOW, POLICY, 0.0)
    assert last.state is OutboxState.FAILED
    assert f"after {POLICY.max_attempts} attempts" in (last.reason or "")


@given(attempt=st.integers(min_value=1, max_value=200), jitter=st.floats(min_value=0, max_value=1))
def test_backoff_grows_within_jittered_bounds(attempt: int, jitter: float) -> None:
    delay = POLICY.backoff(attempt, jitter)
    full = min(POLICY.base_delay * 2 ** min(attempt - 1, 30), POLICY.max_delay)
    assert full / 2 <= delay <= full
    assert delay <= POLICY.max_delay


def test_callback_data_round_trips_and_ignores_other_senders() -> None:
    key = "acct:42:first_notice:2026-12-04"
    assert idempotency_key_from_callback(callback_data_for(key)) == key
    assert idempotency_key_from_callback("demo:F-1001") is None
    assert idempotency_key_from_callback(None) is None
    assert len(callback_data_for("k" * 900)) == 512
