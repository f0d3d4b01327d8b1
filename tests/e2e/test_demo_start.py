"""`cobro demo start` (what `make demo` runs): the sandbox and Cobro come up wired, a reminder reaches a
debtor's phone, a tap on it is recorded by Cobro, and stopping the demo stops both servers."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cobro(args: list[str], env: dict[str, str], cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "cobro", *args], env=env, cwd=cwd, check=True, capture_output=True)


def _wait_for_line(process: subprocess.Popen[str], pattern: str, deadline_s: float) -> re.Match[str]:
    """Reads the demo's output until a line matches, failing with what it printed at the deadline."""
    seen: list[str] = []
    end = time.monotonic() + deadline_s
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < end:
        line = process.stdout.readline()
        if line:
            seen.append(line)
            if match := re.search(pattern, line):
                return match
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.05)
    raise AssertionError(f"no line matching {pattern!r}; the demo printed:\n{''.join(seen)}")


def test_demo_start_sends_a_reminder_records_the_tap_and_stops_both_servers(tmp_path: Path) -> None:
    database = tmp_path / "cobro.db"
    port, sandbox_port = _free_port(), _free_port()
    env = os.environ | {
        "COBRO_DATABASE_URL": f"sqlite:///{database}",
        "COBRO_SANDBOX_REVIEW_DELAY": "0.05",
        "COBRO_SANDBOX_DELIVERED_DELAY": "0",
        "COBRO_SANDBOX_READ_PROBABILITY": "0",
    }
    _cobro(["db", "upgrade"], env, tmp_path)
    _cobro(["demo", "seed", "--debtors", "40"], env, tmp_path)
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cobro",
            "demo",
            "start",
            "--port",
            str(port),
            "--sandbox-port",
            str(sandbox_port),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        match = _wait_for_line(demo, r"A reminder went to (\S+/phone/(\+\d+))", deadline_s=40)
        phone = match.group(2)
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        [reminder] = httpx.get(f"{sandbox}/sandbox/phones/{phone}/messages").json()["messages"]
        assert reminder["type"] == "template"
        assert [b["title"] for b in reminder["render"]["buttons"]] == [
            "Pagar ahora",
            "Plan de pagos",
            "Hablar con alguien",
        ]
        httpx.post(
            f"{sandbox}/sandbox/phones/{phone}/messages",
            json={"button": {"payload": "PAY_NOW", "text": "Pagar ahora"}, "context": reminder["id"]},
        ).raise_for_status()

        def recorded() -> list[tuple[str, str]]:
            with sqlite3.connect(database) as connection:
                return connection.execute(
                    "SELECT kind, data FROM audit_events WHERE kind IN ('message.accepted', 'reply.received')"
                ).fetchall()

        end = time.monotonic() + 30
        while "reply.received" not in (kinds := [kind for kind, _ in recorded()]) and time.monotonic() < end:
            time.sleep(0.1)
        assert kinds.count("reply.received") == 1
        assert any("PAY_NOW" in data for kind, data in recorded() if kind == "reply.received")
        # The bot answers the tap on the phone: before anything about the debt, who is this?
        end = time.monotonic() + 20
        while time.monotonic() < end:
            messages = httpx.get(f"{sandbox}/sandbox/phones/{phone}/messages").json()["messages"]
            if "número de cliente" in json.dumps(messages, ensure_ascii=False):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the bot's answer never reached the phone: {messages}")
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=15)
    for port_number in (port, sandbox_port):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port_number)) != 0, f"port {port_number} still answers"
