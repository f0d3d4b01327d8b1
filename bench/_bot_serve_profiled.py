"""`cobro serve` with every thread under cProfile (not a benchmark: bench/run.py skips files starting with '_');
bench/bot.py starts it instead of `cobro serve` when BENCH_BOT_PROFILE=server.

Usage: python bench/_bot_serve_profiled.py OUT.prof serve --port N; SIGUSR1 starts profiling, SIGTERM stops
the server and writes OUT.prof.

cProfile follows one thread, and only from the thread itself can it be started. So every thread (the main
one: uvicorn's event loop, HTTP, the signature check and parsing; anyio's worker threads: the request's store
transaction and the WebhookProcessor's applier work) gets a light profile hook from the start, which does
nothing until SIGUSR1 arms it (after the warm-up: startup, imports and the classifier's training are not
measured); then, on its next call, each thread starts a cProfile profiler of its own. The profilers count each
thread's CPU time (time.thread_time), not the wall clock: a thread waiting on a lock, a socket or PostgreSQL
counts nothing. On SIGTERM the server shuts down and the profiles are merged into OUT.prof. cProfile slows
pure-Python code several times over, so the server answers more slowly than unprofiled; the shares are what
this run is for.
"""

from __future__ import annotations

import cProfile
import pstats
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

_armed = threading.Event()
_mine = threading.local()
_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _hook(frame: FrameType, event: str, arg: Any) -> None:
    """Until armed, nothing; once armed, replaces itself in this thread by a cProfile profiler."""
    if not _armed.is_set() or getattr(_mine, "profiler", None) is not None:
        return
    profiler = cProfile.Profile(time.thread_time)
    _mine.profiler = profiler
    with _lock:
        _profiles.append(profiler)
    profiler.enable()


def main() -> None:
    """Runs the Cobro CLI with the remaining arguments, every thread profiled once armed; writes the stats."""
    out = sys.argv[1]
    signal.signal(signal.SIGUSR1, lambda signum, frame: _armed.set())
    # uvicorn re-raises the SIGTERM it caught once it has shut down: end with SystemExit, so the profiles are
    # written, instead of dying by the default handler.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    threading.setprofile(_hook)
    sys.setprofile(_hook)
    from cobro.entrypoints.cli import app

    try:
        app(sys.argv[2:], prog_name="cobro")
    except SystemExit:
        pass
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        with _lock:
            profiles = list(_profiles)
        stats: pstats.Stats | None = None
        for profiler in profiles:
            try:
                if stats is None:
                    stats = pstats.Stats(profiler)
                else:
                    stats.add(profiler)
            except TypeError:  # a thread whose profiler recorded nothing
                continue
        if stats is not None:
            stats.dump_stats(out)


if __name__ == "__main__":
    main()
