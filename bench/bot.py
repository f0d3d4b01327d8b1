"""Benchmark of the conversation bot (issue 7): 10,000 recorded inbound messages replayed through webhook ->
understanding -> flow -> outbox on PostgreSQL; p50/p99 from webhook received to reply handed to the outbox
(target p99 under 50 ms), and messages per second.

Data. A scratch database (`cobro_bench_bot` on the COBRO_TEST_POSTGRES_URL server, created and dropped here),
migrated, with four creditors on the one sending number (Mexico in Spanish, the United States in English,
Brazil in Portuguese, Italy in Italian; second factor: name, name, date of birth, last four digits of the
national id) and 4,000 debtors (QUICK=1: 1,000) imported with the app's import use case: one or two accounts
each, one to three open invoices per account, due dates relative to today; then ANALYZE of those tables,
as autovacuum would soon after an import (without statistics each account card reads every open invoice).

Corpus. bench/_bot_corpus.py builds 10,000 inbound messages (QUICK=1: 1,000) from a fixed seed, the same on
every run, and writes them to var/bench/bot-corpus-<n>.jsonl (not committed): whole conversations of about
2,100 contacts in their language: greetings, "cuánto debo" + account number + second factor + balance, pay
now, plan choices and counter-proposals, promises and "more time" with dates, already paid (text or a photo of
the receipt), disputes, hardship, wrong numbers, opt-outs, talk to a person, unclear text (twice: a person
takes it), failed verification up to the lock, people writing after a hand-off, reactions, numbers no debtor
has and users whose number is withheld. Messages are Cloud API items (text, template quick-reply `button`,
`interactive` button_reply and list_reply, image, reaction) as the sandbox sends them; the body gets its
timestamp and X-Hub-Signature-256 (the app secret) when it is sent.

Replay, through the real path. `cobro serve` runs as a child process on the bench database
(COBRO_SEND_IN_SERVER=false: nothing is sent; COBRO_PLAN_EVERY_SECONDS=0: no planner), so each message goes
POST /webhooks/whatsapp -> signature, parse, store, 200 -> the WebhookProcessor's 3 applier threads ->
process_webhook_deliveries -> answer_inbound -> the outbox row `reply:<wamid>`, committed. One async httpx
client plays the people: each contact sends its messages one after the other, each only once the previous
one was answered, like a person, with no pause to think. 68 warm-up messages first (two conversations per
market, not counted) wait for the classifier, which trains when the server starts, and load what a process
loads on first use (each language's date patterns, babel's locale data, the strategies).
- The calm part: the first contacts, 1,000 messages (10%; BENCH_BOT_CALM), one person at a time: nothing
  waits for anything else, so these latencies are the path's own (`bot_p50`, `bot_p99`: the target).
- The busy part: the other 9,000, 8 people at once (BENCH_BOT_CONCURRENCY), a closed loop that keeps the
  server busy: `bot_messages_per_second`, and the latencies of a saturated server (`bot_busy_p50`,
  `bot_busy_p99`: about 8 / throughput, queueing behind the other people's turns).
The CPU each process used per message in the busy part is logged (`cobro serve`, the bench database's
PostgreSQL backends, this client, the whole machine): one Python process's CPU per message bounds the
throughput.

Timing: exact commit times without polling. The bench adds two triggers to its own scratch database (the
app's schema is untouched): an AFTER INSERT trigger on `outbox` that NOTIFYs the row's key, and a deferred
constraint trigger on inbound `whatsapp_messages` rows that NOTIFYs the wamid with clock_timestamp() when the
applying transaction commits. PostgreSQL delivers notifications only after the transaction commits, in
order, so a listening connection (a thread of the client) learns of the reply the moment it is durable.
- `*_p50`, `*_p99`, `*_max`: from the client's send time (just before the POST; it includes HTTP, signature
  check, parse and the store transaction) to the receipt of the reply's notification: an upper bound of
  "webhook received -> reply committed to the outbox", over messages that got a reply.
- `*_stored_p50`, `*_stored_p99`: server side, from `webhook_deliveries.received_at` (set when the request
  stores the body) to clock_timestamp() in the deferred trigger, just before the commit: a lower bound (the
  commit's WAL flush and the notification come after). Both clocks are this machine's. `*_bound_p99` is the
  99th percentile of their difference per message: how far apart the two bounds are.
- `bot_messages_per_second`: the busy part's messages over the time from its first POST to its last commit.
- `bot_replies`: messages answered with an outbox row (`reply:<wamid>`, or the opt-out confirmation template
  `opt-out:<debtor>:<wamid>` for a debtor who opted out); the others are messages after a hand-off or a
  wrong number (the bot stays quiet by design) and reactions. `bot_handoffs`: hand-offs to the agent inbox
  (`handoff.opened` events of the replayed messages); `bot_handoff_share`: the share of contacts handed over.

Why the real server and not an in-process replay: the notifications give exact commit times from outside
the process, so nothing is lost by going through HTTP, the WebhookProcessor's threads and their batching, and
those are part of what a person waits for. Two profiling modes replace the figures above:
- BENCH_BOT_PROFILE=1 replays the corpus in this process instead (no server, one message at a time, the
  use cases the applier threads run), with the time spent storing, claiming and applying, in the reader
  (classifier, entities, birth dates) and in each kind of SQL statement and COMMIT, per message; the second
  half under cProfile (bench/_bot_profile.py; stats in var/bench/bot-profile.prof).
- BENCH_BOT_PROFILE=server replays through `cobro serve` with every thread under cProfile counting CPU time,
  from the end of the warm-up (bench/_bot_serve_profiled.py; stats in var/bench/bot-serve-profile.prof).

Prints `name: value unit` lines on stdout; progress on stderr. Exits non-zero when a message was not applied
in time, a delivery failed, or a turn fell back to the "system not available" hand-off (a bug in a turn).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import select, text
from sqlalchemy.engine import Engine, make_url

from _bot_corpus import (  # bench/ is on sys.path
    MARKETS,
    PHONE_NUMBER_ID,
    Inbound,
    account_rows,
    corpus,
    owed,
    save,
    seeded_debtors,
    signature,
    webhook_body,
)
from _bot_corpus import warm_up as warm_up_messages
from _databases import scratch_postgres_database
from _send_harness import children, cobro_env, free_port
from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.migrate import upgrade
from cobro.adapters.db.tables import audit_events, creditors, webhook_deliveries
from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.adapters.strategy_documents import dump_strategy, parse_strategy_document
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from cobro.app.strategies import default_strategy_text, set_strategy
from cobro.domain.clock import SystemClock

QUICK = os.environ.get("QUICK", "") not in ("", "0")
MESSAGES = int(os.environ.get("BENCH_BOT_MESSAGES") or (1_000 if QUICK else 10_000))
DEBTORS = 1_000 if QUICK else 4_000
CONCURRENCY = int(os.environ.get("BENCH_BOT_CONCURRENCY") or 8)  # people at once in the busy part
CALM = int(os.environ.get("BENCH_BOT_CALM") or MESSAGES // 10)  # messages of the one-at-a-time part
PROFILE = os.environ.get("BENCH_BOT_PROFILE", "")  # "1": in-process; "server": the server under cProfile
BENCH_DB = "cobro_bench_bot"
ROOT = Path(__file__).resolve().parent.parent
CORPUS_FILE = ROOT / "var" / "bench" / f"bot-corpus-{MESSAGES}.jsonl"
SERVER_PROFILE_FILE = ROOT / "var" / "bench" / "bot-serve-profile.prof"
CHANNEL = "bench_bot"
MESSAGE_TIMEOUT_S = 30.0  # a message not applied by then counts as lost (a retried delivery waits 30 s)
TARGET_P99_MS = 50.0
SPARE_DEBTORS = 40  # seeded after the corpus's debtors: the warm-up's, two per market

TRIGGERS = f"""
CREATE FUNCTION bench_bot_reply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', 'r ' || NEW.idempotency_key);
  RETURN NULL;
