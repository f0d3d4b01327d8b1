"""The payment webhook and the payment link over HTTP, on both databases."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from cobro.adapters.db.tables import audit_events, invoices, payment_references, payments
from cobro.adapters.payments import sign
from cobro.app.payment_ports import PaymentProviderError
from cobro.bootstrap import bootstrap, load_settings
from cobro.domain.payments import Checkout
from cobro.entrypoints.web.app import create_app
from tests.integration.payments.conftest import NOW, events, issue, reference_row

SECRET = "test-payments-secret"
T = int(NOW.timestamp())  # the app's clock, in unix seconds
URL = "/webhooks/payments"


class FakeProvider:
    """Records checkout requests; answers one checkout per reference, or fails on demand."""

    name = "sandbox"

    def __init__(self) -> None:
        self.requests = []
        self.fail = False

    def create_checkout(self, request):
        self.requests.append(request)
        if self.fail:
            raise PaymentProviderError("payment provider unreachable: ConnectError")
        return Checkout("sandbox", f"chk_{request.reference}", f"https://pay.example/c/{request.reference}")


@pytest.fixture
def provider():
    return FakeProvider()


@pytest.fixture
def client(database_url, provider, clock):
    # No scheduler: nothing but these tests writes to the database. The clock is Monday 23 November 2026,
    # noon UTC: signatures are checked against it.
    settings = load_settings(database_url=database_url, payment_webhook_secret=SECRET, plan_every_seconds=0)
    container = bootstrap(settings, clock=clock)
    container.payment_provider = provider
    with TestClient(create_app(container)) as client:
        deadline = time.monotonic() + 30
        while not all(task.done() for task in client.app.state.background):  # startup's own work first
            assert time.monotonic() < deadline, "startup did not finish"
            time.sleep(0.01)
        yield client


def event_body(reference, amount_minor=5000, payment_id="pay_1", currency="EUR", **data):
    return json.dumps(
        {
            "id": f"evt_{payment_id}",
            "type": "payment.succeeded",
            "created": T,
            "data": {
                "payment_id": payment_id,
                "checkout_id": "chk_1",
                "reference": reference,
                "amount_minor": amount_minor,
                "currency": currency,
                "paid_at": "2026-11-23T12:05:00Z",
                "method": "cash",
                **data,
            },
        }
    ).encode()


def post(client, raw, signature):
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["Cobro-Sandbox-Signature"] = signature
    return client.post(URL, content=raw, headers=headers)


def signed(raw, secret=SECRET, at=None):
    return sign(raw, secret, T if at is None else at)


def snapshot(engine):
    """Everything a payment could change."""
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(payments)).scalar_one(),
            connection.execute(select(func.count()).select_from(audit_events)).scalar_one(),
            sorted(connection.execute(select(invoices.c.id, invoices.c.outstanding_minor)).all()),
            sorted(
                connection.execute(select(payment_references.c.id, payment_references.c.paid_minor)).all()
            ),
        )


def test_a_signed_payment_is_recorded_and_a_redelivery_changes_nothing(client, uow_factory, engine, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    raw = event_body(issued.reference, 5000)
    answer = post(client, raw, signed(raw))
    assert answer.status_code == 200
    assert answer.json()["status"] == "recorded"
    assert reference_row(engine, issued.reference)["paid_minor"] == 5000
    [event] = events(engine, "payment.received")
    assert event["data"]["method"] == "cash"
    assert event["data"]["remaining_minor"] == 10000
    before = snapshot(engine)
    again = post(client, raw, signed(raw))  # the provider retries with a fresh signature
    assert again.status_code == 200
    assert again.json()["status"] == "not_recorded"
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (None, 401),
        ("t=1,v1=" + "0" * 64, 403),
        ("v1=" + "0" * 64, 403),
        ("garbage", 403),
        ("", 403),
    ],
)
def test_an_unsigned_or_badly_signed_webhook_is_refused_and_nothing_changes(
    client, uow_factory, engine, ledger, signature, status
):
    issued = issue(uow_factory, ledger)
    raw = event_body(issued.reference)
    before = snapshot(engine)
    assert post(client, raw, signature).status_code == status
    assert snapshot(engine) == before


def test_a_signature_with_another_secret_a_stale_time_or_a_changed_body_is_403(
    client, uow_factory, engine, ledger
):
    issued = issue(uow_factory, ledger)
    raw = event_body(issued.reference)
    before = snapshot(engine)
    assert post(client, raw, signed(raw, secret="another-secret")).status_code == 403
    assert post(client, raw, signed(raw, at=T - 301)).status_code == 403
    assert post(client, raw, signed(raw, at=T + 301)).status_code == 403
    tampered = raw.replace(b'"amount_minor": 5000', b'"amount_minor": 500000')
    assert tampered != raw
    assert post(client, tampered, signed(raw)).status_code == 403
    assert snapshot(engine) == before
    assert post(client, raw, signed(raw, at=T - 200)).status_code == 200  # within five minutes


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'{"id": "evt_1", "type": "payment.succeeded", "created": 1, "data": []}',
        event_body("48210937551236", amount_minor=0),
        event_body("48210937551236", amount_minor="50.00"),
        event_body("48210937551236", currency="EURO"),
        event_body("48210937551236", currency="XYZ"),
        event_body("48210937551236", paid_at="yesterday"),
        event_body("48210937551236", paid_at="2026-11-23T12:05:00"),  # no zone
        event_body("48210937551236", payment_id=""),
        event_body("1\x002"),
    ],
)
def test_a_signed_but_malformed_webhook_is_400_and_nothing_changes(client, uow_factory, engine, ledger, raw):
    issue(uow_factory, ledger)
    before = snapshot(engine)
    answer = post(client, raw, signed(raw))
    assert answer.status_code == 400
    assert snapshot(engine) == before


def test_another_event_type_is_acknowledged_and_ignored(client, engine, ledger):
    raw = json.dumps({"id": "evt_9", "type": "payment.refunded", "created": T, "data": {}}).encode()
    before = snapshot(engine)
    answer = post(client, raw, signed(raw))
    assert answer.status_code == 200
    assert answer.json() == {"status": "ignored"}
    assert snapshot(engine) == before


def test_money_for_an_unknown_reference_is_acknowledged_and_left_for_a_person(client, engine, ledger):
    raw = event_body("48210937551236", 7000)
    answer = post(client, raw, signed(raw))
    assert answer.status_code == 200
    assert post(client, raw, signed(raw)).status_code == 200
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(payments)).scalar_one() == 0
    [event] = events(engine, "payment.unmatched")
    assert event["data"]["reference"] == "48210937551236"
    assert event["data"]["amount"] == "70.00"


def test_the_pay_link_creates_the_checkout_once_and_redirects_to_it(
    client, provider, uow_factory, engine, ledger
):
    issued = issue(uow_factory, ledger, "150.00", allow_partial=False)
    answer = client.get(f"/pay/{issued.reference}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"https://pay.example/c/{issued.reference}"
    [request] = provider.requests
    assert request.reference == issued.reference
    assert str(request.amount.amount) == "150.00"
    assert request.amount.currency == "EUR"
    assert request.allow_partial is False
    assert request.expires_at == issued.valid_until
    assert request.description == "Acme Telecom · ACC-1"  # the creditor and the account, nobody's name
    assert request.locale == "es_ES"  # the debtor's language and country (a Spanish debtor)
    row = reference_row(engine, issued.reference)
    assert (row["provider"], row["checkout_id"]) == ("sandbox", f"chk_{issued.reference}")
    assert row["checkout_url"] == f"https://pay.example/c/{issued.reference}"

    grouped = client.get(f"/pay/{issued.formatted}", follow_redirects=False)  # "4821 0937 …" typed by hand
    assert grouped.status_code == 303
    assert grouped.headers["location"] == answer.headers["location"]
    assert len(provider.requests) == 1  # reused, not created again


def test_the_pay_link_asks_only_for_what_is_still_due(client, provider, uow_factory, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    raw = event_body(issued.reference, 4000)
    assert post(client, raw, signed(raw)).status_code == 200
    assert client.get(f"/pay/{issued.reference}", follow_redirects=False).status_code == 303
    assert str(provider.requests[0].amount.amount) == "110.00"


def test_a_paid_reference_says_so(client, provider, uow_factory, ledger):
    issued = issue(uow_factory, ledger, "150.00")
    raw = event_body(issued.reference, 15000)
    assert post(client, raw, signed(raw)).status_code == 200
    page = client.get(f"/pay/{issued.reference}", follow_redirects=False)
    assert page.status_code == 200
    assert "already paid" in page.text
    assert "150" not in page.text
    assert provider.requests == []


def test_an_expired_reference_says_so_without_calling_the_provider(
    client, provider, uow_factory, engine, ledger
):
    issued = issue(uow_factory, ledger, "150.00")
    with engine.begin() as connection:
        connection.execute(
            update(payment_references)
            .where(payment_references.c.id == issued.id)
            .values(valid_until=NOW - timedelta(minutes=1))
        )
    page = client.get(f"/pay/{issued.reference}", follow_redirects=False)
    assert page.status_code == 410
    assert "no longer valid" in page.text
    assert "150" not in page.text
    assert provider.requests == []


@pytest.mark.parametrize("reference", ["48210937551236", "48210937551237", "hello", "1234"])
def test_an_unknown_reference_is_404_and_says_nothing_about_any_debt(
    client, provider, uow_factory, ledger, reference
):
    issue(uow_factory, ledger, "150.00")
    page = client.get(f"/pay/{reference}", follow_redirects=False)
    assert page.status_code == 404
    for secret in ("Acme", "ACC-1", "150", "EUR", "María"):
        assert secret not in page.text
    assert provider.requests == []


def test_a_provider_failure_is_503_and_the_next_visit_tries_again(
    client, provider, uow_factory, engine, ledger
):
    issued = issue(uow_factory, ledger, "150.00")
    provider.fail = True
    page = client.get(f"/pay/{issued.reference}", follow_redirects=False)
    assert page.status_code == 503
    assert reference_row(engine, issued.reference)["checkout_id"] is None
    provider.fail = False
    assert client.get(f"/pay/{issued.reference}", follow_redirects=False).status_code == 303
