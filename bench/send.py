"""Benchmark of the send pipeline: outbox rows sent per second through the sandbox at the 1,000 msg/s tier.

PostgreSQL (database `cobro_bench_send` on the COBRO_TEST_POSTGRES_URL server, created and dropped here),
RabbitMQ (a virtual host of its own on 127.0.0.1:5672, deleted afterwards) and Redis (127.0.0.1:6379, the
shared limiter; the sandbox's business number is new each run, so no other run shares its key): starts
`cobro sandbox` at tier 1,000, runs `cobro templates sync --wait` for `cobro_overdue_notice`, then measures
the physical reference: a bare asyncio httpx loop (8 connections, no database, broker or limiter) posting
the same template bodies, built by the worker's own code, to the same sandbox: answered req/s and
accepted/s. It resets the sandbox, seeds 100,000 debtors with one overdue invoice and one planned outbox
row each (QUICK=1: 2,000) in a place where the compliance gate allows contact now and for the next 15
minutes, starts BENCH_SEND_WORKERS (3) `cobro worker --concurrency BENCH_SEND_CONCURRENCY` (4) processes,
waits until no row is planned, queued or sending, and stops them with SIGTERM.

Figures: `send_rate_postgresql` (accepted/s by the sandbox between 5% and 95% of the accepted count,
sampled from /sandbox/stats every half second; `send_rate_first_to_last_postgresql` too),
`send_throughput_errors_postgresql` (130429 answers), `send_duplicates_postgresql` (callback keys the
sandbox accepted more than once), `send_lost_postgresql` (rows not settled or settled without a reason,
sent rows whose wamid the sandbox never accepted for their key, messages accepted for rows Cobro thinks
unsent; read from the sandbox's state file, written when it stops), `send_unsent_postgresql`. Then laptop
mode: SQLite, `cobro send --concurrency 8` in one process, no broker, no Redis, 20,000 rows (QUICK=1:
1,000): `send_rate_sqlite` and the same checks. A duplicate or a loss exits non-zero. BENCH_SEND_ONLY=
postgresql|sqlite runs one half; BENCH_KEEP_LOGS=DIR keeps the children's output.

Status webhooks are off here (BENCH_SEND_WEBHOOKS=1 sends each message's `sent` status to `cobro serve`
on the same database). Measured on this two-core machine with 20,000 messages: 337 msg/s with them, 460
without (bare loop 456 and 511 req/s in the same runs, the machine shared with other work): they cost about
a quarter of the rate, and this bench's checks read the sandbox's own record, so they add nothing here.
bench/send_chaos.py needs them (they reconcile unknown outcomes) and uses them.

On this machine httpx costs about 1 ms of CPU per request at best, and more the more requests are in flight
in one pool (httpcore scans every connection for every request, encode/httpx#3215): the bare loop answers
about 1,200 req/s with 4-8 connections on an idle machine, ~300 with 64.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine

from _databases import scratch_postgres_database  # bench/ is on sys.path
from _send_harness import (
    COBRO,
    MOVING,
    QUICK,
    Child,
    Children,
    Market,
    Sandbox,
    StatsSampler,
    bare_loop,
    children,
    choose_market,
    cobro_env,
    figure,
    free_port,
    load_average,
    log,
    outbox_states,
    reckon,
    request_bodies,
    seed,
    services_up,
    start_sandbox,
    steady_rate,
    sync_templates,
    wait_for_port,
    wait_until_settled,
)
from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.migrate import upgrade

MESSAGES = int(os.environ.get("BENCH_SEND_MESSAGES") or (2_000 if QUICK else 100_000))
SQLITE_MESSAGES = int(os.environ.get("BENCH_SEND_SQLITE_MESSAGES") or (1_000 if QUICK else 20_000))
WORKERS = int(os.environ.get("BENCH_SEND_WORKERS") or 3)
# Two batches in flight per worker: more put hundreds of requests into one httpx pool, which then costs more
# CPU per request (see the module docstring); measured 2 x 2 > 2 x 4 > 2 x 8 on this machine.
CONCURRENCY = int(os.environ.get("BENCH_SEND_CONCURRENCY") or 4)
SQLITE_CONCURRENCY = int(os.environ.get("BENCH_SEND_SQLITE_CONCURRENCY") or 8)
ONLY = os.environ.get("BENCH_SEND_ONLY", "")  # postgresql or sqlite: run one half only
WEBHOOKS = os.environ.get("BENCH_SEND_WEBHOOKS", "") not in ("", "0")
BARE_REQUESTS = 2_000 if QUICK else 20_000
BARE_CONCURRENCY = 8  # httpx answers fastest with a few connections (encode/httpx#3215)
RATE = 1000  # the sandbox number's tier and COBRO_SEND_RATE
BENCH_DB = "cobro_bench_send"
REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = "send"


def rabbitmqctl() -> str:
    """The rabbitmqctl on the PATH (Debian's wrapper runs it as the rabbitmq user, with its cookie)."""
    found = shutil.which("rabbitmqctl") or shutil.which("rabbitmqctl", path="/usr/sbin:/usr/lib/rabbitmq/bin")
    if found is None:
        raise SystemExit("rabbitmqctl not found: RabbitMQ must be installed for this benchmark")
    return found


@contextmanager
def rabbitmq_vhost(name: str) -> Iterator[str]:
    """A RabbitMQ virtual host of the bench's own on the local node (no other user's queue is touched);
    yields its amqp:// URL and deletes it afterwards."""
    ctl = rabbitmqctl()

    def run(*args: str) -> None:
        subprocess.run([ctl, "-q", *args], check=True, capture_output=True, timeout=60)

    subprocess.run([ctl, "-q", "delete_vhost", name], capture_output=True, timeout=60, check=False)
    run("add_vhost", name)
    run("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", name], capture_output=True, timeout=60, check=False)