END $$;
CREATE TRIGGER bench_bot_reply AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION bench_bot_reply();
CREATE FUNCTION bench_bot_done() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', 'd ' || NEW.wamid || ' ' || extract(epoch FROM clock_timestamp())::text);
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER bench_bot_done AFTER INSERT ON whatsapp_messages
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.direction = 'in')
  EXECUTE FUNCTION bench_bot_done();
"""


def log(message: str) -> None:
    """Progress for the person watching (stderr, never stdout)."""
    print(f"  [bot] {message}", file=sys.stderr, flush=True)


def figure(name: str, value: float | int, unit: str, digits: int = 1) -> None:
    """One result line on stdout: `name: value unit`."""
    shown = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    print(f"{name}: {shown} {unit}", flush=True)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of non-empty values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


# --- the database --------------------------------------------------------------------------------------------


def seed(database_url: str) -> None:
    """Migrates, adds the four creditors on the sending number with their strategies, imports the debtors."""
    upgrade(database_url)
    engine = make_engine(database_url)
    clock = SystemClock()
    factory = SqlUnitOfWorkFactory(engine, clock)
    debtors = seeded_debtors(DEBTORS + SPARE_DEBTORS)
    today = clock.now().date()
    try:
        for market in MARKETS:
            add_creditor(
                factory,
                clock,
                slug=market.slug,
                name=market.creditor_name,
                country=market.country,
                currency=market.currency,
                language=market.language,
                actor="bench",
            )
            if market.second_factor != "name":
                document = (
                    default_strategy_text() + f"\nconversation:\n  second_factor: {market.second_factor}\n"
                )
                set_strategy(
                    factory,
                    clock,
                    market.slug,
                    document,
                    "bench",
                    parse=parse_strategy_document,
                    dump=dump_strategy,
                )
            rows = account_rows(debtors, market, today)
            outcome = import_accounts(
                factory,
                clock,
                list(enumerate(rows, start=2)),
                creditor_slug=market.slug,
                source_name=f"bench-bot-{market.country}",
                actor="bench",
            )
            if not outcome.ok:
                raise SystemExit(f"{market.slug}: import refused: {outcome.problems[:3]}")
            log(f"{market.slug}: {len(rows):,} invoice rows imported")
        with engine.begin() as connection:
            # The sending number the corpus writes to belongs to the four creditors (no use case sets it yet).
            connection.execute(creditors.update().values(whatsapp_phone_number_id=PHONE_NUMBER_ID))
        with psycopg.connect(libpq(database_url), autocommit=True) as connection:
            connection.execute(TRIGGERS.encode())  # several statements, no parameters: one simple query
            # Statistics of the imported tables, as autovacuum would gather soon after an import: without
            # them the planner reads every open invoice for each account card. The tables the replay fills
            # stay unanalysed: statistics of an empty webhook_deliveries make each claim slower as it grows.
            connection.execute("ANALYZE creditors, strategies, debtors, accounts, invoices")
    finally:
        engine.dispose()


def libpq(database_url: str) -> str:
    """The URL psycopg takes."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- commits, as PostgreSQL announces them -----------------------------------------------------------------


