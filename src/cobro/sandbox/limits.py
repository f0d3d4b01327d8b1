"""Throughput limits: the per-number tier (130429) and the pair rate limit per business number and user (131056).

Both are token buckets over an injectable monotonic clock, so tests move time by hand.
Meta: throughput is 80 messages/s per business number by default and up to 1,000 once upgraded; over it the
send fails with 130429 "Rate limit hit". Sending to one user too often in a short time fails with 131056
"(Business Account, Consumer Account) pair rate limit hit" (developers.facebook.com/docs/whatsapp/cloud-api/
overview#throughput and .../support/error-codes).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cobro.sandbox.errors import GraphError

Clock = Callable[[], float]
# A hair under one token, so float rounding of elapsed time (100.1 - 100.0 = 0.0999...) never refuses a send.
_ONE = 1.0 - 1e-9


class TokenBucket:
    """`rate` tokens a second, holding at most `capacity`; a take that finds less than one token is refused."""

    __slots__ = ("_clock", "_last", "_tokens", "capacity", "rate")

    def __init__(self, rate: float, capacity: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._last = clock()

    def take(self) -> bool:
        """Takes one token if there is one."""
        now = self._clock()
        tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if tokens < _ONE:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True


def throughput_exceeded() -> GraphError:
    """(#130429) The business number's messages-per-second tier is used up."""
    return GraphError(
        130429,
        "(#130429) Rate limit hit",
        details="Cloud API message throughput has been reached.",
    )


def pair_rate_exceeded() -> GraphError:
    """(#131056) Too many messages from this business number to the same user in a short time."""
    return GraphError(
        131056,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        details=(
            "Message failed to send because there were too many messages sent from this phone number "
            "to the same phone number in a short period of time."
        ),
    )


class Limits:
    """The throughput bucket of each business number and the pair bucket of each (number, user)."""

    def __init__(
        self, tiers: dict[str, int], pair_rate: float, pair_burst: int, clock: Clock = time.monotonic
    ) -> None:
        self._clock = clock
        self._numbers = {number_id: TokenBucket(tier, tier, clock) for number_id, tier in tiers.items()}
        self.pair_rate = pair_rate
        self.pair_burst = pair_burst
        # (number id, user) -> [tokens, last]: a list, not a TokenBucket, to stay small for a million users.
        self._pairs: dict[tuple[str, str], list[float]] = {}

    def configure(self, tiers: dict[str, int], pair_rate: float, pair_burst: int) -> None:
        """Applies changed tiers and pair limits (after POST /sandbox/admin)."""
        for number_id, tier in tiers.items():
            bucket = self._numbers.get(number_id)
            if bucket is None:
                self._numbers[number_id] = TokenBucket(tier, tier, self._clock)
            else:
                bucket.rate = bucket.capacity = tier
        self.pair_rate = pair_rate
        self.pair_burst = pair_burst

    def check(self, number_id: str, user: str) -> None:
        """Counts one send; raises 130429 over the number's tier, 131056 over the pair limit."""
        bucket = self._numbers.get(number_id)
        if bucket is not None and not bucket.take():
            raise throughput_exceeded()
        now = self._clock()
        key = (number_id, user)
        pair = self._pairs.get(key)
        if pair is None:
            self._pairs[key] = [self.pair_burst - 1.0, now]
            return
        tokens = min(float(self.pair_burst), pair[0] + (now - pair[1]) * self.pair_rate)
        pair[1] = now
        if tokens < _ONE:
            pair[0] = tokens
            raise pair_rate_exceeded()
        pair[0] = tokens - 1.0
