"""What bench/send.py and bench/send_chaos.py share (not a benchmark: bench/run.py skips files starting with '_').

Child processes (the sandbox, `cobro serve`, `cobro worker`, a private RabbitMQ node) each run in a session
of their own and are ended, whatever happens, when the `Children` that started them closes. Debtors are put
in a place where the compliance gate allows contact now and for the next minutes (`choose_market`), since
the workers re-check the gate with the real clock at claim time.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import BindParameter

from cobro.adapters.db.tables import outbox
from cobro.adapters.db.types import UTCDateTime
from cobro.adapters.whatsapp.sender import template_of
from cobro.app.ports import OutgoingTemplate
from cobro.app.template_parameters import TemplateValues, render_parameters
from cobro.domain.accounts import Consent, ConsentMethod
from cobro.domain.contact import (
    AccountContext,
    ContactHistory,
    DebtorContext,
    MessageKind,
    OutboundIntent,
    Verdict,
)
from cobro.domain.money import Money
from cobro.domain.template_catalogue import TemplateEntry, find_entry, load_catalogue, template_language
from cobro.entrypoints.planning import shared_gate
from cobro.i18n.currencies import find_currency

QUICK = os.environ.get("QUICK", "") not in ("", "0")
ROOT = Path(__file__).resolve().parent.parent
COBRO = [sys.executable, "-m", "cobro"]
TEMPLATE = "cobro_overdue_notice"
STAGE = "first_notice"
GRAPH_VERSION = "v23.0"
TOKEN = "sandbox-access-token"  # the sandbox's default token, and Settings.whatsapp_access_token's
TERMINAL = ("sent", "failed", "unknown", "review", "cancelled")
MOVING = ("planned", "queued", "sending")


def log(prefix: str, message: str) -> None:
    """Progress for the person watching (stderr, never stdout)."""
    print(f"  [{prefix}] {message}", file=sys.stderr, flush=True)


def figure(name: str, value: float | int, unit: str) -> None:
    """One result line on stdout: `name: value unit`."""
    shown = f"{value:.0f}" if isinstance(value, float) else str(value)
    print(f"{name}: {shown} {unit}", flush=True)


def load_average() -> str:
    """The machine's 1-minute load average, logged beside figures (other work on the two cores skews them)."""
    return f"{os.getloadavg()[0]:.2f}"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, deadline_s: float = 30.0) -> bool:
    """Waits until something listens on the port; False on timeout."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False


def services_up() -> list[str]:
    """The services the PostgreSQL benches need that do not answer (RabbitMQ, Redis)."""
    missing = []
    for name, port in (("RabbitMQ", 5672), ("Redis", 6379)):
        with socket.socket() as s:
            s.settimeout(1.0)
            if s.connect_ex(("127.0.0.1", port)) != 0:
                missing.append(f"{name} (127.0.0.1:{port})")
    return missing


# --- child processes ---------------------------------------------------------------------------------------


@dataclass
class Child:
    """One process the bench started: its name, Popen and output file."""

    name: str
    process: subprocess.Popen[bytes]
    output: Path

    def tail(self, chars: int = 3000) -> str:
        """The end of its output."""
        try:
            return self.output.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process.poll() is None


class Children:
    """Starts child processes in sessions of their own and ends every one still running on `close`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[Child] = []

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Child:
        """Starts `argv` with `env` in the work directory (no .env of the checkout is read)."""
        output = self.workdir / f"{name}.log"
        with output.open("ab") as sink:
            process = subprocess.Popen(
                list(argv),
                env=env,
                cwd=self.workdir,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, process, output)
        self.started.append(child)
        return child

    @staticmethod
    def stop(child: Child, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int | None:
        """Sends `sig` to the child's process group, waits up to `timeout`, then kills it; its exit code."""
        if child.alive():
            with suppress(ProcessLookupError):
                os.killpg(child.process.pid, sig)
            try:
                child.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log(
                    "children", f"{child.name} did not stop in {timeout:.0f} s after signal {sig}: killing it"
                )
                Children.kill(child)
        return child.process.poll()

    @staticmethod
    def kill(child: Child) -> None:
        """SIGKILL to the child's whole process group, and reap it."""
        with suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()

    def close(self) -> None:
        """Ends every child still running: SIGTERM first, SIGKILL after 10 s."""
        for child in reversed(self.started):
            if child.alive():
                self.stop(child, signal.SIGTERM, timeout=10)
            elif child.process.returncode is None:
                child.process.wait()


@contextmanager
def children(workdir: Path) -> Iterator[Children]:
    """Children that are all ended when the block exits, by an exception, SIGTERM or SIGINT included."""
    group = Children(workdir)

    def on_signal(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield group
    finally:
        group.close()
        keep = os.environ.get("BENCH_KEEP_LOGS")  # a folder: the children's output is copied there
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for child in group.started:
                shutil.copy(child.output, Path(keep) / child.output.name)
        for s, handler in previous.items():
            signal.signal(s, handler)


def cobro_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Cobro child: the caller's without any COBRO_ setting, then the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COBRO_")}
    env |= {
        "COBRO_DATABASE_URL": database_url,
        "COBRO_LOG_LEVEL": "WARNING",
        "COBRO_PLAN_EVERY_SECONDS": "0",  # no planner in `cobro serve`: the bench's rows are all there is
        "PYTHONPATH": str(ROOT / "src"),
    }
    env |= extra
    return env


# --- where contact is allowed now --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Market:
    """A place the debtors live: country, region, language, currency, zone and a phone prefix."""

    country: str
    language: str
    currency: str
    zone: str
    prefix: str  # E.164 up to the subscriber digits, "+" included
    digits: int  # subscriber digits after the prefix
    region: str | None = None

    @property
    def template_language(self) -> str:
        """The catalogue language the debtors' template is in."""
        return template_language(self.language)

    def phone(self, i: int) -> str:
        """The i-th debtor's phone: the prefix and i, zero-padded."""
        return f"{self.prefix}{i:0{self.digits}d}"

    def today(self, now: datetime) -> date:
        """The local date in the market's zone."""
        return now.astimezone(ZoneInfo(self.zone)).date()


# Tried in this order; the first whose rules allow the message now and for the next minutes is used.
CANDIDATES = (
    Market("ES", "es", "EUR", "Europe/Madrid", "+346", 8),
    Market("MX", "es", "MXN", "America/Mexico_City", "+5255", 8),
    Market("CO", "es", "COP", "America/Bogota", "+57300", 7),
    Market("BR", "pt", "BRL", "America/Sao_Paulo", "+55119", 8),
    Market("IT", "it", "EUR", "Europe/Rome", "+3933", 8),
    Market("PT", "pt", "EUR", "Europe/Lisbon", "+35191", 7),
    Market("PE", "es", "PEN", "America/Lima", "+519", 8),
    Market("CL", "es", "CLP", "America/Santiago", "+569", 8),
    Market("AR", "es", "ARS", "America/Argentina/Buenos_Aires", "+54911", 8),
    Market("US", "en", "USD", "America/New_York", "+1212", 7, "NY"),
    Market("US", "en", "USD", "America/Los_Angeles", "+1415", 7, "CA"),
    Market("US", "en", "USD", "Pacific/Honolulu", "+1808", 7, "HI"),
    Market("GB", "en", "GBP", "Europe/London", "+447700", 6),
    Market("ZA", "en", "ZAR", "Africa/Johannesburg", "+2782", 7),
    Market("AE", "en", "AED", "Asia/Dubai", "+97150", 7),
    Market("IN", "en", "INR", "Asia/Kolkata", "+9198", 8),
    Market("SG", "en", "SGD", "Asia/Singapore", "+659", 7),
    Market("PH", "en", "PHP", "Asia/Manila", "+63917", 7),
    Market("JP", "en", "JPY", "Asia/Tokyo", "+8190", 8),
    Market("AU", "en", "AUD", "Australia/Sydney", "+614", 8),
    Market("NZ", "en", "NZD", "Pacific/Auckland", "+6421", 7),
    Market("KI", "en", "AUD", "Pacific/Kiritimati", "+6867", 7),
)
CONSENT_AT = datetime(2026, 1, 5, tzinfo=UTC)
CONFIRMED_AT = datetime(2026, 1, 6, tzinfo=UTC)
DAYS_OVERDUE = 5
AMOUNT_MINOR = 125_050  # 1,250.50 in a currency with cents, 125,050 in one without


def amount_money(currency: str) -> Money:
    """The outstanding amount as Money."""
    found = find_currency(currency)
    places = found.minor_units if found is not None else 2
    return Money(Decimal(AMOUNT_MINOR).scaleb(-places), currency)


def catalogue_entry(market: Market) -> TemplateEntry:
    """The catalogue entry the market's debtors are sent."""
    entry = find_entry(load_catalogue(), TEMPLATE, market.template_language)
    if entry is None:
        raise SystemExit(f"no {TEMPLATE} in {market.template_language} in the catalogue")
    return entry


def gate_allows(market: Market, now: datetime, horizon: timedelta) -> tuple[bool, str]:
    """Whether the gate allows the market's message at every 5 minutes from `now` to `now + horizon`."""
    gate = shared_gate()
    debtor = DebtorContext(
        id=1,
        phone=market.phone(1),
        country=market.country,
        language=market.language,
        time_zones=(market.zone,),
        region=market.region,
        consent=Consent(given_at=CONSENT_AT, method=ConsentMethod.CONTRACT, source="bench"),
        right_party_confirmed_at=CONFIRMED_AT,
    )
    steps = int(horizon / timedelta(minutes=5))
    for step in range(steps + 1):
        at = now + timedelta(minutes=5 * step)
        account = AccountContext(
            id=1,
            reference="ACC-1",
            creditor_id=1,
            outstanding=amount_money(market.currency),
            oldest_due_date=market.today(now) - timedelta(days=DAYS_OVERDUE),
            open_invoices=1,
            invoice_reference="INV-1",
            payment_link="https://pay.example.com/i/1",
            original_amount=amount_money(market.currency),
        )
        intent = OutboundIntent(
            kind=MessageKind.COLLECTION,
            to_phone=debtor.phone,
            mentions_debt=True,
            stage=STAGE,
            template=TEMPLATE,
            language=market.template_language,
        )
        decision = gate.check(debtor, account, intent, at, ContactHistory())
        if decision.verdict is not Verdict.ALLOW:
            reasons = " ".join(f.reason for f in decision.findings)[:160]
            return False, f"{decision.verdict.value} at +{5 * step} min: {reasons}"
    return True, "allowed"


def choose_market(prefix: str, horizon: timedelta = timedelta(minutes=15)) -> Market:
    """The first candidate market where the gate allows the message now and until `horizon` from now."""
    now = datetime.now(UTC)
    tried = []
    for market in CANDIDATES:
        allowed, why = gate_allows(market, now, horizon)
        if allowed:
            entry = catalogue_entry(market)
            render_parameters(entry, template_values(market, 1, now))  # raises if it cannot be filled
            log(
                prefix, f"debtors in {market.country} ({market.zone}, {market.language}): contact allowed now"
            )
            return market
        tried.append(f"{market.country}/{market.zone}: {why}")
    raise SystemExit(
        "no candidate market allows contact now and for the next minutes; run the bench on a weekday in "
        "business hours somewhere:\n  " + "\n  ".join(tried)
    )


def template_values(market: Market, i: int, now: datetime) -> TemplateValues:
    """What the ledger holds for debtor i, as the worker renders it."""
    due = market.today(now) - timedelta(days=DAYS_OVERDUE)
    return TemplateValues(
        debtor_name=f"Debtor {i}",
        creditor_name="Bench Lender",
        language=market.language,
        country=market.country,
        amount=amount_money(market.currency),
        invoice_reference=f"INV-{i:08d}",
        due_date=due,
        payment_link=f"https://pay.example.com/i/{i}",
        days_overdue=DAYS_OVERDUE,
    )


# --- seeding -----------------------------------------------------------------------------------------------


def seed(engine: Engine, market: Market, count: int, phone_number_id: str) -> float:
    """One creditor, `count` debtors with one account, one open overdue invoice and one planned outbox row
    each, set-based (INSERT ... SELECT over generate_series on PostgreSQL, a recursive series on SQLite);
    returns the seconds it took."""
    started = time.monotonic()
    now = datetime.now(UTC)
    local_day = market.today(now)
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        series, pad = "FROM generate_series(1, :count) AS s(g)", "lpad(CAST(g AS text), {n}, '0')"
    else:
        series, pad = "FROM s", "printf('%0{n}d', g)"
    values = {
        "count": count,
        "now": now,
        "due_at": now - timedelta(seconds=1),
        "consent_at": CONSENT_AT,
        "confirmed_at": CONFIRMED_AT,
        "issued": local_day - timedelta(days=DAYS_OVERDUE + 30),
        "due": local_day - timedelta(days=DAYS_OVERDUE),
        "country": market.country,
        "language": market.language,
        "zone": market.zone,
        "region": market.region,
        "prefix": market.prefix,
        "currency": market.currency,
        "amount": AMOUNT_MINOR,
        "key_suffix": f":{STAGE}:{local_day.isoformat()}",
        "template": TEMPLATE,
        "template_language": market.template_language,
        "stage": STAGE,
        "number": phone_number_id,
    }
    typed: list[BindParameter[Any]] = [
        bindparam(n, type_=UTCDateTime()) for n in ("now", "due_at", "consent_at", "confirmed_at")
    ]
    typed += [bindparam(n, type_=Date()) for n in ("issued", "due")]
    with engine.begin() as connection:
        for statement in _SEED:
            sql = statement.format(series=series, phone=pad.format(n=market.digits), ref=pad.format(n=8))
            if not postgres:
                sql = (
                    "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :count) " + sql
                )
            names = set(re.findall(r"(?<![:\w]):(\w+)", sql))
            clause = text(sql).bindparams(*(p for p in typed if p.key in names))
            connection.execute(clause, {k: v for k, v in values.items() if k in names})
        if postgres:
            for table in ("debtors", "accounts", "invoices", "outbox"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.monotonic() - started


# {series} is the id series g = 1..count; {phone} and {ref} pad g with zeros.
_SEED = (
    """INSERT INTO creditors (id, slug, name, country, currency, language, whatsapp_phone_number_id, created_at)
    VALUES (1, 'bench', 'Bench Lender', :country, :currency, :language, :number, :now)""",
    """INSERT INTO debtors (id, creditor_id, name, phone, country, language, time_zone, time_zone_source,
        time_zone_candidates, consent_method, consent_at, consent_source, consent_scope, region,
        right_party_confirmed_at, created_at, updated_at)
    SELECT g, 1, 'Debtor ' || CAST(g AS text), CAST(:prefix AS text) || {phone}, :country, :language,
        CAST(:zone AS text), 'phone', CAST(:zone AS text), 'contract', :consent_at, 'bench', 'collections',
        :region, :confirmed_at, :now, :now {series}""",
    """INSERT INTO accounts (id, creditor_id, debtor_id, reference, currency, plan_status, created_at,
        updated_at)
    SELECT g, 1, g, 'ACC-' || {ref}, :currency, 'none', :now, :now {series}""",
    """INSERT INTO invoices (id, creditor_id, account_id, reference, currency, amount_minor, outstanding_minor,
        issued_on, due_date, payment_link, status, created_at, updated_at)
    SELECT g, 1, g, 'INV-' || {ref}, :currency, :amount, :amount, :issued, :due,
        'https://pay.example.com/i/' || CAST(g AS text), 'open', :now, :now {series}""",
    """INSERT INTO outbox (id, idempotency_key, creditor_id, debtor_id, account_id, kind, stage, template,
        language, state, due_at, attempts, created_at, updated_at)
    SELECT g, CAST(g AS text) || CAST(:key_suffix AS text), 1, g, g, 'collection', :stage, :template,
        :template_language, 'planned', :due_at, 0, :now, :now {series}""",
)


# --- the sandbox -------------------------------------------------------------------------------------------


@dataclass
class Sandbox:
    """`cobro sandbox` as a child process with its state file; `base` is its URL, `number_id` the sender."""

    child: Child
    base: str
    number_id: str
    state_file: Path

    def stats(self) -> dict[str, Any]:
        """GET /sandbox/stats."""
        return dict(httpx.get(f"{self.base}/sandbox/stats", timeout=30).json())

    def admin(self, patch: dict[str, Any]) -> dict[str, Any]:
        """POST /sandbox/admin: knobs at run time, `reset` to forget messages and counters."""
        response = httpx.post(f"{self.base}/sandbox/admin", json=patch, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def stop_and_read(self) -> list[tuple[str, str | None]]:
        """Stops the sandbox (SIGTERM: it writes its state file) and returns every message it accepted from
        the business, as (wamid, biz_opaque_callback_data)."""
        code = Children.stop(self.child, signal.SIGTERM, timeout=120)
        if not self.state_file.exists():
            raise SystemExit(f"the sandbox (exit {code}) wrote no state file:\n{self.child.tail()}")
        data = json.loads(self.state_file.read_bytes())
        return [
            (m["id"], m.get("biz_opaque_callback_data"))
            for m in data["messages"]
            if m.get("direction") == "to_phone"
        ]


def start_sandbox(group: Children, name: str, **knobs: str) -> Sandbox:
    """Starts the sandbox on a free port with its own business number (tier 1,000 unless `knobs` say) and
    the given COBRO_SANDBOX_* knobs (lower-case names without the prefix)."""
    port = free_port()
    # A business number of this run's own: the shared Redis limiter keys on it, so no other run shares it.
    number_id = f"10900{random.randrange(10**10, 10**11)}"
    state_file = group.workdir / f"{name}-state.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COBRO_")}
    settings = {
        "port": str(port),
        "tier": "1000",
        "review_delay": "0.05",
        "sent_delay": "0.2",
        "delivered_probability": "0",
        "read_probability": "0",
        "state_file": str(state_file),
        "message_retention": "2000000",
        "business_numbers": json.dumps(
            [{"id": number_id, "display_phone_number": f"1555{number_id[-7:]}", "tier": 1000}]
        ),
    } | knobs
    env |= {f"COBRO_SANDBOX_{k.upper()}": v for k, v in settings.items()}
    env["PYTHONPATH"] = str(ROOT / "src")
    child = group.start(name, [*COBRO, "sandbox", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/sandbox/config", timeout=1.0).raise_for_status()
            break
        except httpx.HTTPError:
            if not child.alive() or time.monotonic() > end:
                raise SystemExit(f"the sandbox did not start:\n{child.tail()}") from None
            time.sleep(0.1)
    return Sandbox(child, base, number_id, state_file)


def sync_templates(env: dict[str, str], workdir: Path, prefix: str) -> None:
    """`cobro templates sync --wait` for the bench's template, so the sandbox has it APPROVED."""
    started = time.monotonic()
    result = subprocess.run(
        [*COBRO, "templates", "sync", "--wait", "--name", TEMPLATE, "--poll-every", "0.2", "--timeout", "60"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"cobro templates sync failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    log(prefix, f"templates synced and approved in {time.monotonic() - started:.1f} s")


class StatsSampler:
    """Polls /sandbox/stats every `every` seconds in a thread: (monotonic time, accepted, 130429 count)."""

    def __init__(self, sandbox: Sandbox, every: float = 0.5) -> None:
        self.sandbox = sandbox
        self.every = every
        self.samples: list[tuple[float, int, int]] = []
        self.last: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stats-sampler", daemon=True)

    def __enter__(self) -> StatsSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                try:
                    stats = client.get(f"{self.sandbox.base}/sandbox/stats").json()
                except httpx.HTTPError:
                    stats = None
                if stats is not None:
                    self.last = stats
                    self.samples.append(
                        (time.monotonic(), int(stats["accepted"]), int(stats["rejected"].get("130429", 0)))
                    )
                self._stop.wait(self.every)


def steady_rate(samples: Sequence[tuple[float, int, int]], trim: float = 0.05) -> tuple[float, float]:
    """Accepted/s between the moments `trim` and 1 - `trim` of the final count were reached (linear
    interpolation between samples); and the window's seconds. (0, 0) when there is too little data."""
    if not samples or samples[-1][1] < 20:
        return 0.0, 0.0
    total = samples[-1][1]

    def when(target: float) -> float:
        previous = samples[0]
        for sample in samples:
            if sample[1] >= target:
                if sample[1] == previous[1]:
                    return sample[0]
                share = (target - previous[1]) / (sample[1] - previous[1])
                return previous[0] + share * (sample[0] - previous[0])
            previous = sample
        return samples[-1][0]

    low, high = total * trim, total * (1 - trim)
    start, end = when(low), when(high)
    if end <= start:
        return 0.0, 0.0
    return (high - low) / (end - start), end - start


# --- the bare reference loop ------------------------------------------------------------------------------


def request_bodies(market: Market, count: int, start: int, run: str, number_id: str) -> list[bytes]:
    """`count` send bodies for the market's template, built by the worker's own code (recipient i from
    `start`, callback data `<run>:<i>`), so a bare loop posts the same requests."""
    entry = catalogue_entry(market)
    now = datetime.now(UTC)
    return [
        template_of(
            OutgoingTemplate(
                to=market.phone(i),
                phone_number_id=number_id,
                entry=entry,
                parameters=tuple(render_parameters(entry, template_values(market, i, now))),
                callback_data=f"{run}:{i}",
            )
        ).to_json()
        for i in range(start, start + count)
    ]


@dataclass
class BareResult:
    """What a bare loop saw: answers by HTTP status and Meta code, and its seconds."""

    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[int] = field(default_factory=Counter)

    @property
    def answered(self) -> int:
        """Every request that got an answer."""
        return sum(self.statuses.values())

    @property
    def accepted(self) -> int:
        """The answers 200 (a wamid)."""
        return self.statuses.get(200, 0)


def bare_loop(base: str, number_id: str, bodies: list[bytes], concurrency: int) -> BareResult:
    """Posts every body to the sandbox's send route from `concurrency` coroutines on one httpx client, as
    fast as the answers come (no database, no broker, no limiter)."""
    result = BareResult()

    async def run() -> None:
        path = f"/{GRAPH_VERSION}/{number_id}/messages"
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        pending = iter(bodies)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30, headers=headers) as client:
            await client.get("/sandbox/config")  # connect before the clock starts

            async def one_connection() -> None:
                for body in pending:
                    response = await client.post(path, content=body)
                    result.statuses[response.status_code] += 1
                    if response.status_code != 200:
                        code = response.json().get("error", {}).get("code")
                        if isinstance(code, int):
                            result.codes[code] += 1

            started = time.monotonic()
            await asyncio.gather(*(one_connection() for _ in range(concurrency)))
            result.seconds = time.monotonic() - started

    asyncio.run(run())
    return result


# --- the outcome ---------------------------------------------------------------------------------------------


def outbox_states(engine: Engine) -> Counter[str]:
    """Rows by state."""
    with engine.connect() as connection:
        found = connection.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
    return Counter(dict(found))


def wait_until_settled(
    engine: Engine,
    prefix: str,
    deadline_s: float,
    states: Sequence[str] = MOVING,
    *,
    every: float = 1.0,
    tick: Callable[[Counter[str]], None] | None = None,
) -> bool:
    """Polls until no row is in `states`; logs progress every few seconds; False when the deadline passed."""
    end = time.monotonic() + deadline_s
    last_log = 0.0
    while time.monotonic() < end:
        counts = outbox_states(engine)
        if tick is not None:
            tick(counts)
        if not any(counts.get(s, 0) for s in states):
            return True
        if time.monotonic() - last_log > 5:
            log(prefix, "outbox: " + ", ".join(f"{s} {n:,}" for s, n in sorted(counts.items())))
            last_log = time.monotonic()
        time.sleep(every)
    return False


@dataclass
class Reckoning:
    """The rows against what the sandbox accepted: duplicates, losses and their examples."""

    states: Counter[str]
    duplicates: int  # keys the sandbox accepted more than one message for
    lost: int
    problems: list[str]
    accepted_keys: int
    reasons: Counter[str] = field(default_factory=Counter)


def reckon(engine: Engine, accepted: list[tuple[str, str | None]]) -> Reckoning:
    """Compares the outbox with every message the sandbox accepted (wamid, callback data).

    Lost: a row not settled (planned, queued, sending); a row failed, cancelled, unknown or in review without a
    reason; a sent row whose wamid the sandbox never accepted for its key; a message the sandbox accepted for
    a key whose row is neither sent nor waiting for a person (unknown, review): it went out while Cobro
    believes it did not. Duplicates: keys with more than one accepted message.
    """
    o = outbox.c
    with engine.connect() as connection:
        rows = connection.execute(select(o.id, o.idempotency_key, o.state, o.wamid, o.reason)).all()
    by_key = {r.idempotency_key: r for r in rows}
    wamids_by_key: dict[str, list[str]] = {}
    foreign = 0
    for wamid, data in accepted:
        if data is None or not data.startswith("cobro:"):
            continue
        key = data.removeprefix("cobro:")
        if key not in by_key:
            foreign += 1
        wamids_by_key.setdefault(key, []).append(wamid)
    states = Counter(r.state for r in rows)
    problems: list[str] = []
    examples: dict[str, list[str]] = {}

    def lose(kind: str, row: Any) -> None:
        examples.setdefault(kind, []).append(f"#{row.id} {row.state} {row.reason or ''}"[:160])

    reasons: Counter[str] = Counter()
    for row in rows:
        seen = wamids_by_key.get(row.idempotency_key, [])
        if row.state in MOVING:
            lose("not settled", row)
        elif row.state in ("failed", "cancelled", "unknown", "review") and not row.reason:
            lose(f"{row.state} without a reason", row)
        elif row.state == "sent" and row.wamid not in seen:
            lose("sent but the sandbox never accepted its wamid for its key", row)
        elif row.state not in ("sent", "unknown", "review") and seen:
            lose(f"{row.state} but the sandbox accepted it", row)
        if row.state != "sent" and row.reason:
            reasons[f"{row.state}: {_reason_head(row.reason)}"] += 1
    duplicates = sum(1 for wamids in wamids_by_key.values() if len(wamids) > 1)
    if foreign:
        problems.append(f"the sandbox accepted {foreign} messages whose key names no outbox row")
    lost = sum(len(v) for v in examples.values()) + foreign
    for kind, found in examples.items():
        problems.append(f"{len(found)} rows {kind}, e.g. {found[:3]}")
    if duplicates:
        twice = [(k, len(w)) for k, w in wamids_by_key.items() if len(w) > 1][:5]
        problems.append(f"{duplicates} keys sent more than once, e.g. {twice}")
    return Reckoning(states, duplicates, lost, problems, len(wamids_by_key), reasons)


def _reason_head(reason: str) -> str:
    head = reason.split(":")[0] if reason.startswith(("the gate", "cannot fill")) else reason
    return head[:90]
