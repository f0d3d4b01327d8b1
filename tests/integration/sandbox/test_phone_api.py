"""The phone API the phone page uses: chats, reading, and server-sent events."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from tests.integration.sandbox.conftest import Receiver, Running, wait_for
from tests.integration.sandbox.test_graph_contract import ANA, NUMBER_ID, phone_says, statuses, text


def test_the_event_stream_shows_a_sent_message_and_its_statuses(sandbox: Running) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    connected = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(timeout=5) as client,
            client.stream("GET", f"{sandbox.url}/sandbox/phones/{ANA}/events") as r,
        ):
            event = None
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    connected.set()
                elif line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event is not None:
                    events.append((event, json.loads(line[len("data: ") :])))
                    if event == "status" and events[-1][1]["status"] == "read":
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert connected.wait(5)
    phone_says(sandbox, ANA, {"text": "hola"})
    wamid = sandbox.http.post(sandbox.graph(f"{NUMBER_ID}/messages"), json=text(ANA, "Hola Ana")).json()[
        "messages"
    ][0]["id"]
    listener.join(timeout=5)

    mine = [(e, d) for e, d in events if d.get("id") == wamid]
    assert mine[0][0] == "message"
    assert mine[0][1]["direction"] == "to_phone"
    assert mine[0][1]["render"]["body"] == "Hola Ana"
    assert [d["status"] for e, d in mine[1:]] == ["sent", "delivered", "read"]
    assert events[0][0] == "message"
    assert events[0][1]["direction"] == "from_phone"


def test_opening_the_chat_reads_every_delivered_message(
    start_sandbox: Any, receiver: tuple[Receiver, str]
) -> None:
    from tests.integration.sandbox.conftest import fast_settings

    sb = start_sandbox(fast_settings(callback_url=receiver[1], read_probability=0.0))
    phone_says(sb, ANA, {"text": "hola"})
    sb.http.post(sb.graph(f"{NUMBER_ID}/messages"), json=text(ANA, "uno"))
    wait_for(lambda: any(s["status"] == "delivered" for s in statuses(receiver[0])), message="delivered")
    assert sb.http.post(f"{sb.url}/sandbox/phones/{ANA}/read").json() == {"read": 1}
    wait_for(lambda: any(s["status"] == "read" for s in statuses(receiver[0])), message="read status")
    assert sb.http.post(f"{sb.url}/sandbox/phones/{ANA}/read").json() == {"read": 0}


def test_the_business_marking_a_message_read_shows_on_the_phone(sandbox: Running) -> None:
    wamid = phone_says(sandbox, ANA, {"text": "hola"})
    body = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
        "typing_indicator": {"type": "text"},
    }
    response = sandbox.http.post(sandbox.graph(f"{NUMBER_ID}/messages"), json=body)
    assert response.json() == {"success": True}
    chat = sandbox.http.get(f"{sandbox.url}/sandbox/phones/{ANA}/messages").json()
    assert chat["messages"][-1] == {
        **chat["messages"][-1],
        "id": wamid,
        "direction": "from_phone",
        "status": "read",
    }
    unknown = sandbox.http.post(
        sandbox.graph(f"{NUMBER_ID}/messages"), json={**body, "message_id": "wamid.nope"}
    )
    assert unknown.status_code == 400


def test_a_phone_can_send_every_documented_kind(sandbox: Running, receiver: tuple[Receiver, str]) -> None:
    bodies = [
        {"list_reply": {"id": "PLAN_3", "title": "3 cuotas", "description": "Sin intereses"}},
        {"reaction": {"message_id": "wamid.X", "emoji": "👍"}},
        {"image": {"caption": "comprobante"}},
    ]
    for body in bodies:
        phone_says(sandbox, ANA, body)
    values = wait_for(
        lambda: (m := [v["messages"][0] for v in _inbound(receiver[0])]) and len(m) == 3 and m,
        message="3 inbound",
    )
    assert values[0]["interactive"]["list_reply"]["description"] == "Sin intereses"
    assert values[1]["reaction"] == {"message_id": "wamid.X", "emoji": "👍"}
    assert values[2]["image"]["caption"] == "comprobante"
    assert values[2]["image"]["id"].isdigit()
    refused = sandbox.http.post(f"{sandbox.url}/sandbox/phones/{ANA}/messages", json={"sticker": {}})
    assert refused.status_code == 400


def _inbound(receiver: Receiver) -> list[dict[str, Any]]:
    return [
        change["value"]
        for post in receiver.posts()
        for entry in json.loads(post.body)["entry"]
        for change in entry["changes"]
        if "messages" in change["value"]
    ]


def test_a_phone_number_may_come_url_encoded_as_the_phone_page_sends_it(sandbox: Running) -> None:
    phone_says(sandbox, "%2B5215512345678", {"text": "hola"})
    chat = sandbox.http.get(f"{sandbox.url}/sandbox/phones/%2B5215512345678/messages").json()
    assert chat["phone"]["phone"] == ANA
    assert [m["render"]["body"] for m in chat["messages"]] == ["hola"]
