"""Benchmark of the contact planner: `plan_contacts` over 1,000,000 accounts on PostgreSQL.

Builds a scratch database (`cobro_bench_plan` on the COBRO_TEST_POSTGRES_URL server, created and dropped
here) with 1,000,000 debtors, one account each and about 1.2 invoices per account (QUICK=1: 10,000), loaded
with COPY: debtors in eleven countries and their zones, due dates from 10 days ahead to 400 days past, amounts
in three bands, ~3% without consent, ~1% opted out, ~1% disputed, ~1% in hardship, ~2% with a promise to pay,
~2% on a plan, ~20% not yet confirmed as the right person, and ~10% with a message planned in the last two
weeks (read, delivered or not). Every catalogue template counts as approved.

Then plans every account at Monday 23 November 2026 15:00 UTC with the default strategy, storing each
decision (send, defer, skip), with one process per core (BENCH_PLAN_WORKERS=1: one process, which also
samples its resident memory after the first 10% of accounts and at the end: flat memory means the two are
close), then plans the same instant again, which must store nothing, and the next day at the same hour
(the daily run once the first one's decisions are history). The first run is the heavy case: on a freshly
loaded portfolio nearly every overdue account is due for a message, so about 85% of the accounts get a
decision stored. Prints `name: value unit` lines: accounts per second, seconds, decisions stored for each
run, and peak memory per process. Exits non-zero when the run plans
less than every account, stores nothing, stores a key twice, or the second run stores anything.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from _databases import scratch_postgres_database  # bench/ is on sys.path
from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.migrate import upgrade
from cobro.adapters.db.tables import contact_decisions, outbox
from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.app.plan_contacts import PlanSummary, plan_contacts
from cobro.domain.clock import FixedClock
from cobro.domain.planning import PlannedContact
from cobro.entrypoints.planning import catalogue_pairs, plan_in_processes, planning_policy_with

QUICK = os.environ.get("QUICK", "") not in ("", "0")
ACCOUNTS = int(os.environ.get("BENCH_PLAN_ACCOUNTS") or (10_000 if QUICK else 1_000_000))
AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SEED = 20261123
WORKERS = int(os.environ.get("BENCH_PLAN_WORKERS") or os.cpu_count() or 1)

COUNTRIES = (
    # country, language, currency, zones (first on record), phone prefix, weight
    ("MX", "es", "MXN", ("America/Mexico_City", "America/Tijuana"), "+5255", 18),
    ("CO", "es", "COP", ("America/Bogota",), "+57300", 10),
    ("US", "en", "USD", ("America/New_York", "America/Chicago"), "+1415", 12),
    ("BR", "pt", "BRL", ("America/Sao_Paulo",), "+55119", 12),
    ("ES", "es", "EUR", ("Europe/Madrid",), "+346", 10),
    ("IT", "it", "EUR", ("Europe/Rome",), "+3933", 8),
    ("CL", "es", "CLP", ("America/Santiago",), "+569", 6),
    ("PE", "es", "PEN", ("America/Lima",), "+519", 6),
    ("GB", "en", "GBP", ("Europe/London",), "+447700", 6),
    ("AR", "es", "ARS", ("America/Argentina/Buenos_Aires",), "+54911", 5),
    ("PT", "pt", "EUR", ("Europe/Lisbon",), "+35191", 5),
)


def _log(message: str) -> None:
    print(f"plan: {message}", file=sys.stderr, flush=True)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    statm = Path("/proc/self/statm").read_text().split()
    return int(statm[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _load(url: str) -> None:
    rng = random.Random(SEED)
    weights = [c[5] for c in COUNTRIES]
    now = AT
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO creditors (id, slug, name, country, currency, language, created_at) "
            "VALUES (1, 'bench', 'Bench Lender', 'MX', 'MXN', 'es', %s)",
            (now,),
        )
        columns = (
            "id, creditor_id, name, phone, country, language, time_zone, time_zone_source, time_zone_candidates, "
            "consent_method, consent_at, consent_source, consent_scope, opted_out_at, opt_out_scope, "
            "opt_out_source, right_party_confirmed_at, created_at, updated_at"
        )
        chosen = rng.choices(COUNTRIES, weights=weights, k=ACCOUNTS)
        with cur.copy(f"COPY debtors ({columns}) FROM STDIN") as copy:
            for i in range(1, ACCOUNTS + 1):
                country, language, _, zones, prefix, _ = chosen[i - 1]
                consent = rng.random() > 0.03
                opted = rng.random() < 0.01
                copy.write_row(
                    (
                        i,
                        1,
                        f"Debtor {i}",
                        f"{prefix}{i:08d}"[:16],
                        country,
                        language,
                        zones[0],
                        "phone",
                        " ".join(zones),
                        "contract" if consent else None,
                        now - timedelta(days=400) if consent else None,
                        "bench" if consent else None,
                        "collections" if consent else None,
                        now - timedelta(days=3) if opted else None,
                        "channel" if opted else None,
                        "bench" if opted else None,
                        None if rng.random() < 0.2 else now - timedelta(days=300),
                        now,
                        now,
                    )
                )
        _log(f"{ACCOUNTS} debtors loaded")
        columns = (
            "id, creditor_id, debtor_id, reference, currency, disputed_at, hardship_at, promise_until, "
            "plan_status, created_at, updated_at"
        )
        with cur.copy(f"COPY accounts ({columns}) FROM STDIN") as copy:
            for i in range(1, ACCOUNTS + 1):
                currency = chosen[i - 1][2]
                roll = rng.random()
                copy.write_row(
                    (
                        i,
                        1,
                        i,
                        f"ACC-{i:08d}",
                        currency,
                        now - timedelta(days=5) if roll < 0.01 else None,
                        now - timedelta(days=5) if 0.01 <= roll < 0.02 else None,
                        (now + timedelta(days=4)).date() if 0.02 <= roll < 0.04 else None,
                        "current" if 0.04 <= roll < 0.06 else "none",
                        now,
                        now,
                    )
                )
        _log(f"{ACCOUNTS} accounts loaded")
        columns = (
            "creditor_id, account_id, reference, currency, amount_minor, outstanding_minor, due_date, "
            "payment_link, status, settled_at, created_at, updated_at"
        )
        today = now.date()
        invoice = 0
        with cur.copy(f"COPY invoices ({columns}) FROM STDIN") as copy:
            for i in range(1, ACCOUNTS + 1):
                currency = chosen[i - 1][2]
                for _ in range(2 if rng.random() < 0.2 else 1):
                    invoice += 1
                    amount = rng.choice(
                        (
                            rng.randint(1_000, 10_000),
                            rng.randint(10_000, 100_000),
                            rng.randint(100_000, 2_000_000),
                        )
                    )
                    due = today - timedelta(days=rng.randint(-10, 400))
                    settled = rng.random() < 0.15
                    outstanding = 0 if settled else (amount if rng.random() > 0.1 else amount // 2)
                    copy.write_row(
                        (
                            1,
                            i,
                            f"INV-{invoice:09d}",
                            currency,
                            amount,
                            outstanding,
                            due,
                            f"https://pay.example/i/{invoice}",
                            "settled" if settled else "open",
                            datetime.combine(
                                due + timedelta(days=rng.randint(-5, 20)), datetime.min.time(), UTC
                            )
                            if settled
                            else None,
                            now,
                            now,
                        )
                    )
        _log(f"{invoice} invoices loaded")
        columns = (
            "idempotency_key, creditor_id, account_id, debtor_id, decided_at, local_date, action, kind, stage, "
            "segments, rules, reason, jurisdiction, rules_version, inputs"
        )
        with cur.copy(f"COPY contact_decisions ({columns}) FROM STDIN") as copy:
            for i in rng.sample(range(1, ACCOUNTS + 1), ACCOUNTS // 10):
                at = now - timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8))
                stage = rng.choice(("reminder", "first_notice", "plan_offer", "final_notice"))
                copy.write_row(
                    (
                        f"{i}:{stage}:{at.date()}",
                        1,
                        i,
                        i,
                        at,
                        at.date(),
                        "send",
                        "collection",
                        stage,
                        "[]",
                        "[]",
                        "bench history",
                        "bench",
                        "bench",
                        "{}",
                    )
                )
        # Those sends went out: their outbox rows are `sent` (without a message row: no status yet).
        cur.execute(
            "INSERT INTO outbox (idempotency_key, decision_id, creditor_id, debtor_id, account_id, kind, stage, "
            "state, due_at, attempts, created_at, updated_at, sent_at) SELECT idempotency_key, id, creditor_id, "
            "debtor_id, account_id, kind, stage, 'sent', decided_at, 1, decided_at, decided_at, decided_at "
            "FROM contact_decisions"
        )
        for table in ("debtors", "accounts", "invoices", "contact_decisions", "outbox"):
            cur.execute(f"ANALYZE {table}")
        conn.commit()


def main() -> int:
    """Loads the accounts, plans them (twice: the second run must store nothing), prints the figures."""
    with scratch_postgres_database("cobro_bench_plan") as url:
        upgrade(url)
        started = time.perf_counter()
        _load(url)
        _log(f"loaded in {time.perf_counter() - started:.1f} s; planning with {WORKERS} process(es)")
        approved = catalogue_pairs()
        started = time.perf_counter()
        if WORKERS == 1:
            summary, early_rss, end_rss = _plan_here(url, approved)
        else:
            summary = plan_in_processes(url, AT, workers=WORKERS, approved=approved)
            early_rss = end_rss = 0.0
        elapsed = time.perf_counter() - started
        peak = max(_rss_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        again = time.perf_counter()
        replan = plan_in_processes(url, AT, workers=max(WORKERS, 1), approved=approved)
        replan_s = time.perf_counter() - again
        next_day = time.perf_counter()
        day2 = plan_in_processes(url, AT + timedelta(days=1), workers=max(WORKERS, 1), approved=approved)
        day2_s = time.perf_counter() - next_day
        engine = make_engine(url)
        with engine.connect() as connection:
            rows = connection.execute(select(func.count()).select_from(contact_decisions)).scalar_one()
            keys = connection.execute(
                select(func.count(func.distinct(contact_decisions.c.idempotency_key)))
            ).scalar_one()
            sends = connection.execute(
                select(func.count())
                .select_from(contact_decisions)
                .where(contact_decisions.c.action == "send")
            ).scalar_one()
            queued = connection.execute(select(func.count()).select_from(outbox)).scalar_one()
        engine.dispose()
        _log(f"actions: {dict(summary.actions)}; next day: {dict(day2.actions)}")
        print(f"plan_accounts_per_s_postgresql: {summary.accounts / elapsed:.0f} accounts/s")
        print(f"plan_seconds_postgresql: {elapsed:.1f} s")
        print(f"plan_processes: {WORKERS} processes")
        print(f"plan_decisions_stored_postgresql: {summary.stored} decisions")
        for action in ("send", "defer", "skip", "none"):
            print(f"plan_{action}_postgresql: {summary.actions.get(action, 0)} accounts")
        print(f"plan_replan_stored_postgresql: {replan.stored} decisions")
        print(f"plan_replan_seconds_postgresql: {replan_s:.1f} s")
        print(f"plan_next_day_accounts_per_s_postgresql: {day2.accounts / day2_s:.0f} accounts/s")
        print(f"plan_next_day_seconds_postgresql: {day2_s:.1f} s")
        print(f"plan_next_day_decisions_stored_postgresql: {day2.stored} decisions")
        if WORKERS == 1:
            print(f"plan_rss_at_10pct: {early_rss:.0f} MB")
            print(f"plan_rss_at_end: {end_rss:.0f} MB")
        print(f"plan_peak_rss_per_process: {peak:.0f} MB")
        print(f"plan_outbox_rows_postgresql: {queued} rows")
        bad = summary.accounts != ACCOUNTS or summary.stored == 0 or rows != keys or replan.stored != 0
        if bad or queued != sends:
            _log(
                f"FAILED: planned {summary.accounts} of {ACCOUNTS}, stored {summary.stored}, rows {rows} "
                f"keys {keys}, replan stored {replan.stored}, outbox rows {queued} for {sends} sends"
            )
            return 1
    return 0


def _plan_here(url: str, approved: frozenset[tuple[str, str]]) -> tuple[PlanSummary, float, float]:
    """One process: also samples resident memory after 10% of the accounts and at the end."""
    engine = make_engine(url)
    clock = FixedClock(AT)
    uow_factory = SqlUnitOfWorkFactory(engine, clock)
    policy = planning_policy_with(uow_factory, approved=approved)
    seen = 0
    early_rss = 0.0

    def count(_: PlannedContact) -> None:
        nonlocal seen, early_rss
        seen += 1
        if seen == ACCOUNTS // 10:
            early_rss = _current_rss_mb()

    summary = plan_contacts(uow_factory, clock, policy, at=AT, on_decision=count)
    engine.dispose()
    return summary, early_rss, _current_rss_mb()


if __name__ == "__main__":
    sys.exit(main())
