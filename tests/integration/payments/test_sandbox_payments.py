"""The sandbox's payment provider on a free port: checkouts, the checkout page, signed webhooks with retries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cobro.adapters.payments import parse_payment_webhook, verify_signature
from cobro.sandbox.app import create_sandbox_app
from tests.integration.sandbox.conftest import Receiver, ServerThread, fast_settings, free_port, wait_for

CHECKOUTS = "/sandbox/payments/v1/checkouts"
PAYMENTS = "/sandbox/payments/v1/payments"
SECRET = "sandbox-payments-secret"


@pytest.fixture
def receiver():
    rec = Receiver()
    with ServerThread(rec, free_port()) as server:
        yield rec, f"{server.url}/webhooks/payments"


@pytest.fixture
def sandbox(receiver):
    """A sandbox whose payment webhooks go to the receiver, retried after 50 ms twice."""
    port = free_port()
    settings = fast_settings(
        port=port, payments_webhook_url=receiver[1], payments_webhook_retry_delays=[0.05, 0.05]
    )
    app = create_sandbox_app(settings)
    with ServerThread(app, port) as server, httpx.Client(base_url=server.url, timeout=5) as http:
        http.app = app
        yield http


def checkout_payload(reference="48210937551236", **overrides):
    payload = {
        "reference": reference,
        "amount_minor": 15000,
        "currency": "EUR",
        "description": "Acme Telecom · ACC-1",
        "allow_partial": True,
        "expires_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "locale": "es",
    }
    payload.update(overrides)
    return payload


def create(sandbox, **overrides):
    answer = sandbox.post(CHECKOUTS, json=checkout_payload(**overrides))
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def form_token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def pay(sandbox, checkout_id, **form):
    page = sandbox.get(f"/sandbox/pay/{checkout_id}")
    values = {"token": form_token(page.text), "method": "card", "choice": "all", **form}
    return sandbox.post(f"/sandbox/pay/{checkout_id}", data=values)


def test_a_checkout_is_created_once_per_reference(sandbox):
    first = sandbox.post(CHECKOUTS, json=checkout_payload())
    assert first.status_code == 201
    body = first.json()
    assert body["id"].startswith("chk_")
    assert body["url"] == f"{str(sandbox.base_url).rstrip('/')}/sandbox/pay/{body['id']}"
    again = sandbox.post(CHECKOUTS, json=checkout_payload())
    assert again.status_code == 200
    assert again.json() == body
    other = create(sandbox, reference="48210937551237")
    assert other["id"] != body["id"]


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"amount_minor": 0}, "amount_minor"),
        ({"amount_minor": "150.00"}, "amount_minor"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at"),
        ({"expires_at": "2030-01-01T00:00:00"}, "expires_at"),
        ({"reference": ""}, "reference"),
        ({"allow_partial": "yes"}, "allow_partial"),
        ({"description": "x" * 201}, "description"),
    ],
)
def test_a_bad_checkout_request_is_400_with_the_field(sandbox, overrides, param):
    answer = sandbox.post(CHECKOUTS, json=checkout_payload(**overrides))
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param


def test_the_page_shows_the_description_and_the_amount_and_nothing_else(sandbox):
    checkout = create(sandbox)
    page = sandbox.get(f"/sandbox/pay/{checkout['id']}")
    assert page.status_code == 200
    assert "Acme Telecom · ACC-1" in page.text
    assert "150,00" in page.text  # formatted for the checkout's locale (es)
    assert 'value="card"' in page.text
    assert 'value="cash"' in page.text
    assert 'name="amount"' in page.text
    assert "<script" not in page.text
    assert "http" not in page.text.split("<body>")[1]  # no external assets or links
    assert "default-src 'none'" in page.headers["content-security-policy"]
    css = sandbox.get("/phone-static/checkout.css")
    assert css.status_code == 200


def test_paying_everything_records_it_and_sends_a_signed_webhook(sandbox, receiver):
    rec, _ = receiver
    checkout = create(sandbox)
    done = pay(sandbox, checkout["id"], method="cash")
    assert done.status_code == 200
    assert "Payment received" in done.text
    assert "Nothing is left to pay" in done.text
    post = wait_for(lambda: rec.posts(), message="the payment webhook")[0]
    assert post.path == "/webhooks/payments"
    header = post.headers["cobro-sandbox-signature"]
    assert verify_signature(post.body, header, SECRET, datetime.now(UTC))
    assert not verify_signature(post.body, header, "another-secret", datetime.now(UTC))
    notice = parse_payment_webhook(post.body)
    [listed] = sandbox.get(PAYMENTS, params={"reference": "48210937551236"}).json()["payments"]
    assert notice.payment_id == listed["payment_id"]
    assert notice.reference == "48210937551236"
    assert notice.checkout_id == checkout["id"]
    assert (str(notice.amount.amount), notice.amount.currency, notice.method) == ("150.00", "EUR", "cash")
    wait_for(lambda: sandbox.get(PAYMENTS).json()["payments"][0]["webhook"] == "delivered")
    page = sandbox.get(f"/sandbox/pay/{checkout['id']}")
    assert "Nothing is left to pay" in page.text
    assert pay_again_refused(sandbox, checkout["id"]) == 409


def pay_again_refused(sandbox, checkout_id):
    return sandbox.post(f"/sandbox/pay/{checkout_id}", data={"method": "card", "choice": "all"}).status_code


def test_a_part_then_the_rest(sandbox):
    checkout = create(sandbox)
    part = pay(sandbox, checkout["id"], choice="part", amount="30,50")
    assert part.status_code == 200
    assert "Still due" in part.text
    assert "119,50" in part.text
    rest = pay(sandbox, checkout["id"], choice="all")
    assert rest.status_code == 200
    amounts = [p["amount_minor"] for p in sandbox.get(PAYMENTS).json()["payments"]]
    assert amounts == [3050, 11950]
    assert sandbox.get(f"{CHECKOUTS}/{checkout['id']}").json()["paid_minor"] == 15000


@pytest.mark.parametrize(
    ("form", "status", "sentence"),
    [
        ({"choice": "part", "amount": "150.01"}, 400, "more than is due"),
        ({"choice": "part", "amount": "0"}, 400, "Type the amount"),
        ({"choice": "part", "amount": "12.345"}, 400, "Type the amount"),
        ({"choice": "part", "amount": "ten"}, 400, "Type the amount"),
        ({"method": "bitcoin"}, 400, "card or cash"),
    ],
)
def test_a_refused_payment_shows_why_and_pays_nothing(sandbox, receiver, form, status, sentence):
    checkout = create(sandbox)
    answer = pay(sandbox, checkout["id"], **form)
    assert answer.status_code == status
    assert sentence in answer.text
    assert sandbox.get(PAYMENTS).json()["payments"] == []
    assert receiver[0].posts() == []


def test_a_checkout_without_partial_payments_refuses_a_part(sandbox):
    checkout = create(sandbox, allow_partial=False)
    page = sandbox.get(f"/sandbox/pay/{checkout['id']}")
    assert 'name="amount"' not in page.text
    answer = pay(sandbox, checkout["id"], choice="part", amount="10")
    assert answer.status_code == 400
    assert "paid in full" in answer.text
    assert sandbox.get(PAYMENTS).json()["payments"] == []


def test_an_expired_checkout_refuses_payment(sandbox):
    checkout = create(sandbox)
    token = form_token(sandbox.get(f"/sandbox/pay/{checkout['id']}").text)
    desk = sandbox.app.state.payments
    desk.checkouts[checkout["id"]].expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert sandbox.get(f"/sandbox/pay/{checkout['id']}").status_code == 410
    answer = sandbox.post(
        f"/sandbox/pay/{checkout['id']}", data={"token": token, "method": "card", "choice": "all"}
    )
    assert answer.status_code == 410
    assert "expired" in answer.text
    assert sandbox.get(PAYMENTS).json()["payments"] == []


def test_the_same_form_sent_twice_pays_once(sandbox):
    checkout = create(sandbox)
    token = form_token(sandbox.get(f"/sandbox/pay/{checkout['id']}").text)
    form = {"token": token, "method": "card", "choice": "part", "amount": "10"}
    first = sandbox.post(f"/sandbox/pay/{checkout['id']}", data=form)
    second = sandbox.post(f"/sandbox/pay/{checkout['id']}", data=form)
    assert first.status_code == second.status_code == 200
    assert len(sandbox.get(PAYMENTS).json()["payments"]) == 1


def test_an_unknown_checkout_is_404(sandbox):
    assert sandbox.get("/sandbox/pay/chk_nope").status_code == 404
    assert sandbox.post("/sandbox/pay/chk_nope", data={"method": "card"}).status_code == 404
    assert sandbox.get(f"{CHECKOUTS}/chk_nope").status_code == 404


def test_a_failed_webhook_is_retried_signed_afresh_then_given_up(sandbox, receiver):
    rec, _ = receiver
    rec.fail_next_posts = 1
    pay(sandbox, create(sandbox)["id"])
    posts = wait_for(lambda: len(rec.posts()) >= 2 and rec.posts(), message="the retry")
    assert posts[0].body == posts[1].body  # the same event
    wait_for(lambda: sandbox.get(PAYMENTS).json()["payments"][0]["webhook"] == "delivered")
    assert sandbox.get(PAYMENTS).json()["payments"][0]["attempts"] == 2

    rec.fail_next_posts = 10
    pay(sandbox, create(sandbox, reference="48210937551237")["id"])
    wait_for(lambda: sandbox.get(PAYMENTS).json()["payments"][1]["webhook"] == "failed", message="giving up")
    assert sandbox.get(PAYMENTS).json()["payments"][1]["attempts"] == 3  # the first try and two retries