def deadline_for(count: int) -> float:
    """Seconds a run of `count` messages may take before the bench gives up on it."""
    return count / (RATE * 0.1) + 120


def measure_bare(sandbox: Sandbox, market: Market) -> None:
    """The physical reference: a bare httpx loop on the same sandbox; then the sandbox forgets it."""
    bodies = request_bodies(market, BARE_REQUESTS, 1, "bare", sandbox.number_id)
    result = bare_loop(sandbox.base, sandbox.number_id, bodies, BARE_CONCURRENCY)
    log(
        PREFIX,
        f"bare loop: {result.answered:,} answers in {result.seconds:.1f} s, {result.accepted:,} accepted, "
        f"others {dict(result.statuses)} codes {dict(result.codes)}",
    )
    figure("send_bare_httpx_rate", result.answered / result.seconds, "req/s")
    figure("send_bare_httpx_accepted_rate", result.accepted / result.seconds, "msg/s")
    sandbox.admin({"reset": True})
    time.sleep(1.5)  # the tier's bucket refills before the pipeline starts


def report(label: str, engine: Engine, sandbox: Sandbox, sampler: StatsSampler, count: int) -> list[str]:
    """Prints the run's figures and returns its problems (duplicates, losses)."""
    stats = sandbox.stats()
    accepted = sandbox.stop_and_read()
    reckoning = reckon(engine, accepted)
    rate, window = steady_rate(sampler.samples)
    first_last = stats.get("accepted_per_second") or 0.0
    log(
        label,
        f"sandbox accepted {stats['accepted']:,} (first to last {first_last} msg/s), rejected "
        f"{stats['rejected']}, injected {stats['injected']}; steady window {window:.1f} s",
    )
    log(label, "outbox: " + ", ".join(f"{s} {n:,}" for s, n in sorted(reckoning.states.items())))
    for reason, n in reckoning.reasons.most_common(5):
        log(label, f"  {n:,} x {reason}")
    unsent = count - reckoning.states.get("sent", 0)
    figure(f"send_rate_{label}", rate, "msg/s")
    figure(f"send_rate_first_to_last_{label}", float(first_last), "msg/s")
    figure(f"send_throughput_errors_{label}", int(stats["rejected"].get("130429", 0)), "count")
    figure(
        f"send_duplicates_{label}",
        max(reckoning.duplicates, stats["callback_data"]["duplicated_keys"]),
        "count",
    )
    figure(f"send_lost_{label}", reckoning.lost, "count")
    figure(f"send_unsent_{label}", unsent, "count")
    problems = [f"{label}: {p}" for p in reckoning.problems]
    if stats["callback_data"]["duplicated_keys"]:
        problems.append(f"{label}: sandbox duplicated keys {stats['callback_data']['duplicates'][:5]}")
    if reckoning.states.get("sent", 0) == 0:
        problems.append(f"{label}: nothing was sent")
    return problems


def bench_postgresql(group: Children, market: Market) -> list[str]:
    """The fleet setup on one machine: PostgreSQL, RabbitMQ, Redis, N workers."""
    label = "postgresql"
    with scratch_postgres_database(BENCH_DB) as url, rabbitmq_vhost(BENCH_DB) as queue_url:
        upgrade(url)
        engine = make_engine(url)
        try:
            knobs = {"callback_url": start_serve(group, url, queue_url)} if WEBHOOKS else {}
            sandbox = start_sandbox(group, "sandbox-pg", **knobs)
            env = cobro_env(
                url,
                COBRO_QUEUE_URL=queue_url,
                COBRO_REDIS_URL=REDIS_URL,
                COBRO_SEND_RATE=str(RATE),
                COBRO_WHATSAPP_API_BASE=sandbox.base,
                COBRO_WHATSAPP_PHONE_NUMBER_ID=sandbox.number_id,
            )
            sync_templates(env, group.workdir, PREFIX)
            measure_bare(sandbox, market)
            seconds = seed(engine, market, MESSAGES, sandbox.number_id)
            log(label, f"{MESSAGES:,} debtors, accounts, invoices and planned rows seeded in {seconds:.1f} s")
            with StatsSampler(sandbox) as sampler:
                settled = run_workers(group, engine, env, label)
            problems = report(label, engine, sandbox, sampler, MESSAGES)
            if not settled:
                problems.append(f"{label}: rows still moving after {deadline_for(MESSAGES):.0f} s")
            return problems
        finally:
            engine.dispose()