class Listener(threading.Thread):
    """LISTENs on the bench channel; records when each inbound message's transaction committed (and its
    pre-commit server time) and when its reply's row was announced, and wakes the contact waiting for it."""

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(name="bench-bot-listener", daemon=True)
        self.url = url
        self.loop = loop
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.waiting: dict[str, asyncio.Event] = {}
        self.done: dict[str, tuple[float, float]] = {}  # wamid -> (received here, pre-commit on the server)
        self.replies: dict[str, tuple[float, str]] = {}  # wamid -> (received here, outbox key)
        self.error: BaseException | None = None

    def wait_for(self, wamid: str) -> asyncio.Event:
        """The event set when the message's transaction has committed (register before sending)."""
        event = asyncio.Event()
        with self.lock:
            self.waiting[wamid] = event
            if wamid in self.done:
                event.set()
        return event

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as connection:
                connection.execute(f"LISTEN {CHANNEL}")
                self.ready.set()
                while not self.stopping.is_set():
                    for note in connection.notifies(timeout=0.2):
                        self._note(note.payload, time.time())
        except BaseException as exc:  # reported by the main thread
            self.error = exc
            self.ready.set()

    def _note(self, payload: str, at: float) -> None:
        kind, rest = payload.split(" ", 1)
        if kind == "r":
            self.replies.setdefault(rest.rsplit(":", 1)[1], (at, rest))
            return
        wamid, server_at = rest.split(" ")
        with self.lock:
            self.done[wamid] = (at, float(server_at))
            event = self.waiting.pop(wamid, None)
        if event is not None:
            self.loop.call_soon_threadsafe(event.set)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores, /proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(database_url: str, server_pid: int) -> dict[str, float]:
    """CPU seconds so far: of `cobro serve`, of this client, of the machine, and of each PostgreSQL backend
    connected to the bench database (their process titles name it), keyed `backend <pid>`."""
    name = make_url(database_url).database or ""
    found = {
        "cobro serve": cpu_seconds(server_pid),
        "bench client": cpu_seconds(os.getpid()),
        "machine": machine_busy_seconds(),
    }
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {name} " in title:
            found[f"backend {entry.name}"] = cpu_seconds(int(entry.name))
    return found


