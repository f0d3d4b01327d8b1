"""The webhook dispatcher (batching, signature, retries, injected disorder) and the message lifecycle."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
from typing import Any

import httpx
import pytest

from cobro.sandbox.lifecycle import DELIVERED, READ, REENGAGEMENT, SENT, Lifecycle, pricing_for
from cobro.sandbox.settings import BusinessNumber, SandboxSettings
from cobro.sandbox.state import Message, SandboxState
from cobro.sandbox.webhooks import WebhookDispatcher, sign

NUMBER = BusinessNumber(id="1090000000000001", display_phone_number="15550100001")


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: the sandbox runs on asyncio (uvloop)."""
    return "asyncio"


class Recorder:
    """An httpx transport that records POST bodies and answers 500 a given number of times first."""

    def __init__(self, failures: int = 0) -> None:
        self.bodies: list[bytes] = []
        self.signatures: list[str] = []
        self.failures = failures

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        self.signatures.append(request.headers["x-hub-signature-256"])
        if self.failures:
            self.failures -= 1
            return httpx.Response(500)
        return httpx.Response(200)


def dispatcher(recorder: Recorder, **knobs: Any) -> WebhookDispatcher:
    settings = SandboxSettings(callback_url="http://receiver/hook", webhook_retry_delays=[0, 0], **knobs)
    return WebhookDispatcher(lambda: settings, random.Random(1), httpx.MockTransport(recorder))


def status(n: int) -> dict[str, Any]:
    return {"id": f"wamid.{n}", "status": "sent", "timestamp": "1", "recipient_id": "52155"}


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert sign("secret", body) == f"sha256={expected}"


@pytest.mark.anyio
async def test_statuses_are_batched_into_few_signed_posts() -> None:
    recorder = Recorder()
    webhooks = dispatcher(recorder, webhook_batch_size=100)
    for n in range(250):
        webhooks.enqueue_status(NUMBER, status(n))
    await webhooks.drain()
    await webhooks.aclose()
    assert len(recorder.bodies) == 3
    payloads = [json.loads(b) for b in recorder.bodies]
    counts = [len(c["value"]["statuses"]) for p in payloads for e in p["entry"] for c in e["changes"]]
    assert counts == [100, 100, 50]
    assert payloads[0]["entry"][0]["id"] == "1020000000000001"
    assert recorder.signatures[0] == sign("sandbox-app-secret", recorder.bodies[0])


@pytest.mark.anyio
async def test_a_failed_post_is_retried_with_the_same_body_and_given_up_after_the_schedule() -> None:
    recorder = Recorder(failures=5)
    webhooks = dispatcher(recorder)
    webhooks.enqueue_change("messages", {"messages": []})
    for _ in range(4):
        await webhooks.drain()
    await webhooks.aclose()
    assert len(recorder.bodies) == 3
    assert len(set(recorder.bodies)) == 1
    assert (webhooks.stats.retries, webhooks.stats.gave_up) == (2, 1)


@pytest.mark.anyio
async def test_drop_and_duplicate_injection_change_what_arrives() -> None:
    recorder = Recorder()
    webhooks = dispatcher(recorder, webhook_drop_rate=1.0)
    webhooks.enqueue_status(NUMBER, status(1))
    await webhooks.drain()
    assert recorder.bodies == []
    assert webhooks.stats.dropped == 1

    webhooks = dispatcher(recorder, duplicate_status_rate=1.0, webhook_flush_interval=0.001)
    webhooks.enqueue_status(NUMBER, status(2))
    await webhooks.drain()
    await asyncio.sleep(0.003)  # the copy is held for two flush intervals
    await webhooks.drain()
    await webhooks.aclose()
    ids = [
        s["id"] for b in recorder.bodies for s in json.loads(b)["entry"][0]["changes"][0]["value"]["statuses"]
    ]
    assert ids == ["wamid.2", "wamid.2"]


def _lifecycle(
    **knobs: Any,
) -> tuple[Lifecycle, SandboxState, WebhookDispatcher, list[tuple[str, dict[str, Any]]]]:
    settings = SandboxSettings(callback_url="http://receiver/hook", **knobs)
    state = SandboxState(settings)
    webhooks = WebhookDispatcher(lambda: settings, random.Random(1))
    events: list[tuple[str, dict[str, Any]]] = []
    lifecycle = Lifecycle(
        lambda: settings, state, webhooks, random.Random(1), lambda p, e, d: events.append((e, d))
    )
    return lifecycle, state, webhooks, events


def _sent_message(state: SandboxState, phone_e164: str, callback: str = "row-1") -> Message:
    phone = state.phone(phone_e164)
    message = Message(
        id=state.new_wamid(phone),
        phone=phone.phone,
        number_id=NUMBER.id,
        direction="to_phone",
        timestamp=0,
        type="text",
        status="accepted",
        biz_opaque_callback_data=callback,
    )
    state.add_message(phone, message)
    return message


def test_statuses_carry_callback_data_conversation_and_per_message_pricing() -> None:
    lifecycle, state, webhooks, events = _lifecycle()
    message = _sent_message(state, "+5215512345678")
    pricing_for(message, window_open=True)
    lifecycle.apply(message, SENT)
    item = webhooks._statuses[NUMBER.id][0]
    assert item["biz_opaque_callback_data"] == "row-1"
    assert item["recipient_id"] == "5215512345678"
    assert item["recipient_user_id"].startswith("MX.")
    assert item["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "category": "service",
        "type": "free_customer_service",
    }
    assert "expiration_timestamp" in item["conversation"]
    assert events == [("status", {"id": message.id, "status": "sent"})]


def test_statuses_never_move_backwards() -> None:
    lifecycle, state, webhooks, _ = _lifecycle()
    message = _sent_message(state, "+5215512345678")
    lifecycle.apply(message, READ)
    lifecycle.apply(message, DELIVERED)
    assert message.status == "read"
    assert [s["status"] for s in webhooks._statuses[NUMBER.id]] == ["read"]


def test_a_free_form_message_outside_the_window_is_planned_to_fail_with_131047() -> None:
    lifecycle, state, _, _ = _lifecycle()
    message = _sent_message(state, "+5215512345678")
    lifecycle.accept(state.phone(message.phone), message, window_open=False)
    assert [step for *_, step in lifecycle._heap] == [REENGAGEMENT]
    lifecycle.apply(message, REENGAGEMENT)
    assert message.status == "failed"


def test_a_status_batch_names_each_recipient_once_in_contacts_and_a_hidden_number_has_no_wa_id() -> None:
    from cobro.sandbox.webhooks import status_contacts

    statuses = [
        {"id": "wamid.1", "status": "sent", "recipient_id": "5215512345678", "recipient_user_id": "MX.1"},
        {
            "id": "wamid.1",
            "status": "delivered",
            "recipient_id": "5215512345678",
            "recipient_user_id": "MX.1",
        },
        {"id": "wamid.2", "status": "sent", "recipient_user_id": "MX.2", "recipient_parent_user_id": "MX.P"},
    ]
    assert status_contacts(statuses) == [
        {"wa_id": "5215512345678", "user_id": "MX.1"},
        {"user_id": "MX.2", "parent_user_id": "MX.P"},
    ]
