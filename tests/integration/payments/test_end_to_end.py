"""End to end: the sandbox and Cobro's web app on free ports; a debtor opens the link, pays part on the
checkout page, then the rest; the signed webhooks arrive and the ledger follows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from cobro.adapters.db.tables import payments
from cobro.bootstrap import bootstrap, load_settings
from cobro.entrypoints.web.app import create_app
from cobro.sandbox.app import create_sandbox_app
from tests.integration.payments.conftest import events, invoice_state, issue, reference_row
from tests.integration.sandbox.conftest import ServerThread, fast_settings, free_port, wait_for

SECRET = "e2e-payments-secret"


@pytest.fixture
def stack(database_url):
    """(sandbox URL, Cobro URL), both running."""
    sandbox_port, cobro_port = free_port(), free_port()
    cobro_url = f"http://127.0.0.1:{cobro_port}"
    sandbox_app = create_sandbox_app(
        fast_settings(
            port=sandbox_port,
            payments_webhook_url=f"{cobro_url}/webhooks/payments",
            payments_webhook_secret=SECRET,
            payments_webhook_retry_delays=[0.1, 0.2, 0.5],
        )
    )
    settings = load_settings(
        database_url=database_url,
        public_url=cobro_url,
        payment_provider_url=f"http://127.0.0.1:{sandbox_port}",
        payment_webhook_secret=SECRET,
        plan_every_seconds=0,
    )
    with (
        ServerThread(sandbox_app, sandbox_port) as sandbox,
        ServerThread(create_app(bootstrap(settings)), cobro_port),
    ):
        yield sandbox.url, cobro_url


def _pay(http, checkout_url, **form):
    page = http.get(checkout_url)
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    return http.post(checkout_url, data={"token": token, **form})


def _payments(engine):
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(payments)).scalar_one()


def test_a_debtor_pays_part_then_the_rest_through_the_link(stack, uow_factory, engine, ledger):
    sandbox_url, cobro_url = stack
    now = datetime.now(UTC)
    issued = issue(uow_factory, ledger, "150.00", now=now, valid_until=now + timedelta(days=7))
    link = issued.link(cobro_url)

    with httpx.Client(timeout=10) as http:
        opened = http.get(link)
        assert opened.status_code == 303
        checkout_url = opened.headers["location"]
        assert checkout_url.startswith(f"{sandbox_url}/sandbox/pay/chk_")
        page = http.get(checkout_url)
        assert "Acme Telecom · ACC-1" in page.text
        assert "150,00" in page.text
        assert "María" not in page.text  # the debtor's name never reaches the provider

        part = _pay(http, checkout_url, method="cash", choice="part", amount="30.00")
        assert part.status_code == 200
        assert "Payment received" in part.text
        wait_for(lambda: _payments(engine) == 1, timeout=10, message="the first payment recorded")
        assert reference_row(engine, issued.reference)["paid_minor"] == 3000
        assert invoice_state(engine) == {"INV-1": (7000, "open", False), "INV-2": (5000, "open", False)}
        [received] = events(engine, "payment.received")
        assert received["data"]["method"] == "cash"
        assert received["data"]["remaining_minor"] == 12000

        again = http.get(link)  # the same checkout, which knows what is left
        assert again.headers["location"] == checkout_url
        assert "120,00" in http.get(checkout_url).text

        rest = _pay(http, checkout_url, method="card", choice="all")
        assert rest.status_code == 200
        assert "Nothing is left to pay" in rest.text
        wait_for(
            lambda: reference_row(engine, issued.reference)["status"] == "paid",
            timeout=10,
            message="the reference paid",
        )
        assert invoice_state(engine) == {"INV-1": (0, "paid", True), "INV-2": (0, "paid", True)}
        assert _payments(engine) == 2
        paid_page = http.get(link)
        assert paid_page.status_code == 200
        assert "already paid" in paid_page.text

    listed = httpx.get(f"{sandbox_url}/sandbox/payments/v1/payments").json()["payments"]
    assert [p["webhook"] for p in listed] == ["delivered", "delivered"]
    assert [p["amount_minor"] for p in listed] == [3000, 12000]
    assert reference_row(engine, issued.reference)["checkout_url"] == checkout_url
