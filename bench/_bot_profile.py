"""Where a bot turn's time goes (not a benchmark: bench/run.py skips files starting with '_'); bench/bot.py runs
it with BENCH_BOT_PROFILE=1.

The corpus is replayed in this process, one message at a time (no server, no concurrency: the cost of a
message alone), through the use cases the server's applier threads run: store_webhook_delivery, then
process_webhook_deliveries with the bot as the answerer. Each message's time is split into: storing the
delivery, claiming it, and the apply transaction, and within it the bot's turn (answer_inbound), the
reader's calls (classifier and language: `read`; dates, amounts and numbers: `entities`; `birth_date`) and
every SQL statement (counted and timed per kind and table, by SQLAlchemy's cursor events). The first half of
the contacts runs without a profiler (those timings are printed); the second half under cProfile, whose top
functions are printed and whose stats are written to var/bench/bot-profile.prof (snakeviz, pstats).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from _bot_corpus import PHONE_NUMBER_ID, Inbound, webhook_body
from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.conversation import Bot, answer_inbound
from cobro.app.record_webhooks import process_webhook_deliveries, store_webhook_delivery
from cobro.app.uow import UnitOfWork
from cobro.bootstrap import bootstrap
from cobro.config import Settings
from cobro.domain.conversation.intents import Entities, Reading
from cobro.domain.events import AuditEvent
from cobro.domain.messaging import InboundMessage

_FROM = re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE)
_INTO = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def log(message: str) -> None:
    print(f"  [bot profile] {message}", file=sys.stderr, flush=True)


def statement_kind(statement: str) -> str:
    """`SELECT conversations FOR UPDATE`, `INSERT outbox`, `SAVEPOINT`: what a statement does to which table."""
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    if verb in ("INSERT", "UPDATE", "DELETE"):
        found = _INTO.match(statement)
        return f"{verb} {found.group(1) if found else '?'}"
    if verb in ("SELECT", "WITH"):
        tables = list(dict.fromkeys(_FROM.findall(statement))) or ["-"]
        shown = "+".join(sorted(tables)) if len(tables) > 1 else tables[0]
        if "replace(" in statement.lower():
            shown += " (by normalised reference)"
        lock = " FOR UPDATE" if "FOR UPDATE" in statement.upper() else ""
        return f"SELECT {shown}{lock}"
    return verb


@dataclass
class Tally:
    """Time and calls per label, plus a per-message breakdown."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[str] = field(default_factory=Counter)

    def most_common(self, count: int | None = None) -> list[tuple[str, float]]:
        """Labels by time spent, most first."""
        return sorted(self.seconds.items(), key=lambda item: -item[1])[:count]

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] += seconds
        self.calls[label] += 1


class TimedReader:
    """The bot's MessageReader, timed."""

    def __init__(self, inner: Any, tally: Tally) -> None:
        self.inner = inner
        self.tally = tally

    def read(self, text: str, fallback_language: str | None = None) -> Reading:
        started = time.perf_counter()
        try:
            return self.inner.read(text, fallback_language)  # type: ignore[no-any-return]
        finally:
            self.tally.add("reader.read (language + classifier)", time.perf_counter() - started)

    def entities(self, text: str, language: str, zone: str, today: date) -> Entities:
        started = time.perf_counter()
        try:
            return self.inner.entities(text, language, zone, today)  # type: ignore[no-any-return]
        finally:
            self.tally.add("reader.entities (dates, amounts, numbers)", time.perf_counter() - started)

    def birth_date(self, text: str, language: str) -> date | None:
        started = time.perf_counter()
        try:
            return self.inner.birth_date(text, language)  # type: ignore[no-any-return]
        finally:
            self.tally.add("reader.birth_date", time.perf_counter() - started)


