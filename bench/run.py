"""Runs every benchmark in bench/ (each `bench/*.py` but this one and the `_*.py` helpers, sorted) and prints their figures.

Environment: QUICK=1 runs each at about 1% of its size; COBRO_TEST_POSTGRES_URL names the PostgreSQL
server (each benchmark uses a database of its own on it). Exits non-zero when any benchmark fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Runs the benchmarks one after the other; returns how many failed (0 when all passed)."""
    failed = 0
    for script in sorted(
        p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_")
    ):
        print(f"bench: running {script.name}", file=sys.stderr, flush=True)
        result = subprocess.run([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, check=False)
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
        if result.returncode != 0:
            print(f"bench: {script.name} failed (exit {result.returncode})", file=sys.stderr, flush=True)
            failed += 1
    return min(failed, 1)


if __name__ == "__main__":
    sys.exit(main())
