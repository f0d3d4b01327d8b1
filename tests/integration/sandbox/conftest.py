"""The sandbox on a free port (uvicorn in a thread) and a tiny webhook receiver that records every request."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import uvicorn

from cobro.sandbox.settings import SandboxSettings

ACCESS_TOKEN = "sandbox-access-token"
APP_SECRET = "sandbox-app-secret"
VERIFY_TOKEN = "receiver-verify-token"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """A uvicorn server running an ASGI app in a background thread."""

    def __init__(self, app: Any, port: int) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Recorded:
    """One request the receiver got."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint: answers Meta's handshake when the token matches, records POSTs, fails on demand."""

    verify_token: str = VERIFY_TOKEN
    fail_next_posts: int = 0
    requests: list[Recorded] = field(default_factory=list)

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        query = parse_qs(scope["query_string"].decode())
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Recorded(scope["method"], scope["path"], query, headers, body))
        status, answer = 200, b"EVENT_RECEIVED"
        if scope["method"] == "GET":
            ok = query.get("hub.mode") == ["subscribe"] and query.get("hub.verify_token") == [
                self.verify_token
            ]
            status, answer = (200, query["hub.challenge"][0].encode()) if ok else (403, b"Forbidden")
        elif self.fail_next_posts > 0:
            self.fail_next_posts -= 1
            status, answer = 500, b"boom"
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": answer})

    def posts(self) -> list[Recorded]:
        """The webhook deliveries so far."""
        return [r for r in self.requests if r.method == "POST"]


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, message: str = "condition") -> Any:
    """Polls until predicate() is truthy; returns its value or fails the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {message}")
        time.sleep(0.01)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """The receiver and its webhook URL."""
    rec = Receiver()
    with ServerThread(rec, free_port()) as server:
        yield rec, f"{server.url}/webhooks/whatsapp"


def fast_settings(**overrides: Any) -> SandboxSettings:
    """Settings with time made fast: statuses almost at once, templates reviewed in 50 ms, quick retries."""
    values: dict[str, Any] = {
        "review_delay": 0.05,
        "sent_delay": 0.0,
        "delivered_delay": 0.0,
        "read_delay": 0.0,
        "delivered_probability": 1.0,
        "read_probability": 1.0,
        "webhook_flush_interval": 0.01,
        "webhook_retry_delays": [0.05, 0.05, 0.1],
        "seed": 7,
    }
    values.update(overrides)
    return SandboxSettings(**values)


@dataclass
class Running:
    """A running sandbox: its base URL, the app object and an HTTP client."""

    url: str
    app: Any
    http: httpx.Client

    @property
    def sandbox(self) -> Any:
        """The Sandbox behind the app (state, dispatcher, settings)."""
        return self.app.state.sandbox

    def graph(self, path: str) -> str:
        """A Graph URL under v23.0."""
        return f"{self.url}/v23.0/{path}"


@pytest.fixture
def start_sandbox() -> Iterator[Callable[[SandboxSettings], Running]]:
    """Starts sandboxes on free ports; stops them after the test."""
    from cobro.sandbox.app import create_sandbox_app

    stack: list[tuple[ServerThread, httpx.Client]] = []

    def start(settings: SandboxSettings) -> Running:
        port = free_port()
        settings = settings.model_copy(update={"port": port})
        app = create_sandbox_app(settings)
        server = ServerThread(app, port).__enter__()
        client = httpx.Client(timeout=5, headers={"Authorization": f"Bearer {ACCESS_TOKEN}"})
        stack.append((server, client))
        return Running(server.url, app, client)

    yield start
    for server, client in stack:
        client.close()
        server.__exit__(None, None, None)


@pytest.fixture
def sandbox(start_sandbox: Callable[[SandboxSettings], Running], receiver: tuple[Receiver, str]) -> Running:
    """A fast sandbox whose webhooks go to the receiver."""
    return start_sandbox(fast_settings(callback_url=receiver[1]))