@dataclass
class Turn:
    """One message's times (seconds) and statements."""

    scenario: str
    store: float = 0.0
    apply: float = 0.0  # claim + apply transaction (the bot's turn inside)
    answer: float = 0.0  # answer_inbound alone
    statements: int = 0
    answer_statements: int = 0
    kind: str = ""  # the message type (text, interactive, ...)
    reading: float = 0.0  # in the reader (classifier, entities, birth dates)
    sql: float = 0.0  # waiting on statements (sent, executed, answered)
    commits: float = 0.0  # waiting on COMMITs (the WAL flush)


def profile_replay(
    database_url: str, messages: Sequence[Inbound], warm: Sequence[Inbound], out_dir: Path
) -> int:
    """Replays `messages` in this process and prints where the time goes; 0, or 1 when a delivery failed."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        log_level="WARNING",
        whatsapp_phone_number_id=PHONE_NUMBER_ID,
        send_in_server=False,
        plan_every_seconds=0,
    )
    container = bootstrap(settings)
    clock = container.clock
    reading = Tally()
    sql = Tally()
    started = time.perf_counter()
    real = container.bot  # trains the classifier
    for message in warm:  # as bench/bot.py does before it starts the clock
        delivery_id = store_webhook_delivery(
            container.uow_factory, webhook_body(message, int(time.time())), clock.now()
        )
        process_webhook_deliveries(
            container.uow_factory, clock, parse_webhook, limit=1, delivery_ids=[delivery_id],
            answer=container.answer_inbound,
        )  # fmt: skip
    log(
        f"bot ready (classifier trained, {len(warm)} warm-up messages) in {time.perf_counter() - started:.1f} s"
    )
    bot = Bot(
        reader=TimedReader(real.reader, reading),
        catalogue=real.catalogue,
        public_url=real.public_url,
        parse_strategy=real.parse_strategy,
    )
    state: dict[str, Any] = {
        "in_answer": False,
        "statements": 0,
        "answer_statements": 0,
        "sql": 0.0,
        "commits": 0.0,
    }
    dialect = container.engine.dialect
    plain_commit = dialect.do_commit

    def timed_commit(dbapi_connection: Any) -> None:
        began = time.perf_counter()
        try:
            plain_commit(dbapi_connection)
        finally:
            elapsed = time.perf_counter() - began
            state["commits"] += elapsed
            sql.add("COMMIT", elapsed)

    dialect.do_commit = timed_commit  # type: ignore[method-assign]

    @event.listens_for(container.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(container.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        elapsed = time.perf_counter() - conn.info["bench_started"].pop()
        kind = statement_kind(statement)
        sql.add(("bot: " if state["in_answer"] else "webhook: ") + kind, elapsed)
        state["statements"] += 1
        state["sql"] += elapsed
        if state["in_answer"]:
            state["answer_statements"] += 1

    current = Turn("")

    def answer(
        uow: UnitOfWork, inbound: Sequence[InboundMessage], opted_out: set[str], now: datetime
    ) -> list[AuditEvent]:
        state["in_answer"] = True
        began = time.perf_counter()
        try:
            return answer_inbound(uow, bot, inbound, opted_out, now)
        finally:
            current.answer += time.perf_counter() - began
            state["in_answer"] = False

    grouped: dict[str, list[Inbound]] = {}
    for message in messages:
        grouped.setdefault(message.contact.key, []).append(message)
    conversations = list(grouped.values())
    half = len(conversations) // 2
    turns: list[Turn] = []
    failures = 0
    profiler = cProfile.Profile()
    log(f"replaying {len(messages):,} messages in-process: {half:,} contacts timed, the rest under cProfile")
    for index, conversation in enumerate(conversations):
        if index == half:
            profiler.enable()
        for message in conversation:
            current = Turn(message.scenario, kind=str(message.item["type"]))
            read_before = sum(reading.seconds.values())
            state.update(statements=0, answer_statements=0, sql=0.0, commits=0.0)
            body = webhook_body(message, int(time.time()))
            began = time.perf_counter()
            delivery_id = store_webhook_delivery(container.uow_factory, body, clock.now())
            stored = time.perf_counter()
            outcome = process_webhook_deliveries(
                container.uow_factory,
                clock,
                parse_webhook,
                limit=1,
                delivery_ids=[delivery_id],
                answer=answer,
            )
            done = time.perf_counter()
            failures += len(outcome.failures)
            current.store, current.apply = stored - began, done - stored
            current.statements, current.answer_statements = state["statements"], state["answer_statements"]
            current.sql, current.commits = state["sql"], state["commits"]
            current.reading = sum(reading.seconds.values()) - read_before
            if index < half:
                turns.append(current)
    profiler.disable()
    container.close()
    _print_timings(turns, reading, sql, half)
    out_dir.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(out_dir / "bot-profile.prof"))
    print_profile(pstats.Stats(profiler), "cProfile, second half")
    if failures:
        print(f"bot FAILED: {failures} deliveries failed in the profile run", flush=True)
    return 1 if failures else 0


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def _print_timings(turns: list[Turn], reading: Tally, sql: Tally, contacts: int) -> None:
    n = len(turns)
    if not n:
        return
    total = [t.store + t.apply for t in turns]
    ordered = sorted(total)
    p99 = ordered[min(n - 1, round(0.99 * n))]
    print(f"bot_profile_messages: {n} messages", flush=True)
    print(f"bot_profile_p50: {statistics.median(total) * 1000:.1f} ms", flush=True)
    print(f"bot_profile_p99: {p99 * 1000:.1f} ms", flush=True)
    print(f"bot_profile_sql_per_message: {sum(t.statements for t in turns) / n:.1f} statements", flush=True)
    print(
        f"bot_profile_sql_per_turn: {sum(t.answer_statements for t in turns) / n:.1f} statements", flush=True
    )
    log(f"{n:,} messages of {contacts:,} contacts, one at a time, mean per message:")
    log(f"  store the delivery (its own transaction)   {_ms(sum(t.store for t in turns) / n)}")
    log(f"  claim + apply transaction                   {_ms(sum(t.apply for t in turns) / n)}")
    log(f"    of which the bot's turn (answer_inbound)  {_ms(sum(t.answer for t in turns) / n)}")
    sql_ms, commit_ms = sum(t.sql for t in turns) / n, sum(t.commits for t in turns) / n
    python_ms = sum(t.store + t.apply for t in turns) / n - sql_ms - commit_ms
    log(f"  waiting on SQL statements ({sum(t.statements for t in turns) / n:.1f})         {_ms(sql_ms)}")
    log(f"  waiting on COMMITs (3: store, claim, apply)  {_ms(commit_ms)}")
    log(f"  Python (the bot, reader, SQLAlchemy, psycopg) {_ms(python_ms)}")
    print(f"bot_profile_sql_wait: {sql_ms * 1000:.1f} ms", flush=True)
    print(f"bot_profile_commit_wait: {commit_ms * 1000:.1f} ms", flush=True)
    print(f"bot_profile_python: {python_ms * 1000:.1f} ms", flush=True)
    # The reader's and SQL tallies cover both halves of the run; the second half ran under cProfile, so
    # they are shown per call, where the profiler's overhead matters less.
    log("reader calls (both halves; per call):")
    for label, seconds in reading.most_common():
        calls = reading.calls[label]
        log(f"  {label:<45} {calls:>7,} calls  {_ms(seconds / calls)} mean  {seconds:7.2f} s total")
    log("SQL statements (both halves), by time:")
    for label, seconds in sql.most_common(30):
        calls = sql.calls[label]
        log(f"  {label:<55} {calls:>7,} calls  {_ms(seconds / calls)} mean  {seconds:7.2f} s total")
    log("the slowest messages (timed half):")
    for t in sorted(turns, key=lambda t: t.store + t.apply, reverse=True)[:8]:
        log(
            f"  {(t.store + t.apply) * 1000:6.1f} ms  {t.scenario:<15} {t.kind:<12} turn {_ms(t.answer)}  "
            f"reader {_ms(t.reading)}  SQL {_ms(t.sql)} ({t.statements})  commits {_ms(t.commits)}"
        )
    by_scenario: dict[str, list[float]] = {}
    for t in turns:
        by_scenario.setdefault(t.scenario, []).append((t.store + t.apply) * 1000)
    log("per scenario (timed half):")
    for scenario, values in sorted(by_scenario.items()):
        values.sort()
        log(f"  {scenario:<15} {len(values):>5,} msgs  p50 {statistics.median(values):6.1f} ms  "
            f"p99 {values[min(len(values) - 1, round(0.99 * len(values)))]:6.1f} ms")  # fmt: skip


_PACKAGES = (
    ("sqlalchemy", "SQLAlchemy"), ("psycopg", "psycopg"), ("/cobro/adapters/nlu", "cobro NLU (reader)"),
    ("sklearn", "scikit-learn"), ("scipy", "numpy/scipy"), ("numpy", "numpy/scipy"), ("lingua", "lingua"),
    ("dateparser", "dateparser"), ("regex", "dateparser"), ("babel", "babel"), ("pydantic", "pydantic"),
    ("/cobro/adapters", "cobro adapters"), ("/cobro/app", "cobro app"), ("/cobro/domain", "cobro domain"),
    ("/cobro/i18n", "cobro i18n"), ("/cobro/entrypoints", "cobro entrypoints"), ("json", "json"),
    ("litestar", "HTTP (uvicorn, litestar, anyio)"), ("uvicorn", "HTTP (uvicorn, litestar, anyio)"),
    ("httptools", "HTTP (uvicorn, litestar, anyio)"), ("anyio", "HTTP (uvicorn, litestar, anyio)"),
    ("asyncio", "HTTP (uvicorn, litestar, anyio)"), ("msgspec", "HTTP (uvicorn, litestar, anyio)"),
    ("structlog", "logging"), ("logging", "logging"), ("bench/", "the bench's instrumentation"),
)  # fmt: skip


def _by_package(profile: pstats.Stats) -> list[tuple[str, float]]:
    """Own time (tottime) summed per library; built-ins count for the library that called them."""
    stats = profile.stats  # type: ignore[attr-defined]
    totals: dict[str, float] = defaultdict(float)

    def package(filename: str) -> str | None:
        for needle, name in _PACKAGES:
            if needle in filename:
                return name
        return None

    for (filename, _, _), (_, _, tottime, _, callers) in stats.items():
        found = package(filename)
        if found is None and filename == "~" and callers:  # a built-in: its heaviest caller's library
            caller = max(callers.items(), key=lambda item: item[1][2])[0]
            found = package(caller[0])
        totals[found or "other (stdlib, built-ins)"] += tottime
    return sorted(totals.items(), key=lambda item: -item[1])


def print_profile(profile: pstats.Stats, title: str) -> None:
    """The profile's own time by library, then its top functions by cumulative and by own time (stderr)."""
    shares = _by_package(profile)
    whole = sum(seconds for _, seconds in shares) or 1.0
    log(f"{title}: own time by library (the profiler inflates pure-Python code the most):")
    for name, seconds in shares:
        log(f"  {name:<32} {seconds:7.2f} s  {100 * seconds / whole:5.1f} %")
    for order, count in (("cumulative", 60), ("tottime", 30)):
        buffer = io.StringIO()
        profile.stream = buffer  # type: ignore[attr-defined]
        profile.strip_dirs().sort_stats(order).print_stats(count)
        log(f"{title}, by {order}:")
        for line in buffer.getvalue().splitlines():
            if line.strip():
                print(f"    {line}", file=sys.stderr)
