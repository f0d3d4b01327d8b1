"""The throughput tier and the pair rate limit, on a clock the tests move by hand."""

from __future__ import annotations

import pytest

from cobro.sandbox.errors import GraphError
from cobro.sandbox.limits import Limits, TokenBucket


class Clock:
    """A monotonic clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_capacity_at_once_then_refills_at_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, capacity=10, clock=clock)
    assert all(bucket.take() for _ in range(10))
    assert not bucket.take()
    clock.now += 0.1
    assert bucket.take()
    assert not bucket.take()


def test_sending_over_the_numbers_tier_raises_130429() -> None:
    clock = Clock()
    limits = Limits({"n1": 80}, pair_rate=1, pair_burst=1000, clock=clock)
    for i in range(80):
        limits.check("n1", f"user-{i}")
    with pytest.raises(GraphError) as refused:
        limits.check("n1", "user-x")
    assert refused.value.code == 130429
    assert refused.value.message == "(#130429) Rate limit hit"
    clock.now += 1.0
    limits.check("n1", "user-y")


def test_each_number_has_its_own_tier() -> None:
    limits = Limits({"n1": 1, "n2": 1}, pair_rate=1, pair_burst=10, clock=Clock())
    limits.check("n1", "a")
    limits.check("n2", "a")


def test_a_burst_to_one_user_is_allowed_then_131056_until_the_pair_rate_refills() -> None:
    clock = Clock()
    limits = Limits({"n1": 1000}, pair_rate=1 / 6, pair_burst=3, clock=clock)
    for _ in range(3):
        limits.check("n1", "ana")
    with pytest.raises(GraphError) as refused:
        limits.check("n1", "ana")
    assert refused.value.code == 131056
    limits.check("n1", "beto")
    clock.now += 6.0
    limits.check("n1", "ana")


def test_configure_changes_a_tier_while_running() -> None:
    clock = Clock()
    limits = Limits({"n1": 1}, pair_rate=1, pair_burst=100, clock=clock)
    limits.check("n1", "a")
    limits.configure({"n1": 1000}, pair_rate=1, pair_burst=100)
    clock.now += 0.01
    limits.check("n1", "b")
