"""Whole flows in a browser: the sandbox and Cobro as real processes, Debian's Chromium driven by Playwright.

The two servers start once per session (each test uses its own phone number, so tests stay independent);
every test gets a fresh browser page. Nothing here downloads a browser: `playwright install` is never run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Off the network and quiet: no updates, no sync, no first-run UI (docs/decisions/0024).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WEBHOOK_PATH = "/webhooks/whatsapp"
STARTUP_DEADLINE = 20.0
GRAPH_VERSION = "v23.0"

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], *, timeout: float = 5.0, what: str = "the condition") -> T:
    """Polls `check` until it returns something truthy; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A server process of this test session, its address and where its output goes."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stops the process: politely first."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start(name: str, args: list[str], env: dict[str, str], url: str, workdir: Path) -> Server:
    log = workdir / f"{name}.log"
    # Started in the work directory so no developer .env is read; the package comes from the interpreter.
    process = subprocess.Popen(
        [sys.executable, "-m", "cobro", *args],
        cwd=workdir,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Server(name, url, process, log)


def _wait_ready(server: Server, path: str, deadline: float) -> None:
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(server.url + path, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not answer {path} in time:\n{server.log_tail()}")
        time.sleep(0.05)


def _environment(**overrides: str) -> dict[str, str]:
    """This process's environment without any COBRO_ setting, plus the given ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COBRO_")}
    env.update(overrides)
    return env


@dataclass
class Stack:
    """The sandbox and Cobro, running and wired to each other."""

    sandbox: Server
    cobro: Server
    database_url: str
    env: dict[str, str]  # Cobro's environment, for CLI commands on the same database


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The sandbox and Cobro's server on free ports, each told where the other is; a migrated SQLite file."""
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'cobro.db'}"
    sandbox_port, cobro_port = _free_port(), _free_port()
    sandbox_url, cobro_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{cobro_port}"

    cobro_env = _environment(
        COBRO_DATABASE_URL=database_url,
        COBRO_WHATSAPP_API_BASE=sandbox_url,
        COBRO_LOG_LEVEL="WARNING",
        COBRO_PUBLIC_URL=cobro_url,
        COBRO_PAYMENT_PROVIDER_URL=sandbox_url,
        COBRO_DISPATCH_EVERY_SECONDS="0.1",
        COBRO_PLAN_EVERY_SECONDS="0",
    )
    migrated = subprocess.run(
        [sys.executable, "-m", "cobro", "db", "upgrade"],
        cwd=workdir,
        env=cobro_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"cobro db upgrade failed:\n{migrated.stdout}\n{migrated.stderr}")

    # Quick and certain: templates approved at once, every message delivered, and read only when the page
    # says so, which is what the phone page is for.
    sandbox_env = _environment(
        COBRO_SANDBOX_CALLBACK_URL=cobro_url + WEBHOOK_PATH,
        COBRO_SANDBOX_REVIEW_DELAY="0.05",
        COBRO_SANDBOX_SENT_DELAY="0.02",
        COBRO_SANDBOX_DELIVERED_PROBABILITY="1",
        COBRO_SANDBOX_DELIVERED_DELAY="0.05",
        COBRO_SANDBOX_READ_PROBABILITY="0",
        COBRO_SANDBOX_WEBHOOK_FLUSH_INTERVAL="0.02",
        COBRO_SANDBOX_WEBHOOK_RETRY_DELAYS="[0.2, 0.5, 1]",
        COBRO_SANDBOX_SEED="7",
        COBRO_SANDBOX_PAYMENTS_WEBHOOK_URL=cobro_url + "/webhooks/payments",
    )
    servers: list[Server] = []
    try:
        servers.append(
            _start("sandbox", ["sandbox", "--port", str(sandbox_port)], sandbox_env, sandbox_url, workdir)
        )
        servers.append(_start("cobro", ["serve", "--port", str(cobro_port)], cobro_env, cobro_url, workdir))
        deadline = time.monotonic() + STARTUP_DEADLINE
        _wait_ready(servers[0], "/sandbox/config", deadline)
        _wait_ready(servers[1], "/healthz", deadline)
        yield Stack(sandbox=servers[0], cobro=servers[1], database_url=database_url, env=cobro_env)
    finally:
        for server in servers:
            server.stop()


class Graph:
    """Cobro's side of the conversation, spoken as plain Graph API JSON to the sandbox."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=5)
        config = self.http.get("/sandbox/config").raise_for_status().json()
        self.http.headers["Authorization"] = f"Bearer {config['access_tokens'][0]}"
        self.waba_id = str(config["waba_id"])
        self.phone_number_id = str(config["business_numbers"][0]["id"])

    def create_template(self, template: dict[str, Any]) -> str:
        """Submits a template for review; returns its id."""
        created = self._ok(
            self.http.post(f"/{GRAPH_VERSION}/{self.waba_id}/message_templates", json=template)
        )
        return str(created["id"])

    def wait_until_approved(self, name: str, timeout: float = 5.0) -> None:
        """Waits until review has approved the template, failing at once if it was rejected."""

        def approved() -> bool:
            listed = self._ok(
                self.http.get(f"/{GRAPH_VERSION}/{self.waba_id}/message_templates", params={"name": name})
            )
            statuses = {t.get("status") for t in listed["data"] if t.get("name") == name}
            if "REJECTED" in statuses:
                raise AssertionError(f"template {name} was rejected: {listed['data']}")
            return "APPROVED" in statuses

        wait_for(approved, timeout=timeout, what=f"template {name} to be approved")

    def send(self, message: dict[str, Any]) -> str:
        """Sends one message from the business number; returns its wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        sent = self._ok(self.http.post(f"/{GRAPH_VERSION}/{self.phone_number_id}/messages", json=body))
        return str(sent["messages"][0]["id"])

    def phone_messages(self, phone: str) -> list[dict[str, Any]]:
        """The phone's chat as the sandbox keeps it (its own API, not Meta's)."""
        answer: list[dict[str, Any]] = self._ok(self.http.get(f"/sandbox/phones/{phone}/messages"))[
            "messages"
        ]
        return answer

    @staticmethod
    def _ok(response: httpx.Response) -> dict[str, Any]:
        if response.is_error:
            raise AssertionError(
                f"{response.request.method} {response.request.url.path} answered {response.status_code}: {response.text}"
            )
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture(scope="package")
def graph(stack: Stack) -> Iterator[Graph]:
    """A Graph API client on the sandbox, with the sandbox's own token and ids."""
    client = Graph(stack.sandbox.url)
    yield client
    client.http.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A fresh page, desktop sized so the phone shows in its frame; script errors fail the test."""
    context = browser.new_context(base_url=stack.sandbox.url, viewport={"width": 900, "height": 900})
    context.set_default_timeout(5000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page raised: {errors}"
