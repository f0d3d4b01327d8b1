"""The per-number send rate limit, as reservations (GCRA, "virtual scheduling") rather than a token bucket.

Each sending number has a theoretical arrival time, TAT: the moment its next free slot begins. Reserving
`count` slots starts at max(TAT, now) and moves TAT `count / rate` later; the caller sleeps until the first
slot and spaces its messages 1/rate apart. A reservation never overlaps another, whichever worker or machine
made it, so the number's rate holds across the fleet with one round trip per batch rather than one per
message. After a 130429 `penalise` pushes TAT later for everyone.

`RedisRateLimiter` keeps TAT in Redis and reads the time from Redis (`TIME`) inside one Lua script per
operation, so every machine shares one clock and one atomic step; `InMemoryRateLimiter` does the same for a
single process (laptop mode, tests). Both implement `app.ports.SendRateLimiter` (decision 0033).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis.asyncio as redis

DEFAULT_KEY_PREFIX = "cobro:send-rate:"
# Connections to Redis per limiter: a reservation takes well under a millisecond, so a few carry thousands a
# second; more tasks than connections wait for one rather than fail.
DEFAULT_MAX_CONNECTIONS = 16
# A TAT key outlives its last slot by this much: once TAT is in the past it means "idle", which a missing key
# says just as well, so Redis can forget idle numbers.
TTL_PAST_TAT_SECONDS = 5.0

# KEYS[1]: the number's TAT key. ARGV: count, rate, ttl_past_tat. Returns {start, now} as strings (a Lua
# number returned as-is would be truncated to an integer). %.17g writes a double that reads back exactly.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local count = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local start = math.max(tat, now)
local new_tat = start + count / rate
local ttl_ms = math.ceil((new_tat - now + tonumber(ARGV[3])) * 1000)
redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', ttl_ms)
return {string.format('%.17g', start), string.format('%.17g', now)}
"""

# KEYS[1]: the number's TAT key. ARGV: seconds, ttl_past_tat. Returns the new TAT as a string.
_PENALISE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local new_tat = math.max(tat, now) + tonumber(ARGV[1])
local ttl_ms = math.ceil((new_tat - now + tonumber(ARGV[2])) * 1000)
redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', ttl_ms)
return string.format('%.17g', new_tat)
"""


@dataclass(frozen=True, slots=True)
class Reservation:
    """A run of consecutive slots: the first begins at `start`, reserved at `now` (both on the limiter's clock)."""

    start: float
    now: float

    @property
    def wait(self) -> float:
        """Seconds from the reservation until the first slot."""
        return max(0.0, self.start - self.now)


class _Rates:
    """Each number's configured rate, or the default."""

    def __init__(self, rates: Mapping[str, float] | None, default_rate: float) -> None:
        self._rates = dict(rates or {})
        self._default = default_rate
        for number, rate in [("default", default_rate), *self._rates.items()]:
            if not rate > 0:
                raise ValueError(f"the send rate of {number} must be positive, not {rate!r}")

    def of(self, phone_number_id: str) -> float:
        return self._rates.get(phone_number_id, self._default)


def _check_count(count: int) -> None:
    if count < 1:
        raise ValueError(f"a reservation needs at least one slot, not {count}")


class RedisRateLimiter:
    """The send rate limit of every number, kept in Redis and shared by every worker on every machine."""

    def __init__(
        self,
        redis_url: str,
        rates: Mapping[str, float] | None = None,
        default_rate: float = 80.0,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._rates = _Rates(rates, default_rate)
        self._prefix = key_prefix
        # A blocking pool: the default one raises "Too many connections" once more tasks than its size ask at
        # once. The timeouts turn a Redis that hangs into an error the send task's retry handles; a reservation
        # whose answer was lost only wastes its slots. Connections open lazily, on the first call's loop.
        pool = redis.BlockingConnectionPool.from_url(
            redis_url,
            max_connections=max_connections,
            timeout=10,
            socket_timeout=5,
            socket_connect_timeout=5,
        )
        self._redis: redis.Redis = redis.Redis.from_pool(pool)
        self._reserve = self._redis.register_script(_RESERVE)
        self._penalise = self._redis.register_script(_PENALISE)

    def __repr__(self) -> str:
        return f"RedisRateLimiter(key_prefix={self._prefix!r})"  # the URL may carry a password

    def rate(self, phone_number_id: str) -> float:
        """Messages a second the number may send."""
        return self._rates.of(phone_number_id)

    async def reserve(self, phone_number_id: str, count: int) -> float:
        """Reserves `count` consecutive slots on the number; returns the seconds until the first."""
        return (await self.reserve_slots(phone_number_id, count)).wait

    async def reserve_slots(self, phone_number_id: str, count: int) -> Reservation:
        """Like `reserve`, with the first slot and the reservation time on Redis's clock (epoch seconds)."""
        _check_count(count)
        rate = self.rate(phone_number_id)
        start, now = await self._reserve(
            keys=[self._key(phone_number_id)], args=[count, repr(rate), repr(TTL_PAST_TAT_SECONDS)]
        )
        return Reservation(float(start), float(now))

    async def penalise(self, phone_number_id: str, seconds: float) -> None:
        """Pushes the number's next free slot `seconds` later, for every worker (after a 130429)."""
        if seconds <= 0:
            return
        await self._penalise(
            keys=[self._key(phone_number_id)], args=[repr(float(seconds)), repr(TTL_PAST_TAT_SECONDS)]
        )

    async def aclose(self) -> None:
        """Closes the Redis connections."""
        await self._redis.aclose()

    def _key(self, phone_number_id: str) -> str:
        return f"{self._prefix}{phone_number_id}"


class InMemoryRateLimiter:
    """The same limiter for one process (laptop mode, tests): the numbers' TATs in a dict."""

    def __init__(
        self,
        rates: Mapping[str, float] | None = None,
        default_rate: float = 80.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rates = _Rates(rates, default_rate)
        self._clock = clock
        self._tat: dict[str, float] = {}
        # Each step is a read-modify-write with no await inside, so one event loop needs no lock; the thread
        # lock also keeps it right when tasks on several threads (or loops) share the limiter.
        self._lock = threading.Lock()

    def rate(self, phone_number_id: str) -> float:
        """Messages a second the number may send."""
        return self._rates.of(phone_number_id)

    async def reserve(self, phone_number_id: str, count: int) -> float:
        """Reserves `count` consecutive slots on the number; returns the seconds until the first."""
        return self.reserve_now(phone_number_id, count).wait

    async def reserve_slots(self, phone_number_id: str, count: int) -> Reservation:
        """Like `reserve`, with the first slot and the reservation time on the limiter's clock."""
        return self.reserve_now(phone_number_id, count)

    def reserve_now(self, phone_number_id: str, count: int) -> Reservation:
        """The reservation itself, without awaiting: callable from synchronous code too."""
        _check_count(count)
        rate = self.rate(phone_number_id)
        with self._lock:
            now = self._clock()
            start = max(self._tat.get(phone_number_id, now), now)
            self._tat[phone_number_id] = start + count / rate
        return Reservation(start, now)

    async def penalise(self, phone_number_id: str, seconds: float) -> None:
        """Pushes the number's next free slot `seconds` later (after a 130429)."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            self._tat[phone_number_id] = max(self._tat.get(phone_number_id, now), now) + seconds

    async def aclose(self) -> None:
        """Nothing to close; here so both limiters can be closed alike."""
