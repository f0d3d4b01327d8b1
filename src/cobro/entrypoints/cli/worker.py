"""`cobro worker`, `cobro send` and `cobro outbox`: run the send pipeline and look after what it could not settle."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import typer

from cobro.domain.errors import InvalidInput, NotFound
from cobro.domain.outbox import OutboxState
from cobro.entrypoints.cli.context import container, err, out

outbox_app = typer.Typer(
    help="The outbox: what was planned, sent, failed, or waits for a person.", no_args_is_help=True
)

# What `cobro send` waits for: rows a worker can still move on its own right now.
_MOVING = (OutboxState.QUEUED, OutboxState.SENDING)


def worker(
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Send tasks in flight at once."),
    http_port: int = typer.Option(
        9400, "--http-port", help="Port of /healthz, /readyz and /metrics; 0 turns them off."
    ),
    http_host: str = typer.Option("127.0.0.1", "--http-host", help="Address of those endpoints."),
    dispatch: bool = typer.Option(
        True, "--dispatch/--no-dispatch", help="Also move due outbox rows to the broker and sweep."
    ),
) -> None:
    """Sends the outbox: consumes send tasks from COBRO_QUEUE_URL until SIGTERM or Ctrl-C, then finishes
    the sends in flight and stops."""
    from cobro.entrypoints.worker import SendWorker, serve_operations

    c = container()
    send_worker = SendWorker(c, concurrency=concurrency, dispatch=dispatch)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    send_worker.start()
    server = serve_operations(send_worker, http_host, http_port) if http_port else None
    broker = c.settings.queue_url.split("@")[-1] if c.settings.queue_url else "in-process"
    out.print(
        f"worker {send_worker.sender.worker}: {concurrency} tasks in flight, broker {broker}, "
        f"database {c.engine.url.get_backend_name()}"
        + (f", metrics at http://{http_host}:{http_port}/metrics" if server else "")
    )
    while not stop.wait(0.5):
        pass
    out.print("stopping: finishing the sends in flight ...")
    if server is not None:
        server.shutdown()
    send_worker.stop()
    c.close()


def send(
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Show progress until nothing is queued or sending."
    ),
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="In laptop mode: tasks in flight."),
    timeout: float = typer.Option(0, "--timeout", help="Stop waiting after this many seconds (0: no limit)."),
) -> None:
    """Sends every due outbox row now. With a broker (COBRO_QUEUE_URL) it queues them for the workers and
    follows their progress; without one it sends them in this process."""
    from cobro.entrypoints.worker import SendWorker

    c = container()
    laptop = not c.settings.queue_url
    send_worker = SendWorker(c, concurrency=concurrency, dispatch=False)
    if laptop:
        send_worker.start()
    started = time.monotonic()
    first = _open_counts(c)
    queued = 0
    try:
        while True:
            moved = send_worker.dispatch_once()
            queued += moved
            counts = _open_counts(c)
            line = _progress_line(counts, first, started)
            if wait:
                err.print(line, end="\r")
            if not wait or (moved == 0 and not any(counts.get(s, 0) for s in _MOVING)):
                break
            if timeout and time.monotonic() - started > timeout:
                err.print()
                err.print(f"still moving after {timeout:g} s; the workers carry on")
                break
            time.sleep(0.5)
        if wait:
            err.print()
        send_worker.sweep_once()
    finally:
        if laptop:
            send_worker.stop()
        else:
            send_worker.engine.close()
    final = _open_counts(c, every=True)
    summary = ", ".join(
        f"{state.value} {final.get(state, 0)}" for state in OutboxState if final.get(state, 0)
    )
    out.print(f"queued {queued} in {time.monotonic() - started:.1f} s; outbox: {summary or 'empty'}")
    c.close()


@outbox_app.command("list")
def list_rows(
    state: list[OutboxState] = typer.Option(
        [OutboxState.REVIEW, OutboxState.UNKNOWN, OutboxState.FAILED],
        "--state",
        "-s",
        help="States to list (repeat the option); by default what needs a person.",
    ),
    limit: int = typer.Option(50, "--limit", min=1),
) -> None:
    """Lists outbox rows with their reason: by default those a person must look at."""
    c = container()
    with c.uow_factory() as uow:
        counts = uow.outbox.counts()
        rows = uow.outbox.records(state, limit)
    out.print("outbox: " + (", ".join(f"{s.value} {n}" for s, n in counts.items() if n) or "empty"))
    for row in rows:
        out.print(
            f"#{row.id} {row.state.value:<9} {row.kind} {row.template or '-'} debtor {row.debtor_id} "
            f"attempts {row.attempts} updated {row.updated_at:%Y-%m-%d %H:%M:%S}Z"
            + (f" wamid {row.wamid}" if row.wamid else "")
        )
        if row.reason:
            out.print(f"    {row.reason}")
    c.close()


@outbox_app.command("resolve")
def resolve(
    outbox_id: int = typer.Argument(..., help="The outbox row."),
    outcome: str = typer.Option(
        ...,
        "--as",
        help="sent (it reached the debtor), failed (it did not; do not send), retry (send it again).",
    ),
    reason: str = typer.Option(..., "--reason", help="Why: what the person checked."),
    wamid: str | None = typer.Option(None, "--wamid", help="The message id, when known."),
) -> None:
    """A person's decision on a row whose outcome is unknown or in review."""
    states = {"sent": OutboxState.SENT, "failed": OutboxState.FAILED, "retry": OutboxState.PLANNED}
    if outcome not in states:
        raise InvalidInput("--as must be sent, failed or retry")
    c = container()
    with c.uow_factory() as uow:
        changed = uow.outbox.resolve(outbox_id, states[outcome], reason, c.clock.now(), wamid=wamid)
        uow.commit()
    c.close()
    if not changed:
        raise NotFound(f"outbox row {outbox_id} is not waiting for a person (unknown or review)")
    out.print(f"outbox row {outbox_id}: {states[outcome].value}")


def _open_counts(c: Any, every: bool = False) -> dict[OutboxState, int]:
    with c.uow_factory() as uow:
        return uow.outbox.counts(None if every else [*_MOVING, OutboxState.PLANNED, OutboxState.UNKNOWN])


def _progress_line(counts: dict[OutboxState, int], first: dict[OutboxState, int], started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-6)
    waiting = sum(first.get(s, 0) for s in (OutboxState.PLANNED, *_MOVING))
    left = sum(counts.get(s, 0) for s in (OutboxState.PLANNED, *_MOVING))
    done = max(waiting - left, 0)
    return (
        f"sent or settled {done:,} of {waiting:,} ({done / elapsed:,.0f}/s); queued "
        f"{counts.get(OutboxState.QUEUED, 0):,}, sending {counts.get(OutboxState.SENDING, 0):,}, "
        f"unknown {counts.get(OutboxState.UNKNOWN, 0):,}, planned later {counts.get(OutboxState.PLANNED, 0):,}"
    )