def cpu_report(before: dict[str, float], after: dict[str, float], messages: int) -> str:
    """CPU milliseconds per message between two snapshots; a backend that ended in between is not counted."""
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    backends = sum(seconds for name, seconds in spent.items() if name.startswith("backend "))
    shown = {
        "cobro serve": spent["cobro serve"],
        "PostgreSQL backends": backends,
        "bench client": spent["bench client"],
        "whole machine": spent["machine"],
    }
    return ", ".join(f"{name} {seconds * 1000 / max(messages, 1):.1f} ms" for name, seconds in shown.items())


# --- the replay ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One message of the corpus as sent and applied."""

    message: Inbound
    busy: bool  # sent in the busy part (several people at once), else in the calm part
    sent_at: float  # client wall clock before the POST
    answered_at: float  # the 200 came back
    delivery_id: int
    done_at: float | None  # its transaction's commit announced (None: not in time)
    server_commit: float | None  # clock_timestamp() just before that commit
    reply_at: float | None  # its reply's row announced (None: no reply)
    reply_key: str | None


def by_contact(messages: list[Inbound]) -> list[list[Inbound]]:
    """The corpus as one list per contact, contacts in the order they first write."""
    grouped: dict[str, list[Inbound]] = {}
    for message in messages:
        grouped.setdefault(message.contact.key, []).append(message)
    return list(grouped.values())


async def replay(
    base: str, conversations: list[list[Inbound]], listener: Listener, concurrency: int, busy: bool
) -> list[Sent]:
    """Plays the conversations, `concurrency` contacts at a time, each message after the previous commit."""
    queue: asyncio.Queue[list[Inbound]] = asyncio.Queue()
    for conversation in conversations:
        queue.put_nowait(conversation)
    results: list[Sent] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:

        async def one(message: Inbound) -> Sent:
            event = listener.wait_for(message.wamid)
            body = webhook_body(message, int(time.time()))
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(body)}
            sent_at = time.time()
            response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
            answered_at = time.time()
            if response.status_code != 200:
                raise SystemExit(f"POST answered {response.status_code}: {response.text[:300]}")
            try:
                await asyncio.wait_for(event.wait(), MESSAGE_TIMEOUT_S)
            except TimeoutError:
                return Sent(
                    message, busy, sent_at, answered_at, response.json()["delivery"], None, None, None, None
                )
            done_at, server_commit = listener.done[message.wamid]
            reply = listener.replies.get(message.wamid)
            return Sent(
                message,
                busy,
                sent_at,
                answered_at,
                response.json()["delivery"],
                done_at,
                server_commit,
                reply[0] if reply else None,
                reply[1] if reply else None,
            )

        async def person() -> None:
            while not queue.empty():
                for message in queue.get_nowait():
                    results.append(await one(message))

        await asyncio.gather(*(person() for _ in range(concurrency)))
    return results


