"""A dialogue end to end with the sandbox in the loop, in es, en, pt and it: the phone writes through the
sandbox's phone API, the sandbox posts the signed webhook (recorded by a receiver and forwarded to Cobro's
endpoint as is), the bot answers into the outbox, and the send pipeline delivers each answer to the
sandbox's Graph API, where the phone shows it: the text, the reply buttons and the list exactly as written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cobro.adapters.db.tables import outbox
from tests.integration.conversations.dialogue import (
    AMOUNT_MINOR,
    ASK_BALANCE,
    PROFILES,
    Harness,
    Reply,
    balance_text,
    expected,
    label,
    next_buttons,
    outbox_rows,
)
from tests.integration.sandbox import conftest as sandbox_fixtures
from tests.integration.sandbox.conftest import APP_SECRET, Receiver, Running, fast_settings, wait_for
from tests.integration.sending.pipeline import dispatch, make_sender, run_batches

receiver = sandbox_fixtures.receiver
start_sandbox = sandbox_fixtures.start_sandbox


@pytest.fixture
def app_secret() -> str:
    """Cobro checks the sandbox's signatures."""
    return APP_SECRET


class PhoneChat:
    """The debtor's phone in the sandbox, talking to Cobro."""

    def __init__(self, harness: Harness, running: Running, receiver: Receiver, phone: str) -> None:
        self.harness, self.running, self.receiver, self.phone = harness, running, receiver, phone
        self.forwarded = 0

    def send(self, **body: Any) -> Reply:
        """The phone sends `body` (text=..., button_reply={...}); Cobro answers; the answer is sent."""
        h = self.harness
        before = h.last_outbox_id()
        sent = self.running.http.post(f"{self.running.url}/sandbox/phones/{self.phone}/messages", json=body)
        assert sent.status_code == 200, sent.text
        wamid = sent.json()["id"]
        h.clock.set(datetime.now(UTC))  # the sandbox stamps the message with the wall clock
        wait_for(lambda: any(wamid.encode() in p.body for p in self.receiver.posts()), message="the webhook")
        self._forward()
        reply = h.answer_to(wamid, before)
        batches = dispatch(h.container.uow_factory, h.clock)
        results = run_batches(make_sender(h.container.uow_factory, h.clock, self.running.url), batches)
        rows = outbox_rows(h.engine, outbox.c.id > before)
        assert all(r["state"] == "sent" for r in rows), ([(r["state"], r["reason"]) for r in rows], results)
        return reply

    def shown(self) -> dict[str, Any]:
        """What the phone shows last from the business."""
        chat = self.running.http.get(f"{self.running.url}/sandbox/phones/{self.phone}/messages").json()
        outbound = [m for m in chat["messages"] if m["direction"] == "to_phone"]
        assert outbound, chat
        return outbound[-1]["render"]

    def _forward(self) -> None:
        posts = self.receiver.posts()
        for post in posts[self.forwarded :]:
            self.harness.forward(post.body, post.headers["x-hub-signature-256"])
        self.forwarded = len(posts)


def test_the_phone_sees_the_balance_buttons_and_the_plan_list(harness, lang, start_sandbox, receiver):
    p = PROFILES[lang]
    running = start_sandbox(fast_settings(callback_url=receiver[1], tier=1000, app_secret=APP_SECRET))
    phone = PhoneChat(harness, running, receiver[0], p.phone)

    asked = phone.send(text=ASK_BALANCE[lang])
    assert phone.shown()["body"] == asked.text == expected(lang, "ask_account")
    phone.send(text=p.account)
    assert phone.shown()["body"] == expected(lang, "ask_name")

    phone.send(text=p.typed_name)

    shown = phone.shown()
    assert shown["body"] == expected(
        lang, ("verified", {"name": p.first_name}), balance_text(p), "next_prompt"
    )
    assert [{"id": b["id"], "title": b["title"]} for b in shown["buttons"]] == next_buttons(lang)

    plans = phone.send(button_reply={"id": "PAYMENT_PLAN", "title": label(lang, "button.payment_plan")})

    shown = phone.shown()
    assert shown["body"] == expected(lang, ("plan_intro", {"amount": p.money(AMOUNT_MINOR)}))
    assert shown["list"]["button"] == label(lang, "plan_button")
    [section] = shown["list"]["sections"]
    assert section["rows"] == plans.rows
    assert {r["state"] for r in outbox_rows(harness.engine)} == {"sent"}
