"""The sandbox over real HTTP, driven with plain JSON written from Meta's Cloud API documentation."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from cobro.sandbox.settings import BusinessNumber, SandboxSettings, SeedPhone
from tests.integration.sandbox.conftest import (
    APP_SECRET,
    VERIFY_TOKEN,
    Receiver,
    Running,
    fast_settings,
    wait_for,
)

NUMBER_ID = "1090000000000001"
WABA_ID = "1020000000000001"
APP_ID = "1210000000000001"
ANA = "+5215512345678"
BETO = "+5215587654321"  # seeded with a username and a hidden number


def statuses(receiver: Receiver) -> list[dict[str, Any]]:
    """Every status item the receiver got, in arrival order."""
    found = []
    for post in receiver.posts():
        for entry in json.loads(post.body)["entry"]:
            for change in entry["changes"]:
                found.extend(change["value"].get("statuses", []))
    return found


def changes(receiver: Receiver, field: str) -> list[dict[str, Any]]:
    """The values of every change of this field the receiver got."""
    return [
        change["value"]
        for post in receiver.posts()
        for entry in json.loads(post.body)["entry"]
        for change in entry["changes"]
        if change["field"] == field
    ]


def inbound_messages(receiver: Receiver) -> list[dict[str, Any]]:
    """The `messages` changes (values) that carry a person's message."""
    return [v for v in changes(receiver, "messages") if "messages" in v]


