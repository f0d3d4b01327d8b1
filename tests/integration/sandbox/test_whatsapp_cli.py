"""`cobro whatsapp` against the sandbox over real HTTP, as an operator would run it against Meta."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from tests.integration.sandbox.conftest import VERIFY_TOKEN, Receiver, Running, fast_settings, wait_for

WABA_ID = "1020000000000001"


def cobro(running: Running, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs the CLI with Cobro's WhatsApp settings pointed at the sandbox."""
    environment = os.environ | {"COBRO_WHATSAPP_API_BASE": running.url} | env
    return subprocess.run(
        [sys.executable, "-m", "cobro", "whatsapp", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_templates_lists_each_template_with_its_review_outcome(sandbox: Running) -> None:
    body = {
        "type": "BODY",
        "text": "Hola {{1}}, tu factura {{2}} vence pronto. Gracias por tu atención.",
        "example": {"body_text": [["Ana", "F-1"]]},
    }
    for name, text in (
        ("recordatorio", body["text"]),
        ("amenaza", "Hola {{1}}, pague {{2}} o iremos a juicio y a la cárcel. Gracias."),
    ):
        definition = {**body, "text": text}
        sandbox.http.post(
            sandbox.graph(f"{WABA_ID}/message_templates"),
            json={"name": name, "language": "es", "category": "UTILITY", "components": [definition]},
        ).raise_for_status()
    wait_for(
        lambda: all(
            t["status"] != "PENDING"
            for t in sandbox.http.get(sandbox.graph(f"{WABA_ID}/message_templates")).json()["data"]
        ),
        message="both reviews",
    )
    result = cobro(sandbox, "templates")
    assert result.returncode == 0, result.stderr
    lines = {
        line.split()[1]: line for line in result.stdout.splitlines() if "│ " in line and "UTILITY" in line
    }
    assert "APPROVED" in lines["recordatorio"]
    assert "REJECTED" in lines["amenaza"]
    assert "ABUSIVE_CONTENT" in lines["amenaza"]
    assert "2 template(s)" in result.stdout


def test_a_wrong_token_is_one_error_line_with_metas_code(sandbox: Running) -> None:
    result = cobro(sandbox, "templates", COBRO_WHATSAPP_ACCESS_TOKEN="not-the-token")
    assert result.returncode == 1
    assert "error 190" in result.stderr
    assert "not-the-token" not in result.stderr + result.stdout


def test_subscribe_runs_the_handshake_and_moves_the_webhooks(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    running = start_sandbox(fast_settings())
    result = cobro(running, "subscribe", "--callback-url", url, COBRO_WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN)
    assert result.returncode == 0, result.stderr
    [handshake] = [r for r in rec.requests if r.method == "GET"]
    assert handshake.query["hub.verify_token"] == [VERIFY_TOKEN]
    running.http.post(f"{running.url}/sandbox/phones/+5215512345678/messages", json={"text": "hola"})
    wait_for(rec.posts, message="the inbound webhook at the new callback")


def test_subscribe_fails_when_the_handshake_is_refused(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    running = start_sandbox(fast_settings())
    result = cobro(running, "subscribe", "--callback-url", url, COBRO_WHATSAPP_VERIFY_TOKEN="wrong-token")
    assert result.returncode == 1
    assert "error 2200" in result.stderr