def start_serve(group: Children, url: str, queue_url: str) -> str:
    """`cobro serve` on the bench's database (it sends nothing: a broker is configured); its webhook URL."""
    port = free_port()
    serve = group.start(
        "serve-pg", [*COBRO, "serve", "--port", str(port)], cobro_env(url, COBRO_QUEUE_URL=queue_url)
    )
    if not wait_for_port(port):
        raise SystemExit(f"cobro serve did not start:\n{serve.tail()}")
    return f"http://127.0.0.1:{port}/webhooks/whatsapp"


def run_workers(group: Children, engine: Engine, env: dict[str, str], label: str) -> bool:
    """Starts the workers, waits until no row is planned, queued or sending, stops them with SIGTERM;
    returns whether everything settled before the deadline."""
    webhooks = "on" if WEBHOOKS else "off"
    log(label, f"{WORKERS} workers x --concurrency {CONCURRENCY}; webhooks {webhooks}; load {load_average()}")
    started = time.monotonic()
    argv = [*COBRO, "worker", "--concurrency", str(CONCURRENCY), "--http-port"]
    workers = [group.start(f"worker-pg-{n}", [*argv, str(free_port())], env) for n in range(WORKERS)]
    settled = wait_until_settled(engine, label, deadline_for(MESSAGES), tick=_check_alive(workers))
    log(label, f"settled={settled} after {time.monotonic() - started:.1f} s, load {load_average()}")
    for worker in workers:
        if worker.alive():
            os.killpg(worker.process.pid, signal.SIGTERM)
    for worker in workers:
        code = Children.stop(worker, signal.SIGTERM, timeout=60)
        if code not in (0, -signal.SIGTERM):
            log(label, f"{worker.name} exited {code}:\n{worker.tail(1500)}")
    return settled


def _check_alive(workers: list[Child]) -> Callable[[Counter[str]], None]:
    """A progress hook that stops the bench when every worker has exited."""

    def tick(counts: Counter[str]) -> None:
        dead = [w for w in workers if not w.alive()]
        if len(dead) == len(workers):
            raise SystemExit("every worker exited:\n" + "\n".join(f"{w.name}: {w.tail(2000)}" for w in dead))

    return tick


def bench_sqlite(group: Children, market: Market) -> list[str]:
    """Laptop mode: SQLite, `cobro send` in one process, no broker, no Redis."""
    label = "sqlite"
    url = f"sqlite:///{group.workdir / 'send.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        sandbox = start_sandbox(group, "sandbox-sqlite")
        env = cobro_env(
            url,
            COBRO_SEND_RATE=str(RATE),
            COBRO_WHATSAPP_API_BASE=sandbox.base,
            COBRO_WHATSAPP_PHONE_NUMBER_ID=sandbox.number_id,
        )
        sync_templates(env, group.workdir, PREFIX)
        seconds = seed(engine, market, SQLITE_MESSAGES, sandbox.number_id)
        log(label, f"{SQLITE_MESSAGES:,} rows seeded in {seconds:.1f} s; `cobro send` in one process")
        with StatsSampler(sandbox) as sampler:
            started = time.monotonic()
            sender = group.start(
                "send-sqlite", [*COBRO, "send", "--concurrency", str(SQLITE_CONCURRENCY)], env
            )
            try:
                code = sender.process.wait(timeout=deadline_for(SQLITE_MESSAGES))
            except Exception:
                code = Children.stop(sender, signal.SIGTERM, timeout=30)
            log(label, f"cobro send exited {code} after {time.monotonic() - started:.1f} s")
            if code != 0:
                log(label, sender.tail(2000))
        problems = report(label, engine, sandbox, sampler, SQLITE_MESSAGES)
        if code != 0:
            problems.append(f"{label}: cobro send exited {code}")
        moving = sum(outbox_states(engine).get(s, 0) for s in MOVING)
        if moving:
            problems.append(f"{label}: {moving} rows still planned, queued or sending")
        return problems
    finally:
        engine.dispose()


def main() -> int:
    """PostgreSQL with the broker, then SQLite in one process; prints figures, returns 1 when a check failed."""
    missing = services_up()
    if missing:
        print(f"send bench needs {', '.join(missing)}", file=sys.stderr)
        return 1
    figure("send_messages_postgresql", MESSAGES, "messages")
    figure("send_messages_sqlite", SQLITE_MESSAGES, "messages")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cobro-bench-send-") as tmp, children(Path(tmp)) as group:
        market = choose_market(PREFIX)
        if ONLY in ("", "postgresql"):
            problems += bench_postgresql(group, market)
        if ONLY in ("", "sqlite"):
            problems += bench_sqlite(group, market)
    for problem in problems:
        print(f"send FAILED: {problem}", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
