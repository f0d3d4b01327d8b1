"""pywa, a Cloud API client Cobro did not write, works against the sandbox by changing its base URL only.

It sends a template and an interactive message, and its own webhook handler checks the signatures of the
sandbox's deliveries and parses them into its types (decision 0023).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pywa import WhatsApp, types
from pywa.types.templates import TemplateLanguage

from tests.integration.sandbox.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    Receiver,
    Running,
    fast_settings,
    wait_for,
)

PHONE_NUMBER_ID = "1090000000000001"
WABA_ID = "1020000000000001"
PERSON = "5215512345678"


@pytest.fixture
def pywa_setup(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> Iterator[tuple[WhatsApp, Running, Receiver, list[tuple[str, Any]]]]:
    """A sandbox posting one status per delivery (pywa reads the first of each), and pywa pointed at it."""
    rec, url = receiver
    running = start_sandbox(fast_settings(callback_url=url, webhook_batch_size=1))
    session = httpx.Client(timeout=5)
    wa = WhatsApp(
        phone_id=PHONE_NUMBER_ID,
        token=ACCESS_TOKEN,
        session=session,
        app_secret=APP_SECRET,
        verify_token="unused",
        waba_id=WABA_ID,
        api_version="23.0",
    )
    # The one change a pywa user makes: the Graph base URL of pywa's HTTP session.
    session.base_url = f"{running.url}/v23.0"
    seen: list[tuple[str, Any]] = []
    wa.on_message()(lambda _, msg: seen.append(("message", msg)))
    wa.on_callback_button()(lambda _, button: seen.append(("button", button)))
    wa.on_message_status()(lambda _, status: seen.append(("status", status)))
    wa.on_template_status_update()(lambda _, update: seen.append(("template", update)))
    yield wa, running, rec, seen
    session.close()


def deliver(wa: WhatsApp, rec: Receiver, already: int) -> int:
    """Hands every new webhook POST to pywa, signature first; returns how many were handed over."""
    posts = rec.posts()
    for post in posts[already:]:
        refused = wa.webhook_update_validator(post.body, post.headers.get("x-hub-signature-256"))
        assert refused is None, refused
        assert wa.webhook_update_handler(post.body) == ("ok", 200)
    return len(posts)


def test_pywa_sends_a_template_and_parses_the_reply_and_statuses(pywa_setup) -> None:
    wa, running, rec, seen = pywa_setup
    created = running.http.post(
        running.graph(f"{WABA_ID}/message_templates"),
        json={
            "name": "payment_reminder",
            "language": "en_US",
            "category": "UTILITY",
            "components": [
                {
                    "type": "BODY",
                    "text": "Hello {{1}}, invoice {{2}} for {{3}} is due soon. Reply below, thank you.",
                    "example": {"body_text": [["Ana", "F-1", "$10.00"]]},
                },
                {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Pay now"}]},
            ],
        },
    )
    assert created.json()["status"] == "PENDING"
    handed = 0

    def template_update() -> Any:
        nonlocal handed
        handed = deliver(wa, rec, handed)
        return [u for kind, u in seen if kind == "template"]

    [update] = wait_for(template_update, message="pywa to parse the template review")
    assert update.template_name == "payment_reminder"
    assert str(update.new_status) == "APPROVED"

    sent = wa.send_template(
        to=PERSON,
        name="payment_reminder",
        language=TemplateLanguage.ENGLISH_US,
        params=[
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Ana"},
                    {"type": "text", "text": "F-1001"},
                    {
                        "type": "currency",
                        "currency": {"fallback_value": "$1,250.00", "code": "MXN", "amount_1000": 1250000},
                    },
                ],
            },
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "PAY_NOW"}],
            },
        ],
        tracker="outbox-17",
    )
    assert sent.id.startswith("wamid.")
    httpx.post(
        f"{running.url}/sandbox/phones/+{PERSON}/messages",
        json={"button": {"payload": "PAY_NOW", "text": "Pay now"}, "context": sent.id},
    ).raise_for_status()

    def parsed() -> Any:
        nonlocal handed
        handed = deliver(wa, rec, handed)
        statuses = {str(s.status) for kind, s in seen if kind == "status" and s.id == sent.id}
        buttons = [b for kind, b in seen if kind == "button"]
        return (statuses >= {"sent", "delivered", "read"} and buttons) and (statuses, buttons)

    _statuses, [button] = wait_for(parsed, message="pywa to parse the statuses and the tap")
    assert button.data == "PAY_NOW"
    assert button.reply_to_message.id == sent.id
    tracked = {s.tracker for kind, s in seen if kind == "status" and s.id == sent.id}
    assert tracked == {"outbox-17"}


def test_pywa_sends_reply_buttons_inside_the_window_and_parses_the_text_that_opened_it(pywa_setup) -> None:
    wa, running, rec, seen = pywa_setup
    httpx.post(f"{running.url}/sandbox/phones/+{PERSON}/messages", json={"text": "hola, cuánto debo?"})
    handed = 0

    def text() -> Any:
        nonlocal handed
        handed = deliver(wa, rec, handed)
        return [m for kind, m in seen if kind == "message"]

    [message] = wait_for(text, message="pywa to parse the inbound text")
    assert message.text == "hola, cuánto debo?"
    assert message.from_user.wa_id == PERSON

    sent = wa.send_message(
        to=PERSON,
        text="What would you like to do?",
        buttons=[
            types.Button(title="Pay now", callback_data="PAY_NOW"),
            types.Button(title="Talk to someone", callback_data="AGENT"),
        ],
    )
    chat = httpx.get(f"{running.url}/sandbox/phones/+{PERSON}/messages").json()["messages"]
    [shown] = [m for m in chat if m["id"] == sent.id]
    assert [b["title"] for b in shown["render"]["buttons"]] == ["Pay now", "Talk to someone"]
