"""Benchmark of WhatsApp status webhooks: how many statuses per second `cobro serve` ingests and applies.

For PostgreSQL (database `cobro_bench_statuses` on the COBRO_TEST_POSTGRES_URL server, created and dropped
here) and then SQLite (a file in a temporary directory): migrates a fresh database, records 20,000
outbound messages (QUICK=1: 2,000) with the rows `record_outbound_message` writes (the message and its
`message.accepted` event), starts `cobro serve` on a free port, and POSTs signed deliveries in Meta's shape,
100 statuses each as the sandbox batches them: sent, delivered and read for every message, shuffled, with
about 1% of the statuses posted twice. Sixteen POSTs are in flight at once (one async httpx client).

Two figures per database, both counting every status posted (duplicates included) from the first POST:
`statuses_accept_<db>` until the last 200 came back, and `statuses_ingest_<db>` until the database shows
every message at `read` and no delivery left unprocessed. Then it checks what Cobro stored: every message
`read`, exactly three `whatsapp_statuses` rows per message and one `message.sent`, `message.delivered` and
`message.read` audit event each; any difference is printed and the script exits non-zero.
Prints `name: value unit` lines on stdout; progress on stderr.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from _databases import scratch_postgres_database  # bench/ is on sys.path
from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.migrate import upgrade
from cobro.adapters.db.tables import audit_events, webhook_deliveries, whatsapp_messages, whatsapp_statuses

QUICK = os.environ.get("QUICK", "") not in ("", "0")
MESSAGES = 2_000 if QUICK else 20_000
PER_DELIVERY = 100  # statuses in one POST, as the sandbox batches them
CONCURRENCY = 16  # POSTs in flight at once
DUPLICATES = 0.01  # share of the statuses posted a second time
DEADLINE_S = 120.0  # from the first POST until everything must be applied
SEED = 20261123
APP_SECRET = "sandbox-app-secret"  # Settings.whatsapp_app_secret's default
WABA_ID = "1020000000000001"
PHONE_NUMBER_ID = "1090000000000001"
DISPLAY_NUMBER = "15550000001"
SENT_AT = 1795435200  # 2026-11-23 12:00:00 UTC
STATUSES = ("sent", "delivered", "read")
EVENT_KINDS = ("message.sent", "message.delivered", "message.read")
BENCH_DB = "cobro_bench_statuses"


def log(message: str) -> None:
    """Progress for the person watching (stderr, never stdout)."""
    print(f"  [statuses] {message}", file=sys.stderr, flush=True)


def figure(name: str, value: float | int, unit: str) -> None:
    """One result line: `name: value unit`."""
    print(
        f"{name}: {value:.0f} {unit}" if isinstance(value, float) else f"{name}: {value} {unit}", flush=True
    )


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message the benchmark pretends Cobro sent."""

    wamid: str
    wa_id: str
    user_id: str


def outbound_messages(count: int) -> list[Outbound]:
    """`count` messages with wamids shaped like Meta's and one recipient each."""
    found = []
    for i in range(count):
        digest = hashlib.sha256(f"bench-{SEED}-{i}".encode()).hexdigest().upper()
        wa_id = f"5215{i:08d}"
        found.append(Outbound(f"wamid.HBgN{wa_id}FQIAERgS{digest[:18]}AA==", wa_id, f"MX.{10**15 + i}"))
    return found


