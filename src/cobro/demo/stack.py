"""`cobro demo start`: the WhatsApp sandbox and Cobro's server side by side, wired as Meta would wire them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx


@dataclass
class DemoStack:
    """The child processes of a running demo; stopping it stops them all."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, args: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Starts one `cobro` sub-command as a child process."""
        process = subprocess.Popen([sys.executable, "-m", "cobro", *args], env=env)
        self.processes.append(process)
        return process

    def any_exited(self) -> subprocess.Popen[bytes] | None:
        """The first child that has stopped, if any."""
        return next((p for p in self.processes if p.poll() is not None), None)

    def stop(self) -> None:
        """Asks every child to stop, then kills the ones still running after five seconds."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 5
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(url: str, stack: DemoStack, timeout_s: float = 30.0) -> None:
    """Polls a URL until it answers 200; fails fast when a child process died meanwhile."""
    deadline = time.monotonic() + timeout_s
    while True:
        dead = stack.any_exited()
        if dead is not None:
            raise RuntimeError(f"{' '.join(map(str, dead.args[2:]))} exited with code {dead.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")
        time.sleep(0.2)


def run_demo_stack(
    *,
    host: str,
    port: int,
    sandbox_port: int,
    after_start: Callable[[], None],
    announce: Callable[[str], None],
) -> None:
    """Starts the sandbox and the server, runs `after_start`, then waits until Ctrl-C or a child exits."""
    env = dict(os.environ)
    env["COBRO_WHATSAPP_API_BASE"] = f"http://127.0.0.1:{sandbox_port}"  # the demo always uses the sandbox
    # Payment links point at this server; its checkout is the sandbox's, whose payment webhooks come back here.
    env["COBRO_PAYMENT_PROVIDER_URL"] = f"http://127.0.0.1:{sandbox_port}"
    env.setdefault("COBRO_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env.setdefault("COBRO_SANDBOX_PAYMENTS_WEBHOOK_URL", f"http://127.0.0.1:{port}/webhooks/payments")
    # Like Meta, the demo's sandbox now and then delivers a status twice or late, so what a person sees in
    # the demo is Cobro's idempotent, causal status handling at work (set these to 0 to turn it off).
    env.setdefault("COBRO_SANDBOX_DUPLICATE_STATUS_RATE", "0.05")
    env.setdefault("COBRO_SANDBOX_OUT_OF_ORDER_RATE", "0.05")
    stack = DemoStack()
    # A SIGTERM (from a supervisor, or `timeout`) stops the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.spawn(["sandbox", "--host", "127.0.0.1", "--port", str(sandbox_port)], env)
        stack.spawn(["serve", "--host", host, "--port", str(port)], env)
        wait_for(f"http://127.0.0.1:{sandbox_port}/sandbox/config", stack)
        wait_for(f"http://{host}:{port}/healthz", stack)
        after_start()
        announce("Ctrl-C stops the sandbox and the server.")
        while stack.any_exited() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