def text(to: str, body: str, **extra: Any) -> dict[str, Any]:
    """A text send as Meta documents it."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body},
        **extra,
    }


def phone_says(sb: Running, phone: str, body: dict[str, Any]) -> str:
    """The person sends something from the phone; returns its wamid."""
    response = sb.http.post(f"{sb.url}/sandbox/phones/{phone}/messages", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_every_webhook_is_signed_with_the_app_secret_over_the_raw_body(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    phone_says(sandbox, ANA, {"text": "Hola"})
    posts = wait_for(lambda: receiver[0].posts(), message="a webhook")
    for post in posts:
        expected = "sha256=" + hmac.new(APP_SECRET.encode(), post.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(post.headers["x-hub-signature-256"], expected)
        assert post.headers["content-type"] == "application/json"


def test_a_text_from_the_phone_arrives_as_an_inbound_message_with_contact_and_metadata(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    wamid = phone_says(sandbox, ANA, {"text": "¿Cuánto debo?"})
    value = wait_for(lambda: inbound_messages(receiver[0]), message="inbound webhook")[0]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {"display_phone_number": "15550100001", "phone_number_id": NUMBER_ID}
    contact = value["contacts"][0]
    assert contact["wa_id"] == "5215512345678"
    assert contact["profile"]["name"] == "Ana López"
    assert contact["user_id"].startswith("MX.")
    message = value["messages"][0]
    assert message["id"] == wamid
    assert message["from"] == "5215512345678"
    assert message["type"] == "text"
    assert message["text"] == {"body": "¿Cuánto debo?"}
    assert message["timestamp"].isdigit()


def test_a_button_reply_and_a_template_quick_reply_arrive_in_their_own_shapes(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    phone_says(
        sandbox, ANA, {"button_reply": {"id": "PAY_NOW", "title": "Pagar ahora"}, "context": "wamid.X"}
    )
    phone_says(sandbox, ANA, {"button": {"payload": "PLAN_3", "text": "3 cuotas"}})
    values = wait_for(lambda: len(inbound_messages(receiver[0])) >= 2 and inbound_messages(receiver[0]))
    interactive, button = values[0]["messages"][0], values[1]["messages"][0]
    assert interactive["type"] == "interactive"
    assert interactive["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "PAY_NOW", "title": "Pagar ahora"},
    }
    assert interactive["context"] == {"from": "15550100001", "id": "wamid.X"}
    assert button["type"] == "button"
    assert button["button"] == {"payload": "PLAN_3", "text": "3 cuotas"}


def test_the_username_phone_is_named_by_user_id_and_carries_no_wa_id(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    phone_says(sandbox, BETO, {"text": "hola"})
    value = wait_for(lambda: inbound_messages(receiver[0]), message="inbound webhook")[0]
    contact, message = value["contacts"][0], value["messages"][0]
    assert "wa_id" not in contact
    assert contact["user_id"].startswith("MX.")
    assert contact["profile"] == {"name": "Beto Ramírez", "username": "@beto.r"}
    assert "from" not in message
    assert message["from_user_id"] == contact["user_id"]

    send = {
        "messaging_product": "whatsapp",
        "recipient": contact["user_id"],
        "type": "text",
        "text": {"body": "Hola"},
    }
    reply = sandbox.http.post(sandbox.graph(f"{NUMBER_ID}/messages"), json=send)
    assert reply.status_code == 200, reply.text
    assert reply.json()["contacts"] == [{"input": contact["user_id"], "user_id": contact["user_id"]}]
    sent = wait_for(
        lambda: [s for s in statuses(receiver[0]) if s["status"] == "sent"], message="sent status"
    )[0]
    assert "recipient_id" not in sent
    assert sent["recipient_user_id"] == contact["user_id"]


def test_a_reply_inside_the_window_goes_sent_delivered_read_with_the_callback_data_echoed(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    phone_says(sandbox, ANA, {"text": "Hola"})
    response = sandbox.http.post(
        sandbox.graph(f"{NUMBER_ID}/messages"),
        json=text(ANA, "Hola Ana", biz_opaque_callback_data="outbox-42"),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": ANA, "wa_id": "5215512345678"}]
    wamid = answer["messages"][0]["id"]
    assert wamid.startswith("wamid.")

    def by_status() -> dict[str, dict[str, Any]]:
        return {s["status"]: s for s in statuses(receiver[0]) if s["id"] == wamid}

    seen = wait_for(lambda: len(by_status()) == 3 and by_status(), message="sent, delivered and read")
    for status in seen.values():
        assert status["biz_opaque_callback_data"] == "outbox-42"
        assert status["recipient_id"] == "5215512345678"
        assert status["pricing"] == {
            "billable": False,
            "pricing_model": "PMP",
            "category": "service",
            "type": "free_customer_service",
        }
        assert status["conversation"]["origin"] == {"type": "service"}
    chat = sandbox.http.get(f"{sandbox.url}/sandbox/phones/{ANA}/messages").json()
    assert chat["messages"][-1]["id"] == wamid
    assert chat["messages"][-1]["status"] == "read"


def test_a_free_form_message_outside_the_window_is_accepted_then_fails_with_131047(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    response = sandbox.http.post(sandbox.graph(f"{NUMBER_ID}/messages"), json=text("+5215511112222", "Hola"))
    assert response.status_code == 200
    failed = wait_for(lambda: statuses(receiver[0]), message="failed status")[0]
    assert failed["status"] == "failed"
    assert failed["errors"][0]["code"] == 131047
    assert "conversation" not in failed


def test_an_unreachable_phone_gets_a_failed_status_with_131026(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    response = sandbox.http.post(
        sandbox.graph(f"{NUMBER_ID}/messages"),
        json=text("+5215500000000", "Hola", biz_opaque_callback_data="k1"),
    )
    assert response.status_code == 200
    failed = wait_for(lambda: statuses(receiver[0]), message="failed status")[0]
    assert failed["status"] == "failed"
    assert failed["errors"][0]["code"] == 131026
    assert failed["biz_opaque_callback_data"] == "k1"


def test_a_bad_token_gets_190_with_http_401(sandbox: Running) -> None:
    response = sandbox.http.post(
        sandbox.graph(f"{NUMBER_ID}/messages"),
        json=text(ANA, "Hola"),
        headers={"Authorization": "Bearer nope"},
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 190
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]


def test_an_unknown_phone_number_id_gets_graphs_unsupported_request_error(sandbox: Running) -> None:
    response = sandbox.http.post(sandbox.graph("999/messages"), json=text(ANA, "Hola"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["message"].startswith("Unsupported post request. Object with ID '999' does not exist")


def test_sending_faster_than_the_numbers_tier_gets_130429(start_sandbox: Callable[..., Running]) -> None:
    sb = start_sandbox(
        fast_settings(business_numbers=[BusinessNumber(id=NUMBER_ID, display_phone_number="1555", tier=5)])
    )
    codes = []
    for i in range(12):
        response = sb.http.post(sb.graph(f"{NUMBER_ID}/messages"), json=text(f"+52155100000{i:02d}", "Hola"))
        codes.append(
            response.status_code if response.status_code == 200 else response.json()["error"]["code"]
        )
    assert codes[:5] == [200] * 5
    assert 130429 in codes
    error = sb.http.post(sb.graph(f"{NUMBER_ID}/messages"), json=text(ANA, "x")).json()["error"]
    assert error == {**error, "code": 130429, "message": "(#130429) Rate limit hit"}
    assert sb.http.get(f"{sb.url}/sandbox/stats").json()["rejected"]["130429"] >= 1


def test_a_burst_to_one_person_gets_131056(start_sandbox: Callable[..., Running]) -> None:
    sb = start_sandbox(fast_settings(pair_burst=3))
    codes = [
        sb.http.post(sb.graph(f"{NUMBER_ID}/messages"), json=text(ANA, "x")).status_code for _ in range(4)
    ]
    assert codes[:3] == [200, 200, 200]
    error = sb.http.post(sb.graph(f"{NUMBER_ID}/messages"), json=text(ANA, "x")).json()["error"]
    assert error["code"] == 131056


def test_subscribing_the_app_runs_the_handshake_and_moves_the_webhooks(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    sb = start_sandbox(fast_settings())
    app_token = {"Authorization": f"Bearer {APP_ID}|{APP_SECRET}"}
    params = {"object": "whatsapp_business_account", "callback_url": url, "fields": "messages"}
    refused = sb.http.post(
        sb.graph(f"{APP_ID}/subscriptions"), data={**params, "verify_token": "wrong"}, headers=app_token
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 2200
    assert sb.http.get(f"{sb.url}/sandbox/config").json()["callback_url"] is None

    ok = sb.http.post(
        sb.graph(f"{APP_ID}/subscriptions"), data={**params, "verify_token": VERIFY_TOKEN}, headers=app_token
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"success": True}
    handshake = [r for r in rec.requests if r.method == "GET"][-1]
    assert handshake.query["hub.mode"] == ["subscribe"]
    assert handshake.query["hub.verify_token"] == [VERIFY_TOKEN]
    phone_says(sb, ANA, {"text": "hola"})
    wait_for(lambda: inbound_messages(rec), message="webhook after subscribing")


def test_the_app_subscription_needs_the_app_access_token(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    params = {
        "object": "whatsapp_business_account",
        "callback_url": receiver[1],
        "verify_token": VERIFY_TOKEN,
    }
    response = sandbox.http.post(sandbox.graph(f"{APP_ID}/subscriptions"), data=params)
    assert response.json()["error"]["code"] == 15


def test_a_waba_override_callback_is_verified_and_then_used(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    sb = start_sandbox(fast_settings(callback_url="http://127.0.0.1:9/nowhere"))
    body = {"override_callback_uri": url, "verify_token": VERIFY_TOKEN}
    response = sb.http.post(sb.graph(f"{WABA_ID}/subscribed_apps"), json=body)
    assert response.json() == {"success": True}
    listed = sb.http.get(sb.graph(f"{WABA_ID}/subscribed_apps")).json()["data"]
    assert listed[0]["override_callback_uri"] == url
    phone_says(sb, ANA, {"text": "hola"})
    wait_for(lambda: inbound_messages(rec), message="webhook at the override")


def test_a_template_is_pending_then_approved_or_rejected_by_webhook(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    def template(name: str, body: str) -> dict[str, Any]:
        return {
            "name": name,
            "language": "es_MX",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": body, "example": {"body_text": [["Ana", "$1,250.00"]]}}],
        }

    good = sandbox.http.post(
        sandbox.graph(f"{WABA_ID}/message_templates"),
        json=template(
            "recordatorio_pago", "Hola {{1}}, tu pago de {{2}} vence pronto. Gracias por tu atención."
        ),
    )
    assert good.status_code == 200, good.text
    assert good.json() == {"id": good.json()["id"], "status": "PENDING", "category": "UTILITY"}
    bad = sandbox.http.post(
        sandbox.graph(f"{WABA_ID}/message_templates"),
        json=template("amenaza", "Hola {{1}}, paga {{2}} hoy o iniciaremos acciones legales en tu contra."),
    )
    assert bad.status_code == 200, bad.text

    updates = wait_for(
        lambda: (
            len(changes(receiver[0], "message_template_status_update")) >= 2
            and changes(receiver[0], "message_template_status_update")
        ),
        message="review webhooks",
    )
    by_name = {u["message_template_name"]: u for u in updates}
    assert by_name["recordatorio_pago"]["event"] == "APPROVED"
    assert by_name["recordatorio_pago"]["message_template_id"] == int(good.json()["id"])
    assert by_name["recordatorio_pago"]["message_template_language"] == "es_MX"
    assert by_name["amenaza"]["event"] == "REJECTED"
    assert by_name["amenaza"]["reason"] == "ABUSIVE_CONTENT"
    # Account-level fields carry the entry's `time`, as in Meta's examples (pywa reads it there).
    review_entries = [
        entry
        for post in receiver[0].posts()
        for entry in json.loads(post.body)["entry"]
        if any(c["field"] == "message_template_status_update" for c in entry["changes"])
    ]
    assert all(isinstance(entry["time"], int) for entry in review_entries)
    listed = sandbox.http.get(
        sandbox.graph(f"{WABA_ID}/message_templates"), params={"status": "APPROVED"}
    ).json()
    assert [t["name"] for t in listed["data"]] == ["recordatorio_pago"]


def test_a_delivery_that_gets_a_500_is_retried_with_the_same_signed_body(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    rec = receiver[0]
    rec.fail_next_posts = 2
    phone_says(sandbox, ANA, {"text": "hola"})
    posts = wait_for(lambda: len(rec.posts()) >= 3 and rec.posts(), message="two retries")
    assert posts[0].body == posts[1].body == posts[2].body
    assert posts[0].headers["x-hub-signature-256"] == posts[2].headers["x-hub-signature-256"]
    stats = wait_for(
        lambda: (s := sandbox.http.get(f"{sandbox.url}/sandbox/stats").json())["webhooks"]["delivered"] and s
    )
    assert stats["webhooks"]["retries"] == 2
    assert stats["webhooks"]["failed_attempts"] == 2


def test_stats_count_the_wamids_each_callback_key_got(sandbox: Running) -> None:
    for key in ("row-1", "row-2", "row-2"):
        response = sandbox.http.post(
            sandbox.graph(f"{NUMBER_ID}/messages"), json=text(ANA, "x", biz_opaque_callback_data=key)
        )
        assert response.status_code == 200
    stats = sandbox.http.get(f"{sandbox.url}/sandbox/stats").json()
    assert stats["accepted"] == 3
    assert stats["callback_data"]["keys"] == 2
    assert stats["callback_data"]["duplicates"] == [{"biz_opaque_callback_data": "row-2", "wamids": 2}]


def test_an_injected_500_may_still_have_sent_the_message(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    settings = fast_settings(callback_url=receiver[1], http_5xx_rate=1.0, failure_accepts_probability=1.0)
    sb = start_sandbox(settings)
    response = sb.http.post(
        sb.graph(f"{NUMBER_ID}/messages"), json=text("+5215500000000", "x", biz_opaque_callback_data="amb-1")
    )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == 131000
    failed = wait_for(lambda: statuses(receiver[0]), message="the status that settles it")[0]
    assert failed["biz_opaque_callback_data"] == "amb-1"


def test_duplicate_injection_delivers_each_status_twice(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    sb = start_sandbox(fast_settings(callback_url=receiver[1], duplicate_status_rate=1.0))
    sb.http.post(sb.graph(f"{NUMBER_ID}/messages"), json=text("+5215500000000", "x"))
    seen = wait_for(lambda: len(statuses(receiver[0])) >= 2 and statuses(receiver[0]), message="duplicate")
    assert seen[0] == seen[1]


def test_admin_changes_knobs_and_refuses_unknown_ones(sandbox: Running) -> None:
    changed = sandbox.http.post(f"{sandbox.url}/sandbox/admin", json={"read_probability": 0.25})
    assert changed.status_code == 200
    assert changed.json()["knobs"]["read_probability"] == 0.25
    refused = sandbox.http.post(f"{sandbox.url}/sandbox/admin", json={"app_secret": "x"})
    assert refused.status_code == 400
    assert "app_secret" in refused.json()["error"]["error_data"]["details"]


def test_settings_seed_a_phone_with_a_parent_user_id(start_sandbox: Callable[..., Running]) -> None:
    seeded = SeedPhone(phone="+14155550100", name="Dana", parent_user_id="US.ENT.118157992128868")
    sb = start_sandbox(SandboxSettings(seed_phones=[seeded]))
    phones = sb.http.get(f"{sb.url}/sandbox/phones").json()["phones"]
    assert phones == [
        {
            "phone": "+14155550100",
            "wa_id": "14155550100",
            "user_id": phones[0]["user_id"],
            "parent_user_id": "US.ENT.118157992128868",
            "username": None,
            "name": "Dana",
            "on_whatsapp": True,
        }
    ]
    assert phones[0]["user_id"].startswith("US.")


def test_an_approved_template_reaches_a_new_person_and_is_billed_as_utility(
    sandbox: Running, receiver: tuple[Receiver, str]
) -> None:
    body = "Hola {{1}}, tu pago de {{2}} vence pronto. Gracias por tu atención."
    created = sandbox.http.post(
        sandbox.graph(f"{WABA_ID}/message_templates"),
        json={
            "name": "recordatorio",
            "language": "es_MX",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": body, "example": {"body_text": [["Ana", "$100"]]}}],
        },
    )
    assert created.status_code == 200, created.text
    wait_for(lambda: changes(receiver[0], "message_template_status_update"), message="approval")
    send = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+5215533334444",
        "type": "template",
        "template": {
            "name": "recordatorio",
            "language": {"code": "es_MX"},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": "María"}, {"type": "text", "text": "$1,250.00"}],
                }
            ],
        },
        "biz_opaque_callback_data": "row-7",
    }
    response = sandbox.http.post(sandbox.graph(f"{NUMBER_ID}/messages"), json=send)
    assert response.status_code == 200, response.text
    assert response.json()["messages"][0]["message_status"] == "accepted"
    sent = wait_for(lambda: [s for s in statuses(receiver[0]) if s["status"] == "sent"], message="sent")[0]
    assert sent["pricing"] == {
        "billable": True,
        "pricing_model": "PMP",
        "category": "utility",
        "type": "regular",
    }
    chat = sandbox.http.get(f"{sandbox.url}/sandbox/phones/+5215533334444/messages").json()
    assert "María" in chat["messages"][0]["render"]["body"]


def test_a_callback_given_by_setting_is_verified_by_handshake_at_start(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    running = start_sandbox(fast_settings(callback_url=url, verify_token=VERIFY_TOKEN))
    wait_for(
        lambda: (
            running.http.get(f"{running.url}/sandbox/config").json()["callback_verification"] == "verified"
        ),
        message="the handshake",
    )
    [handshake] = [r for r in rec.requests if r.method == "GET"]
    assert handshake.query["hub.mode"] == ["subscribe"]
    assert handshake.query["hub.verify_token"] == [VERIFY_TOKEN]


def test_a_callback_whose_handshake_fails_says_why_in_the_config(
    start_sandbox: Callable[..., Running], receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    running = start_sandbox(fast_settings(callback_url=url, verify_token="not-the-receivers"))
    verification = wait_for(
        lambda: (
            running.http.get(f"{running.url}/sandbox/config")
            .json()["callback_verification"]
            .startswith("failed")
            and running.http.get(f"{running.url}/sandbox/config").json()["callback_verification"]
        ),
        message="the failed handshake",
    )
    assert "HTTP Status Code = 403" in verification
