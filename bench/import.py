"""Benchmark of `cobro import accounts` on SQLite and PostgreSQL, against PostgreSQL's own COPY of the file.

Generates a fixed-seed CSV of 1,000,000 rows (QUICK=1: 10,000) into bench/out/ (kept for the next run),
migrates a fresh SQLite file and a fresh PostgreSQL database (`cobro_bench` on the COBRO_TEST_POSTGRES_URL
server, dropped afterwards), then times the whole import command, and a second, idempotent import of the
same file, each in a fresh child process. Prints one `name: value unit` line per figure; progress on stderr.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import islice
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from _databases import scratch_postgres_database  # bench/ is on sys.path
from cobro.demo.accounts import AccountRowGenerator
from cobro.domain.imports import CANONICAL_COLUMNS

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
QUICK = os.environ.get("QUICK", "") not in ("", "0")
ROWS = 10_000 if QUICK else 1_000_000
SEED = 20261123
TODAY = date(2026, 11, 23)
BENCH_DB = "cobro_bench"
CREDITOR = "bench"


def log(message: str) -> None:
    """Progress for the person watching (stderr, never stdout)."""
    print(f"  [import] {message}", file=sys.stderr, flush=True)


def figure(name: str, value: float | int, unit: str) -> None:
    """One result line: `name: value unit`."""
    shown = f"{value:.3g}" if isinstance(value, float) else str(value)
    print(f"{name}: {shown} {unit}", flush=True)


def accounts_csv(rows: int, seed: int) -> Path:
    """The benchmark's CSV, generated once per (rows, seed) and reused afterwards."""
    path = OUT / f"accounts-{rows}-seed{seed}.csv"
    if path.exists():
        log(f"reusing {path.relative_to(HERE.parent)}")
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    log(f"generating {rows:,} rows into {path.relative_to(HERE.parent)} (slow; kept for the next run)")
    started = time.perf_counter()
    generator = AccountRowGenerator(seed, TODAY)
    with tempfile.NamedTemporaryFile(
        "w", dir=OUT, suffix=".tmp", delete=False, newline="", encoding="utf-8"
    ) as f:
        writer = csv.writer(f)
        writer.writerow(CANONICAL_COLUMNS)
        for row in islice(generator.debtors(rows), rows):  # a debtor has at least one row
            writer.writerow([row[c] for c in CANONICAL_COLUMNS])
    Path(f.name).replace(path)
    log(f"generated in {time.perf_counter() - started:.0f} s")
    return path


def cobro(database_url: str, *args: str) -> str:
    """Runs a cobro command on a database; its stdout, or a failure naming what went wrong."""
    env = {**os.environ, "COBRO_DATABASE_URL": database_url}
    result = subprocess.run([str(BIN / "cobro"), *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"cobro {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


def timed_import(database_url: str, path: Path) -> tuple[float, int, str]:
    """Seconds, peak RSS in MB (largest single process: the command or one of its workers), and stdout."""
    env = {**os.environ, "COBRO_DATABASE_URL": database_url}
    command = [str(BIN / "cobro"), "import", "accounts", str(path), "--creditor", CREDITOR]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        # wait4 gives this child's own rusage; its ru_maxrss is the largest of it and its waited-for children.
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"import failed ({process.returncode}):\n{stdout[-2000:]}\n{stderr[-3000:]}")
    return elapsed, usage.ru_maxrss // 1024, stdout


def check_counts(stdout: str, rows: int, reimport: bool) -> None:
    """Fails the benchmark unless the import stored every row (a re-import: left every row unchanged)."""
    found = re.search(r"imported; (\d+) rows", stdout)
    if not found or int(found.group(1)) != rows:
        raise SystemExit(f"expected {rows} imported rows, got:\n{stdout}")
    unchanged = re.search(r"unchanged (\d+)", stdout)
    if reimport and (not unchanged or int(unchanged.group(1)) != rows or "updated 0" not in stdout):
        raise SystemExit(f"the re-import changed something:\n{stdout}")


def bench_database(label: str, database_url: str, path: Path, rows: int) -> float:
    """Migrates, adds the creditor, imports twice; prints the figures and returns the first import's seconds."""
    log(f"{label}: migrating")
    cobro(database_url, "db", "upgrade")
    cobro(
        database_url, "creditor", "add", CREDITOR, "--name", "Bench", "--country", "ES", "--currency", "EUR"
    )
    log(f"{label}: importing {rows:,} rows")
    seconds, rss, stdout = timed_import(database_url, path)
    check_counts(stdout, rows, reimport=False)
    log(f"{label}: imported in {seconds:.1f} s, peak RSS {rss} MB; importing again")
    again, again_rss, stdout = timed_import(database_url, path)
    check_counts(stdout, rows, reimport=True)
    log(f"{label}: re-imported in {again:.1f} s, peak RSS {again_rss} MB")
    figure(f"import.{label}.seconds", seconds, "s")
    figure(f"import.{label}.rows_per_s", round(rows / seconds), "rows/s")
    figure(f"import.{label}.peak_rss", rss, "MB")
    figure(f"import.{label}.reimport_seconds", again, "s")
    figure(f"import.{label}.reimport_rows_per_s", round(rows / again), "rows/s")
    figure(f"import.{label}.reimport_peak_rss", again_rss, "MB")
    return seconds


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A fresh SQLite file under bench/out/, removed afterwards."""
    OUT.mkdir(parents=True, exist_ok=True)
    base = OUT / "bench.sqlite"
    files = [base, *(base.with_name(base.name + s) for s in ("-wal", "-shm", "-journal"))]
    for f in files:
        f.unlink(missing_ok=True)
    try:
        yield f"sqlite:///{base}"
    finally:
        for f in files:
            f.unlink(missing_ok=True)


def copy_reference(database_url: str, path: Path) -> float:
    """Seconds PostgreSQL takes to COPY the raw CSV into an unconstrained table of text columns."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in CANONICAL_COLUMNS)
        conn.execute(sql.SQL("CREATE TABLE copy_reference ({})").format(columns))
        conn.commit()
        started = time.perf_counter()
        command = "COPY copy_reference FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, path.open("rb") as f, cursor.copy(command) as copy:
            while block := f.read(1 << 20):
                copy.write(block)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE copy_reference")
        conn.commit()
    return elapsed


def main() -> None:
    """Generates the file, benchmarks both databases and prints the figures."""
    path = accounts_csv(ROWS, SEED)
    with path.open(encoding="utf-8") as f:
        rows = sum(1 for _ in f) - 1  # no field of the generated file holds a line break
    figure("import.rows", rows, "rows")
    figure("import.file_size", round(path.stat().st_size / 1e6), "MB")
    with sqlite_database() as url:
        bench_database("sqlite", url, path, rows)
    with scratch_postgres_database(BENCH_DB) as url:
        seconds = bench_database("postgres", url, path, rows)
        log("postgres: COPY reference")
        reference = copy_reference(url, path)
    figure("import.postgres.copy_reference", reference, "s")
    figure("import.postgres.vs_copy", seconds / reference, "x")


if __name__ == "__main__":
    main()