def status_object(message: Outbound, index: int, name: str) -> dict[str, Any]:
    """One item of a webhook's `statuses` array, as the Cloud API posts it for a template message."""
    step = STATUSES.index(name)
    conversation: dict[str, Any] = {
        "id": hashlib.md5(message.wa_id.encode()).hexdigest(),
        "origin": {"type": "utility"},
    }
    if name == "sent":
        conversation["expiration_timestamp"] = str(SENT_AT + index % 3600 + 86_400)
    return {
        "id": message.wamid,
        "status": name,
        "timestamp": str(SENT_AT + index % 3600 + (0, 2, 30)[step]),
        "recipient_id": message.wa_id,
        "recipient_user_id": message.user_id,
        "conversation": conversation,
        "pricing": {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"},
    }


def delivery_body(statuses: list[dict[str, Any]]) -> bytes:
    """A whole POST body: one entry, one `messages` change carrying the statuses and their contacts."""
    contacts: dict[str, dict[str, str]] = {}
    for status in statuses:
        contacts.setdefault(
            status["recipient_user_id"],
            {"wa_id": status["recipient_id"], "user_id": status["recipient_user_id"]},
        )
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "contacts": list(contacts.values()),
        "statuses": statuses,
    }
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(body: bytes) -> str:
    """The X-Hub-Signature-256 header Meta sends with this body."""
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def deliveries(messages: list[Outbound]) -> tuple[list[bytes], int]:
    """Every status of every message, shuffled, about 1% twice, in bodies of PER_DELIVERY; and the count."""
    rng = random.Random(SEED)
    statuses = [status_object(m, i, name) for i, m in enumerate(messages) for name in STATUSES]
    statuses += rng.sample(statuses, round(len(statuses) * DUPLICATES))
    rng.shuffle(statuses)
    bodies = [delivery_body(statuses[i : i + PER_DELIVERY]) for i in range(0, len(statuses), PER_DELIVERY)]
    return bodies, len(statuses)


