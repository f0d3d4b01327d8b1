"""Chaos benchmark of the send pipeline: workers killed with SIGKILL, the broker restarted, sends that fail or
time out, and still no message twice and none lost.

PostgreSQL (database `cobro_bench_send_chaos` on the COBRO_TEST_POSTGRES_URL server, created and dropped
here), a RabbitMQ node of the bench's own (its own port, data directory and Erlang cookie under a temporary
folder, so restarting it disturbs no other user of the machine's broker), Redis (127.0.0.1:6379, the shared
limiter). The sandbox runs at the 1,000 msg/s tier (QUICK=1: 200 msg/s in batches of 20, so the run lasts
long enough for a few kills) and answers 0.5% of sends with a 500 and 0.5% only after 25 s, past the
client's 20 s read timeout; it accepts half of those anyway, so their outcome is truly unknown to Cobro. Its
status webhooks (`sent` only) go to `cobro serve` on the same database, which reconciles unknown outcomes.
20,000 planned rows (QUICK=1: 1,000).

Three `cobro worker --concurrency 2` processes send; every 4 s one that has run for 5 s is killed with
SIGKILL and a new one started; once 40% of the rows are settled the broker is restarted (`rabbitmqctl
stop_app`, 3 s down, `start_app` on the private node). COBRO_SEND_LEASE_SECONDS=30 (the read timeout plus
10), COBRO_SEND_UNKNOWN_DEADLINE_SECONDS=30 and COBRO_SEND_REQUEUE_SECONDS=30 let the run end in a few
minutes: when nothing is planned, queued or sending and no row is `unknown` any more, the workers stop
(SIGTERM), `cobro send --no-wait` sweeps once more, and the bench waits until every status webhook the
sandbox owes is posted and applied.

Prints `chaos_sent`, `chaos_failed`, `chaos_cancelled`, `chaos_unknown_to_person` (review + unknown),
`chaos_reconciled` (rows that went `unknown` and then got a `message.reconciled` audit event, i.e. were
settled by a status webhook),
`chaos_duplicates` (callback keys the sandbox accepted more than once: must be 0), `chaos_lost` (rows not
settled or settled without a reason, sent rows whose wamid the sandbox never accepted for their key,
messages the sandbox accepted for a row that is neither sent nor with a person: must be 0), `chaos_kills`,
`chaos_broker_restarts`, `chaos_injected_failures` and `chaos_rate` (accepted/s, 5%-95% window). Rows
with a person whose message the sandbox did accept (a reconciliation missed) are logged. Exits non-zero on
any duplicate, loss or failed step. BENCH_KEEP_LOGS=DIR keeps the children's output.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from _databases import scratch_postgres_database  # bench/ is on sys.path
from _send_harness import (
    COBRO,
    MOVING,
    QUICK,
    Child,
    Children,
    Sandbox,
    StatsSampler,
    children,
    choose_market,
    cobro_env,
    figure,
    free_port,
    log,
    outbox_states,
    reckon,
    seed,
    services_up,
    start_sandbox,
    steady_rate,
    sync_templates,
    wait_for_port,
)
from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.migrate import upgrade
from cobro.adapters.db.tables import audit_events, outbox, webhook_deliveries
from cobro.adapters.whatsapp.client import DEFAULT_TIMEOUT

MESSAGES = int(os.environ.get("BENCH_CHAOS_MESSAGES") or (1_000 if QUICK else 20_000))
# Each task reserves its batch's slots before claiming, so a killed worker wastes CONCURRENCY x BATCH / RATE
# seconds of the number's slots: 0.8 s at these values. QUICK sends slower in smaller batches to last long
# enough for a few kills, at the same waste.
RATE, BATCH = (200, 20) if QUICK else (1000, 100)
WORKERS = int(os.environ.get("BENCH_CHAOS_WORKERS") or 3)
CONCURRENCY = int(os.environ.get("BENCH_CHAOS_CONCURRENCY") or 2)  # as bench/send.py: see there
KILL_EVERY_S = 4.0
KILL_AGE_S = 5.0  # a worker is killed only once it has run this long (it takes 2-3 s to start here)
BROKER_RESTART_AT = 0.4  # share of the rows settled when the broker is restarted
BROKER_DOWN_S = 3.0
# The client gives up reading an answer after DEFAULT_TIMEOUT.read (20 s): the sandbox's slow answers come
# later, so their outcome is unknown; a lease shorter than that would expire under every batch holding one.
CLIENT_TIMEOUT_S = float(DEFAULT_TIMEOUT.read or 20.0)
# The requeue delay must exceed a task's wait for its slots, or the sweep publishes rows whose task is only
# waiting, and the extra tasks reserve more slots: a loop that starves the number.
LEASE_S, UNKNOWN_DEADLINE_S, REQUEUE_S = CLIENT_TIMEOUT_S + 10, 30, 30
FAILURES = {
    "http_5xx_rate": "0.005",
    "timeout_rate": "0.005",
    "timeout_delay": str(CLIENT_TIMEOUT_S + 5),
    "failure_accepts_probability": "0.5",
}
BENCH_DB = "cobro_bench_send_chaos"
REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = "chaos"


def reconciled_rows(engine: Engine) -> tuple[set[Any], set[Any]]:
    """The rows with a `message.reconciled` event and those with a `message.unknown` event (outbox ids)."""
    a = audit_events.c
    with engine.connect() as connection:
        found = connection.execute(
            select(a.kind, a.data).where(a.kind.in_(("message.reconciled", "message.unknown")))
        ).all()
    reconciled = {_row_of(data) for kind, data in found if kind == "message.reconciled"} - {None}
    unknown = {_row_of(data) for kind, data in found if kind == "message.unknown"} - {None}
    return reconciled, unknown


def _row_of(data: Any) -> Any:
    if isinstance(data, str):
        data = json.loads(data)
    if not isinstance(data, dict):
        return None
    return data.get("outbox_id") or data.get("idempotency_key")


@dataclass
class RabbitNode:
    """A RabbitMQ node of the bench's own (its own port, data and cookie), so restarting it disturbs no one."""

    name: str
    url: str
    env: dict[str, str]
    child: Child

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """rabbitmqctl against this node."""
        return subprocess.run(
            [_RABBIT_BIN / "rabbitmqctl", "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def restart_app(self, down_seconds: float) -> None:
        """`rabbitmqctl stop_app`, `down_seconds` with no broker, then `start_app` (queues and persistent
        messages are kept on disk; every connection is dropped)."""
        for args in (("stop_app",), ("start_app",)):
            done = self.ctl(*args)
            if done.returncode != 0:
                raise SystemExit(f"rabbitmqctl {args[0]} failed: {done.stdout}{done.stderr}")
            if args[0] == "stop_app":
                time.sleep(down_seconds)


_RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


@contextmanager
def private_rabbitmq(group: Children) -> Iterator[RabbitNode]:
    """Starts a RabbitMQ node of its own on a free port (data, logs and Erlang cookie in the work directory)
    and stops it afterwards."""
    server = _RABBIT_BIN / "rabbitmq-server"
    if not server.exists():
        raise SystemExit(f"{server} not found: the chaos bench runs a RabbitMQ node of its own")
    home = group.workdir / "rabbitmq"
    home.mkdir()
    port, dist_port = free_port(), free_port()
    name = f"cobro_bench_{port}@localhost"
    (home / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{port}\n")
    (home / "enabled_plugins").write_text("[].\n")
    (home / "rabbitmq-env.conf").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "COBRO_"))}
    env |= {
        "HOME": str(home),
        "RABBITMQ_NODENAME": name,
        "RABBITMQ_DIST_PORT": str(dist_port),
        "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
        "RABBITMQ_CONF_ENV_FILE": str(home / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
    }
    epmd_before = _epmd_pids()
    node = RabbitNode(
        name, f"amqp://guest:guest@127.0.0.1:{port}/", env, group.start("rabbitmq", [str(server)], env)
    )
    try:
        end = time.monotonic() + 90
        while node.ctl("await_startup", timeout=30).returncode != 0 or not wait_for_port(port, 1):
            if not node.child.alive() or time.monotonic() > end:
                raise SystemExit(f"the private RabbitMQ node did not start:\n{node.child.tail()}")
            time.sleep(0.5)
        yield node
    finally:
        if node.child.alive():
            node.ctl("stop")
            Children.stop(node.child, signal.SIGTERM, timeout=30)
        for pid in _epmd_pids() - epmd_before:  # an epmd our node started (none when RabbitMQ runs here)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _epmd_pids() -> set[int]:
    found = subprocess.run(["pgrep", "-x", "epmd"], capture_output=True, text=True, check=False)
    return {int(p) for p in found.stdout.split()}


class Fleet:
    """The workers: started, killed with SIGKILL and replaced; counts kills and unplanned exits."""

    def __init__(self, group: Children, env: dict[str, str]) -> None:
        self.group = group
        self.env = env
        self.workers: list[Child] = []
        self.born: dict[int, float] = {}  # pid -> monotonic start
        self.kills = 0
        self.crashes = 0
        self._started = 0

    def start(self) -> Child:
        """One more `cobro worker`."""
        self._started += 1
        argv = [*COBRO, "worker", "--concurrency", str(CONCURRENCY), "--http-port", str(free_port())]
        worker = self.group.start(f"worker-{self._started}", argv, self.env)
        self.workers.append(worker)
        self.born[worker.process.pid] = time.monotonic()
        return worker

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL to a random worker that has run for KILL_AGE_S, and a new one in its place."""
        now = time.monotonic()
        live = [w for w in self.workers if w.alive() and now - self.born[w.process.pid] >= KILL_AGE_S]
        if not live:
            return
        victim = rng.choice(live)
        Children.kill(victim)
        self.workers.remove(victim)
        self.kills += 1
        self.start()

    def replace_dead(self) -> None:
        """A worker that exited on its own is logged, counted and replaced."""
        for worker in [w for w in self.workers if not w.alive()]:
            self.crashes += 1
            log(PREFIX, f"{worker.name} exited by itself ({worker.process.returncode}):\n{worker.tail(1500)}")
            self.workers.remove(worker)
            self.start()

    def stop(self) -> None:
        """SIGTERM to every worker, then wait for each (graceful shutdown)."""
        for worker in self.workers:
            if worker.alive():
                os.killpg(worker.process.pid, signal.SIGTERM)
        for worker in self.workers:
            code = Children.stop(worker, signal.SIGTERM, timeout=60)
            if code not in (0, -signal.SIGTERM):
                log(PREFIX, f"{worker.name} exited {code} on SIGTERM:\n{worker.tail(1500)}")


def run_chaos(engine: Engine, fleet: Fleet, rabbit: RabbitNode, watched: list[Child]) -> tuple[int, bool]:
    """Sends with kills and one broker restart until nothing is planned, queued or sending; returns the broker
    restarts and whether it finished in time. Stops the bench if a `watched` child exits."""
    rng = random.Random(20261204)
    restarts = 0
    for _ in range(WORKERS):
        fleet.start()
    started = time.monotonic()
    deadline = started + MESSAGES / (RATE * 0.3) + 180
    next_kill = started + KILL_EVERY_S
    last_log = 0.0
    while time.monotonic() < deadline:
        counts = outbox_states(engine)
        moving = sum(counts.get(s, 0) for s in MOVING)
        if moving == 0:
            return restarts, True
        if restarts == 0 and 1 - moving / MESSAGES >= BROKER_RESTART_AT:
            log(PREFIX, f"restarting the broker ({BROKER_DOWN_S:.0f} s down) at {counts}")
            rabbit.restart_app(BROKER_DOWN_S)
            restarts += 1
        if time.monotonic() >= next_kill:
            fleet.kill_one(rng)
            next_kill += KILL_EVERY_S
        fleet.replace_dead()
        for child in watched:
            if not child.alive():
                raise SystemExit(f"{child.name} exited ({child.process.returncode}):\n{child.tail()}")
        if time.monotonic() - last_log > 5:
            log(
                PREFIX,
                f"{time.monotonic() - started:.0f} s, kills {fleet.kills}: {dict(sorted(counts.items()))}",
            )
            last_log = time.monotonic()
        time.sleep(0.5)
    return restarts, False


def wait_for(what: str, check: Callable[[], bool], deadline_s: float) -> bool:
    """Polls `check()` every half second until it is true; False after `deadline_s`."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.5)
    log(PREFIX, f"gave up waiting for {what} after {deadline_s:.0f} s")
    return False


def webhooks_applied(engine: Engine, sandbox: Sandbox) -> bool:
    """Every `sent` status the sandbox owes has been posted, and `cobro serve` applied every delivery."""
    if not sandbox.child.alive():
        code = sandbox.child.process.returncode
        raise SystemExit(f"the sandbox exited ({code}) before the end:\n{sandbox.child.tail()}")
    stats = sandbox.stats()
    posted = stats["webhooks"]["statuses_posted"]
    if posted < stats["accepted"]:
        return False
    with engine.connect() as connection:
        pending = connection.execute(
            select(func.count()).where(webhook_deliveries.c.processed_at.is_(None))
        ).scalar_one()
    return pending == 0


def unknown_left(engine: Engine) -> bool:
    """No row is `unknown` any more (reconciled, or handed to a person)."""
    return outbox_states(engine).get("unknown", 0) == 0


def bench(group: Children, url: str, rabbit: RabbitNode) -> list[str]:
    """The whole chaos run on one database; prints the figures and returns the problems."""
    market = choose_market(PREFIX)
    upgrade(url)
    engine = make_engine(url)
    try:
        port = free_port()
        serve_env = cobro_env(url, COBRO_QUEUE_URL=rabbit.url)
        serve = group.start("serve", [*COBRO, "serve", "--port", str(port)], serve_env)
        if not wait_for_port(port):
            raise SystemExit(f"cobro serve did not start:\n{serve.tail()}")
        sandbox = start_sandbox(
            group,
            "sandbox",
            tier=str(RATE),
            callback_url=f"http://127.0.0.1:{port}/webhooks/whatsapp",
            **FAILURES,
        )
        env = cobro_env(
            url,
            COBRO_QUEUE_URL=rabbit.url,
            COBRO_REDIS_URL=REDIS_URL,
            COBRO_SEND_RATE=str(RATE),
            COBRO_SEND_BATCH_SIZE=str(BATCH),
            COBRO_SEND_LEASE_SECONDS=str(LEASE_S),
            COBRO_SEND_UNKNOWN_DEADLINE_SECONDS=str(UNKNOWN_DEADLINE_S),
            COBRO_SEND_REQUEUE_SECONDS=str(REQUEUE_S),
            COBRO_WHATSAPP_API_BASE=sandbox.base,
            COBRO_WHATSAPP_PHONE_NUMBER_ID=sandbox.number_id,
        )
        sync_templates(env, group.workdir, PREFIX)
        seconds = seed(engine, market, MESSAGES, sandbox.number_id)
        log(PREFIX, f"{MESSAGES:,} planned rows seeded in {seconds:.1f} s; {WORKERS} workers x {CONCURRENCY}")
        fleet = Fleet(group, env)
        with StatsSampler(sandbox) as sampler:
            restarts, finished = run_chaos(engine, fleet, rabbit, [sandbox.child, serve])
            log(
                PREFIX,
                f"nothing planned, queued or sending: {finished}; waiting for unknown outcomes to settle",
            )
            wait_for("no row unknown", lambda: unknown_left(engine), UNKNOWN_DEADLINE_S + LEASE_S + 60)
            fleet.stop()
        final = subprocess.run(
            [*COBRO, "send", "--no-wait"],
            env=env,
            cwd=group.workdir,
            capture_output=True,
            text=True,
            timeout=180,
        )
        log(
            PREFIX,
            f"final sweep (cobro send --no-wait, exit {final.returncode}): {final.stdout.strip()[-300:]}",
        )
        wait_for("every status webhook applied", lambda: webhooks_applied(engine, sandbox), 120)
        problems = report(engine, sandbox, sampler, fleet, restarts)
        if not finished:
            problems.append("rows still planned, queued or sending at the deadline")
        if final.returncode != 0:
            problems.append(f"the final sweep failed: {final.stderr[-500:]}")
        if serve.alive() is False:
            problems.append(f"cobro serve exited:\n{serve.tail(1500)}")
        return problems
    finally:
        engine.dispose()


def report(engine: Engine, sandbox: Sandbox, sampler: StatsSampler, fleet: Fleet, restarts: int) -> list[str]:
    """Prints the figures; returns duplicates and losses as problems."""
    stats = sandbox.stats()
    accepted = sandbox.stop_and_read()
    reckoning = reckon(engine, accepted)
    states = reckoning.states
    reconciled, went_unknown = reconciled_rows(engine)
    settled_after_unknown = len(reconciled & went_unknown)
    keys = {data.removeprefix("cobro:") for _, data in accepted if data and data.startswith("cobro:")}
    with engine.connect() as connection:
        waiting = connection.execute(
            select(outbox.c.idempotency_key).where(outbox.c.state.in_(("review", "unknown")))
        ).all()
    taken_but_waiting = sum(1 for (key,) in waiting if key in keys)
    rate, window = steady_rate(sampler.samples)
    log(
        PREFIX,
        f"sandbox: accepted {stats['accepted']:,}, rejected {stats['rejected']}, injected {stats['injected']}",
    )
    log(PREFIX, f"webhooks: {stats['webhooks']}")
    log(
        PREFIX,
        f"outbox: {dict(sorted(states.items()))}; {len(went_unknown)} rows went unknown at some point, "
        f"{len(reconciled)} were settled by a status webhook ({len(reconciled - went_unknown)} of them while "
        "still sending)",
    )
    for reason, n in reckoning.reasons.most_common(8):
        log(PREFIX, f"  {n:,} x {reason}")
    if taken_but_waiting:
        log(
            PREFIX,
            f"{taken_but_waiting} rows with a person were in fact accepted (no status webhook matched)",
        )
    figure("chaos_messages", MESSAGES, "messages")
    figure("chaos_sent", states.get("sent", 0), "count")
    figure("chaos_failed", states.get("failed", 0), "count")
    figure("chaos_cancelled", states.get("cancelled", 0), "count")
    figure("chaos_unknown_to_person", states.get("review", 0) + states.get("unknown", 0), "count")
    figure("chaos_reconciled", settled_after_unknown, "count")
    figure("chaos_duplicates", max(reckoning.duplicates, stats["callback_data"]["duplicated_keys"]), "count")
    figure("chaos_lost", reckoning.lost, "count")
    figure("chaos_kills", fleet.kills, "count")
    figure("chaos_broker_restarts", restarts, "count")
    figure("chaos_injected_failures", stats["injected"]["http_5xx"] + stats["injected"]["timeouts"], "count")
    figure("chaos_throughput_errors", int(stats["rejected"].get("130429", 0)), "count")
    figure("chaos_rate", rate, "msg/s")
    log(PREFIX, f"rate over {window:.1f} s; first to last {stats.get('accepted_per_second')} msg/s")
    problems = list(reckoning.problems)
    if stats["callback_data"]["duplicated_keys"]:
        problems.append(f"sandbox duplicated keys {stats['callback_data']['duplicates'][:5]}")
    if fleet.crashes:
        problems.append(f"{fleet.crashes} workers exited by themselves")
    return problems


def main() -> int:
    """Runs the chaos bench; returns 1 on any duplicate, loss or failed step."""
    missing = [s for s in services_up() if not s.startswith("RabbitMQ")]
    if missing:
        print(f"chaos bench needs {', '.join(missing)}", file=sys.stderr)
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="cobro-bench-chaos-") as tmp,
        children(Path(tmp)) as group,
        private_rabbitmq(group) as rabbit,
        scratch_postgres_database(BENCH_DB) as url,
    ):
        problems = bench(group, url, rabbit)
    for problem in problems:
        print(f"send_chaos FAILED: {problem}", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