async def warm_up(base: str, listener: Listener, messages: list[Inbound]) -> None:
    """The warm-up conversations, one message after the other (the first waits for the classifier to train)."""
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
        for message in messages:
            event = listener.wait_for(message.wamid)
            body = webhook_body(message, int(time.time()))
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(body)}
            response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"warm-up POST answered {response.status_code}: {response.text[:300]}")
            await asyncio.wait_for(event.wait(), 120.0)


def replay_through_server(
    database_url: str, messages: list[Inbound], warm: list[Inbound], workdir: Path
) -> list[Sent]:
    """`cobro serve` on the bench database, the listener, the warm-up, then the corpus."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = cobro_env(
        database_url,
        COBRO_SEND_IN_SERVER="false",
        COBRO_BOT_ENABLED="true",
        COBRO_WHATSAPP_APP_SECRET="sandbox-app-secret",
        COBRO_WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        COBRO_PUBLIC_URL=base,
    )
    command = [sys.executable, "-m", "cobro", "serve", "--port", str(port)]
    if PROFILE == "server":
        command[1:3] = [str(Path(__file__).with_name("_bot_serve_profiled.py")), str(SERVER_PROFILE_FILE)]
    with children(workdir) as group:
        server = group.start("serve", command, env)
        end = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if not server.alive() or time.monotonic() > end:
                raise SystemExit(f"cobro serve did not become ready:\n{server.tail()}")
            time.sleep(0.1)

        async def run() -> list[Sent]:
            listener = Listener(libpq(database_url), asyncio.get_running_loop())
            listener.start()
            await asyncio.to_thread(listener.ready.wait)
            if listener.error is not None:
                raise SystemExit(f"LISTEN failed: {listener.error}")
            started = time.monotonic()
            await warm_up(base, listener, warm)
            log(f"{len(warm)} warm-up messages answered in {time.monotonic() - started:.1f} s; "
                f"replaying {len(messages):,} messages")  # fmt: skip
            if PROFILE == "server":
                os.kill(server.process.pid, signal.SIGUSR1)  # profile from here on
            conversations = by_contact(messages)
            calm: list[list[Inbound]] = []
            while conversations and sum(map(len, calm)) < CALM:
                calm.append(conversations.pop(0))
            try:
                found = await replay(base, calm, listener, 1, busy=False)
                log(f"calm part: {len(found):,} messages, one person at a time; busy part: "
                    f"{sum(map(len, conversations)):,} messages, {CONCURRENCY} people at once")  # fmt: skip
                before = cpu_snapshot(database_url, server.process.pid)
                found += await replay(base, conversations, listener, CONCURRENCY, busy=True)
                after = cpu_snapshot(database_url, server.process.pid)
            finally:
                listener.stopping.set()
            applied = sum(1 for r in found if r.busy and r.done_at is not None)
            log(f"CPU per message in the busy part: {cpu_report(before, after, applied)}")
            return found

        try:
            results = asyncio.run(run())
        finally:
            tail = server.tail(20_000)
        for warning in ("webhook_delivery_failed", "webhook_transactions_split", "Traceback"):
            if count := tail.count(warning):
                log(f"the server logged {count} {warning}")
        return results


# --- what the database says ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """What the replayed messages left in the database."""

    received_at: dict[int, float]  # delivery id -> received_at (epoch seconds)
    handoffs: Counter[str]  # reason -> hand-offs opened by replayed messages
    handoff_contacts: int
    turns: int  # conversation.turn events of replayed messages
    system_errors: list[str]  # details of turns that fell back to a person
    failed_deliveries: int
    events: Counter[str]  # kinds of conversation events of replayed messages


def stored(engine: Engine, results: list[Sent]) -> Stored:
    """Reads back the deliveries' times and the bot's events for the replayed messages."""
    wamids = {r.message.wamid: r.message.contact.key for r in results}
    kinds = (
        "handoff.opened", "conversation.turn", "identity.verified", "identity.failed", "identity.locked",
        "plan.agreed", "promise.recorded", "dispute.opened", "hardship.recorded", "wrong_number.recorded",
        "opt_out.recorded",
    )  # fmt: skip
    handoffs: Counter[str] = Counter()
    contacts: set[str] = set()
    events: Counter[str] = Counter()
    errors: list[str] = []
    turns = 0
    with engine.connect() as connection:
        received = {
            row.id: row.received_at.timestamp()
            for row in connection.execute(select(webhook_deliveries.c.id, webhook_deliveries.c.received_at))
        }
        failed = connection.execute(
            text(
                "SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL OR last_error IS NOT NULL"
            )
        ).scalar_one()
        query = select(audit_events.c.kind, audit_events.c.data).where(audit_events.c.kind.in_(kinds))
        for kind, data in connection.execute(query):
            contact = wamids.get(str((data or {}).get("wamid")))
            if contact is None:
                continue
            events[kind] += 1
            if kind == "conversation.turn":
                turns += 1
            elif kind == "handoff.opened":
                handoffs[data.get("reason", "?")] += 1
                contacts.add(contact)
        inbox = connection.execute(
            text("SELECT reason, detail FROM inbox_items WHERE reason = 'system_error'")
        ).all()
        errors = [f"{row.detail}" for row in inbox]
    return Stored(received, handoffs, len(contacts), turns, errors, int(failed), events)


# --- the figures ---------------------------------------------------------------------------------------------


def latency_figures(prefix: str, replied: list[Sent], found: Stored) -> list[float]:
    """p50, p99 and max from send to reply, and the server-side bounds; returns the latencies (ms)."""
    latencies = [(r.reply_at - r.sent_at) * 1000 for r in replied if r.reply_at is not None]
    server = [
        (r.server_commit - found.received_at[r.delivery_id]) * 1000
        for r in replied
        if r.server_commit is not None and r.delivery_id in found.received_at
    ]
    gaps = [
        (r.reply_at - r.sent_at) * 1000 - (r.server_commit - found.received_at[r.delivery_id]) * 1000
        for r in replied
        if r.reply_at is not None and r.server_commit is not None and r.delivery_id in found.received_at
    ]
    if latencies:
        figure(f"{prefix}_p50", statistics.median(latencies), "ms")
        figure(f"{prefix}_p99", percentile(latencies, 0.99), "ms")
        figure(f"{prefix}_max", max(latencies), "ms")
    if server:
        figure(f"{prefix}_stored_p50", statistics.median(server), "ms")
        figure(f"{prefix}_stored_p99", percentile(server, 0.99), "ms")
        figure(f"{prefix}_bound_p99", percentile(gaps, 0.99), "ms")
    return latencies


def report(results: list[Sent], found: Stored) -> list[str]:
    """Prints the figures; returns the problems."""
    problems: list[str] = []
    applied = [r for r in results if r.done_at is not None]
    lost = len(results) - len(applied)
    if lost:
        problems.append(f"{lost} messages not applied within {MESSAGE_TIMEOUT_S:.0f} s")
    replied = [r for r in applied if r.reply_at is not None]
    quiet = [r for r in applied if r.reply_at is None]
    busy = [r for r in results if r.busy]
    busy_applied = [r for r in busy if r.done_at is not None]
    first = min((r.sent_at for r in busy), default=0.0)
    last = max((r.done_at for r in busy_applied if r.done_at is not None), default=first)
    contacts = len({r.message.contact.key for r in results})
    if PROFILE == "server":
        log("the server ran under cProfile: the figures below are several times slower than unprofiled")
    figure("bot_messages", len(results), "messages")
    figure("bot_contacts", contacts, "contacts")
    figure("bot_replies", len(replied), "replies")
    figure("bot_calm_messages", len(results) - len(busy), "messages")
    latencies = latency_figures("bot", [r for r in replied if not r.busy], found)
    figure("bot_concurrency", CONCURRENCY, "people at once")
    latency_figures("bot_busy", [r for r in replied if r.busy], found)
    if busy_applied:
        figure("bot_messages_per_second", len(busy_applied) / max(last - first, 1e-9), "msg/s")
    figure("bot_handoffs", sum(found.handoffs.values()), "handoffs")
    figure("bot_handoff_share", 100.0 * found.handoff_contacts / max(contacts, 1), "% of contacts")
    log(f"no reply (after a hand-off or a wrong number, reactions): {len(quiet):,}")
    log(f"hand-offs by reason: {dict(found.handoffs.most_common())}")
    log(f"conversation events: {dict(sorted(found.events.items()))}")
    ordered = sorted((r for r in replied if r.busy), key=lambda r: r.sent_at)
    tenth = max(len(ordered) // 10, 1)
    trend = [
        statistics.median((r.reply_at - r.sent_at) * 1000 for r in ordered[i : i + tenth] if r.reply_at)
        for i in range(0, tenth * 10, tenth)
        if ordered[i : i + tenth]
    ]
    log("busy part, p50 by tenth (does it slow down as tables grow?): "
        + " ".join(f"{value:.0f}" for value in trend) + " ms")  # fmt: skip
    by_scenario: dict[str, list[float]] = {}
    for r in replied:
        if r.reply_at is not None and not r.busy:
            by_scenario.setdefault(r.message.scenario, []).append((r.reply_at - r.sent_at) * 1000)
    log("calm part, by scenario:")
    for scenario, values in sorted(by_scenario.items()):
        log(f"  {scenario:<15} {len(values):>6,} replies  p50 {statistics.median(values):6.1f} ms  "
            f"p99 {percentile(values, 0.99):6.1f} ms")  # fmt: skip
    if found.turns != len(applied) - sum(1 for r in applied if r.message.item["type"] == "reaction"):
        log(f"note: {found.turns:,} conversation.turn events for {len(applied):,} applied messages")
    if found.failed_deliveries:
        problems.append(f"{found.failed_deliveries} deliveries unprocessed or with an error")
    if found.system_errors:
        problems.append(
            f"{len(found.system_errors)} turns fell back to the 'system not available' hand-off: "
            f"{dict(Counter(found.system_errors).most_common(5))}"
        )
    if latencies and percentile(latencies, 0.99) > TARGET_P99_MS:
        log(f"p99 {percentile(latencies, 0.99):.1f} ms is over the {TARGET_P99_MS:.0f} ms target "
            "(BENCH_BOT_PROFILE=1 shows where the time goes)")  # fmt: skip
    return problems


def load_corpus() -> tuple[list[Inbound], list[Inbound]]:
    """The seeded corpus (written to var/bench for anyone who wants to read it) and the warm-up messages."""
    debtors = seeded_debtors(DEBTORS + SPARE_DEBTORS)
    balances = owed(debtors)
    messages = corpus(debtors[:DEBTORS], MESSAGES, balances)
    save(messages, CORPUS_FILE)
    types = Counter(m.item["type"] for m in messages)
    log(f"corpus: {len(messages):,} messages of {len({m.contact.key for m in messages}):,} contacts "
        f"({dict(types.most_common())}) in {CORPUS_FILE.relative_to(ROOT)}")  # fmt: skip
    return messages, warm_up_messages(debtors[DEBTORS:], balances)


def main() -> int:
    """Seeds a scratch database, replays the corpus, prints the figures; 1 when a check failed."""
    messages, warm = load_corpus()
    with (
        scratch_postgres_database(BENCH_DB) as url,
        tempfile.TemporaryDirectory(prefix="cobro-bench-bot-") as tmp,
    ):
        started = time.monotonic()
        seed(url)
        log(f"seeded {DEBTORS:,} debtors in {time.monotonic() - started:.1f} s at {datetime.now(UTC):%H:%M} UTC "
            f"(load {os.getloadavg()[0]:.2f})")  # fmt: skip
        if PROFILE not in ("", "0", "server"):
            from _bot_profile import profile_replay

            return profile_replay(url, messages, warm, ROOT / "var" / "bench")
        results = replay_through_server(url, messages, warm, Path(tmp))
        if PROFILE == "server":
            import pstats

            from _bot_profile import print_profile

            print_profile(pstats.Stats(str(SERVER_PROFILE_FILE)), "cobro serve under cProfile, every thread")
        log(
            f"replayed; load average {os.getloadavg()[0]:.2f} (other work on the two cores skews the figures)"
        )
        engine = make_engine(url)
        try:
            found = stored(engine, results)
        finally:
            engine.dispose()
        problems = report(results, found)
    for problem in problems:
        print(f"bot FAILED: {problem}", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