def record_messages(engine: Engine, messages: list[Outbound]) -> None:
    """The rows record_outbound_message writes for each accepted template send, in bulk."""
    now = datetime.now(UTC)
    content = {"template": {"name": "recordatorio_pago", "language": {"code": "es_MX"}}}
    rows = [
        {
            "wamid": m.wamid,
            "direction": "out",
            "phone_number_id": PHONE_NUMBER_ID,
            "wa_id": m.wa_id,
            "type": "template",
            "content": content,
            "occurred_at": now,
            "status": "accepted",
            "status_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    events = [
        {
            "occurred_at": now,
            "kind": "message.accepted",
            "actor": "whatsapp",
            "data": {"wamid": m.wamid, "type": "template", "phone_number_id": PHONE_NUMBER_ID},
        }
        for m in messages
    ]
    with engine.begin() as connection:
        for start in range(0, len(rows), 2_000):
            connection.execute(insert(whatsapp_messages), rows[start : start + 2_000])
            connection.execute(insert(audit_events), events[start : start + 2_000])


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(database_url: str, workdir: Path) -> Iterator[tuple[str, Path]]:
    """`cobro serve` on a free port (its output in a file); yields its base URL and that file."""
    port = free_port()
    output = workdir / f"serve-{port}.log"
    env = os.environ | {
        "COBRO_DATABASE_URL": database_url,
        "COBRO_LOG_LEVEL": "WARNING",
        "COBRO_WHATSAPP_APP_SECRET": APP_SECRET,
    }
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "cobro", "serve", "--port", str(port)],
            env=env,
            cwd=workdir,  # no .env of the checkout is read
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > end:
                raise SystemExit(f"cobro serve did not become ready:\n{output.read_text()[-3000:]}")
            time.sleep(0.1)
        yield base, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def post_all(base: str, bodies: list[bytes]) -> tuple[float, float, list[float]]:
    """POSTs every body, CONCURRENCY at a time; the monotonic start, the end, and each POST's seconds."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) as client:
        await client.get("/healthz")  # connect once before the clock starts

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(body)}
                sent = time.monotonic()
                response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
                latencies.append(time.monotonic() - sent)
                if response.status_code != 200:
                    raise SystemExit(f"POST answered {response.status_code}: {response.text[:300]}")

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return started, time.monotonic(), latencies


def wait_applied(engine: Engine, messages: int, deadline: float) -> float | None:
    """Polls until every message is `read` and no delivery is unprocessed; the monotonic time, or None."""
    m, d = whatsapp_messages.c, webhook_deliveries.c
    read = select(func.count()).where(m.status == "read")
    pending = select(func.count()).select_from(webhook_deliveries).where(d.processed_at.is_(None))
    last_report = time.monotonic()
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            done, left = connection.execute(read).scalar_one(), connection.execute(pending).scalar_one()
        if done == messages and left == 0:
            return time.monotonic()
        if time.monotonic() - last_report > 5:
            log(f"  {done:,} of {messages:,} messages read, {left} deliveries unprocessed")
            last_report = time.monotonic()
        time.sleep(0.05)
    return None


def problems(engine: Engine, messages: list[Outbound]) -> list[str]:
    """What differs from every message `read`, three statuses each, one event of each kind each."""
    found: list[str] = []
    wamids = {m.wamid for m in messages}
    with engine.connect() as connection:
        stored = dict(connection.execute(select(whatsapp_messages.c.wamid, whatsapp_messages.c.status)).all())
        statuses = Counter(
            connection.execute(select(whatsapp_statuses.c.wamid, whatsapp_statuses.c.status)).all()
        )
        events = Counter(
            (kind, data.get("wamid"))
            for kind, data in connection.execute(
                select(audit_events.c.kind, audit_events.c.data).where(audit_events.c.kind.in_(EVENT_KINDS))
            )
        )
        failed = connection.execute(
            select(func.count()).where(webhook_deliveries.c.attempts > 1)
        ).scalar_one()
    if failed:
        log(f"{failed} deliveries needed more than one attempt")
    if set(stored) != wamids:
        found.append(f"whatsapp_messages holds {len(stored)} rows, {len(set(stored) - wamids)} unexpected")
    not_read = Counter(s for w, s in stored.items() if s != "read")
    if not_read:
        found.append(f"messages not read: {dict(not_read)}")
    expected_statuses = {(w, s) for w in wamids for s in STATUSES}
    if set(statuses) != expected_statuses or any(n != 1 for n in statuses.values()):
        found.append(
            f"whatsapp_statuses: {sum(statuses.values())} rows, expected {len(expected_statuses)} "
            f"(3 per message); {len(expected_statuses - set(statuses))} missing"
        )
    expected_events = {(k, w) for w in wamids for k in EVENT_KINDS}
    if set(events) != expected_events or any(n != 1 for n in events.values()):
        by_kind = Counter(k for (k, _), n in events.items() for _ in range(n))
        twice = sum(1 for n in events.values() if n > 1)
        found.append(
            f"audit events {dict(by_kind)}, expected {len(wamids)} of each; "
            f"{len(expected_events - set(events))} missing, {twice} repeated"
        )
    return found


def bench_database(label: str, database_url: str, workdir: Path) -> list[str]:
    """Migrates, records the messages, serves, posts the statuses, waits; prints figures, returns problems."""
    log(f"{label}: migrating")
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        messages = outbound_messages(MESSAGES)
        record_messages(engine, messages)
        bodies, posted = deliveries(messages)
        log(f"{label}: {MESSAGES:,} messages recorded; {posted:,} statuses in {len(bodies)} deliveries")
        with server(database_url, workdir) as (base, output):
            started, accepted, latencies = asyncio.run(post_all(base, bodies))
            log(
                f"{label}: all POSTs answered 200 in {accepted - started:.1f} s "
                f"(p50 {statistics.median(latencies) * 1000:.0f} ms, "
                f"max {max(latencies) * 1000:.0f} ms); waiting until applied"
            )
            done = wait_applied(engine, MESSAGES, started + DEADLINE_S)
            server_log = output.read_text(errors="replace")
        for warning in ("webhook_delivery_failed", "webhook_transactions_split"):
            if count := server_log.count(warning):
                log(f"{label}: the server logged {count} {warning}")
        figure(f"statuses_accept_{label}", posted / (accepted - started), "statuses/s")
        if done is None:
            return [
                f"{label}: not applied {DEADLINE_S:.0f} s after the first POST",
                *problems(engine, messages),
            ]
        log(f"{label}: applied {done - started:.1f} s after the first POST")
        figure(f"statuses_ingest_{label}", posted / (done - started), "statuses/s")
        return [f"{label}: {p}" for p in problems(engine, messages)]
    finally:
        engine.dispose()


def main() -> int:
    """Benchmarks PostgreSQL, then SQLite; prints the figures, returns 1 when a check failed."""
    found: list[str] = []
    figure("statuses_messages", MESSAGES, "messages")
    with tempfile.TemporaryDirectory(prefix="cobro-bench-statuses-") as tmp:
        workdir = Path(tmp)
        with scratch_postgres_database(BENCH_DB) as url:
            found += bench_database("postgres", url, workdir)
        found += bench_database("sqlite", f"sqlite:///{workdir / 'statuses.sqlite'}", workdir)
    for problem in found:
        print(f"statuses FAILED: {problem}", flush=True)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
