"""The webhook endpoint over HTTP: handshake, signature before parsing, stored raw, applied after the answer."""

import time

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.tables import audit_events, webhook_deliveries, whatsapp_messages
from cobro.adapters.whatsapp.signature import sign
from cobro.app.record_webhooks import store_webhook_delivery
from cobro.bootstrap import bootstrap, load_settings
from cobro.entrypoints.web.app import create_app
from tests.webhook_payloads import body, delivery, messages_change, text_message

SECRET = "test-app-secret"
TOKEN = "test-verify-token"
URL = "/webhooks/whatsapp"


@pytest.fixture
def client(database_url):
    settings = load_settings(
        database_url=database_url, whatsapp_app_secret=SECRET, whatsapp_verify_token=TOKEN
    )
    with TestClient(create_app(bootstrap(settings))) as client:
        _wait_for_the_backlog(client)
        yield client


def _wait_for_the_backlog(client):
    """Startup applies leftover deliveries in the background; tests start once it is done."""
    deadline = time.monotonic() + 10
    while not all(task.done() for task in client.app.state.background):
        assert time.monotonic() < deadline, "the startup backlog did not finish"
        time.sleep(0.01)


def _rows(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return tuple(
                connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (webhook_deliveries, whatsapp_messages, audit_events)
            )
    finally:
        engine.dispose()


def _event_kinds(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(select(audit_events.c.kind)).scalars())
    finally:
        engine.dispose()


def _post(client, raw, signature):
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post(URL, content=raw, headers=headers)


def test_the_handshake_echoes_the_challenge_for_the_right_token(client):
    answer = client.get(
        URL, params={"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}
    )
    assert answer.status_code == 200
    assert answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
def test_the_handshake_is_refused_otherwise(client, params):
    assert client.get(URL, params=params).status_code == 403


def test_a_signed_delivery_is_answered_200_stored_and_applied(client, database_url):
    raw = body(delivery(messages_change(text_message())))
    answer = _post(client, raw, sign(raw, SECRET))
    assert answer.status_code == 200
    assert answer.json()["status"] == "received"
    # The background task ran before the test client returned: the reply is recorded, and the bot answered it.
    assert _rows(database_url) == (1, 1, 2)
    assert _event_kinds(database_url) == ["conversation.turn", "reply.received"]
    engine = make_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(select(webhook_deliveries)).mappings().one()
    engine.dispose()
    assert bytes(row["body"]) == raw
    assert row["processed_at"] is not None


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (None, 401),
        ("sha256=" + "0" * 64, 403),
        ("sha1=abc", 403),
        (sign(body(delivery(messages_change(text_message()))), "another-secret"), 403),
    ],
)
def test_an_unsigned_or_badly_signed_delivery_is_refused_and_nothing_is_stored(
    client, database_url, signature, status
):
    raw = body(delivery(messages_change(text_message())))
    assert _post(client, raw, signature).status_code == status
    assert _rows(database_url) == (0, 0, 0)


def test_a_body_changed_after_signing_is_refused(client, database_url):
    raw = body(delivery(messages_change(text_message())))
    signature = sign(raw, SECRET)
    tampered = raw.replace(b"\\u00bfCu\\u00e1nto debo?", b"nada").replace(b"wamid.IN1", b"wamid.IN2")
    assert tampered != raw
    assert _post(client, tampered, signature).status_code == 403
    assert _rows(database_url) == (0, 0, 0)


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account", "entry": {}}',
    ],
)
def test_a_signed_but_malformed_delivery_is_400_and_nothing_is_stored(client, database_url, raw):
    answer = _post(client, raw, sign(raw, SECRET))
    assert answer.status_code == 400
    assert _rows(database_url) == (0, 0, 0)


def test_deliveries_left_unprocessed_are_applied_at_startup(database_url):
    settings = load_settings(database_url=database_url, whatsapp_app_secret=SECRET)
    container = bootstrap(settings)
    store_webhook_delivery(
        container.uow_factory, body(delivery(messages_change(text_message()))), container.clock.now()
    )
    container.close()
    with TestClient(create_app(bootstrap(settings))) as client:
        _wait_for_the_backlog(client)
    assert _rows(database_url) == (1, 1, 2)
    assert _event_kinds(database_url) == ["conversation.turn", "reply.received"]
