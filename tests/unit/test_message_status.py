from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobro.domain.messaging import InboundMessage, MessageStatus, merged_status, next_status

S = MessageStatus


@pytest.mark.parametrize(
    ("current", "incoming", "expected"),
    [
        (S.ACCEPTED, S.SENT, S.SENT),
        (S.SENT, S.DELIVERED, S.DELIVERED),
        (S.DELIVERED, S.READ, S.READ),
        (S.READ, S.DELIVERED, S.READ),
        (S.DELIVERED, S.SENT, S.DELIVERED),
        (S.SENT, S.FAILED, S.FAILED),
        (S.FAILED, S.SENT, S.FAILED),
        (S.DELIVERED, S.FAILED, S.DELIVERED),
        (S.FAILED, S.READ, S.READ),
        (S.READ, S.READ, S.READ),
    ],
)
def test_a_status_only_moves_forward(current, incoming, expected):
    assert next_status(current, incoming) is expected


def test_read_before_delivered_before_sent_ends_read():
    assert merged_status([S.READ, S.DELIVERED, S.SENT]) is S.READ


def test_a_failure_is_final_unless_the_message_reached_the_device():
    assert merged_status([S.SENT, S.FAILED, S.SENT]) is S.FAILED
    assert merged_status([S.FAILED, S.DELIVERED]) is S.DELIVERED


@given(st.lists(st.sampled_from(list(MessageStatus)), max_size=12), st.randoms(use_true_random=False))
def test_any_order_of_any_statuses_ends_at_the_causal_max(statuses, random):
    shuffled = list(statuses)
    random.shuffle(shuffled)
    expected = max([S.ACCEPTED, *statuses], key=lambda s: s.rank)
    assert merged_status(shuffled) is expected
    assert merged_status(shuffled) is merged_status(statuses)


@given(st.sampled_from(list(MessageStatus)), st.sampled_from(list(MessageStatus)))
def test_merging_is_commutative_and_idempotent(a, b):
    assert next_status(a, b) is next_status(b, a)
    assert next_status(next_status(a, b), b) is next_status(a, b)


def test_inbound_messages_need_an_aware_time():
    with pytest.raises(ValueError, match="aware"):
        InboundMessage("wamid.X", "1", "text", datetime(2026, 11, 23))
    assert InboundMessage(
        "wamid.X", "1", "text", datetime(2026, 11, 23, tzinfo=UTC), text="hola"
    ).content() == {"text": "hola"}
