"""A person plays the debtor on the sandbox's phone page and talks to Cobro's bot end to end: asks the
balance, proves who they are, gets a payment link, pays part on the sandbox's checkout page and gets the
receipt in the chat, then asks for a person.

Both servers are real processes (tests/e2e/conftest.py): the sandbox delivers what the phone sends as
signed webhooks, Cobro answers through its outbox, the checkout's payment comes back as a signed payment
webhook.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Stack
from tests.e2e.test_phone_page import incoming, open_chat, outgoing
from tests.factories import account_row, write_csv

PHONE = "+525598765432"
REPLY_TIMEOUT = 20_000  # ms: the bot answers in well under a second; the send loop dispatches every 0.1 s


def _cobro(stack: Stack, *args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cobro", *args],
        env=stack.env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _seed(stack: Stack, workdir: Path) -> None:
    """A Mexican debtor owing $1,250.50 on an invoice overdue since 10 November."""
    _cobro(
        stack,
        "creditor",
        "add",
        "tienda",
        "--name",
        "Tienda Sol",
        "--country",
        "MX",
        "--currency",
        "MXN",
        cwd=workdir,
    )
    row = account_row(
        1,
        account_ref="A0000777-1",
        debtor_name="María José López",
        phone=PHONE,
        country="MX",
        currency="MXN",
        amount="1250.50",
        invoice_ref="F-1001",
        due_date="2026-11-10",
        language="es",
    )
    csv = write_csv(workdir / "accounts.csv", [row])
    _cobro(stack, "import", "accounts", str(csv), "--creditor", "tienda", cwd=workdir)


def _say(page: Page, text: str) -> None:
    composer = page.get_by_test_id("composer")
    composer.fill(text)
    composer.press("Enter")


def test_a_debtor_asks_verifies_pays_part_on_the_checkout_and_gets_the_receipt(
    page: Page, stack: Stack, tmp_path: Path
) -> None:
    _seed(stack, tmp_path)
    open_chat(page, PHONE)

    _say(page, "hola cuanto debo?")
    expect(incoming(page).filter(has_text="número de cliente")).to_have_count(1, timeout=REPLY_TIMEOUT)
    # Nothing about the debt before the proof.
    expect(incoming(page).filter(has_text="1,250.50")).to_have_count(0)

    _say(page, "A0000777-1")
    expect(incoming(page).filter(has_text="nombre completo")).to_have_count(1, timeout=REPLY_TIMEOUT)

    _say(page, "maria jose lopez")
    balance = incoming(page).filter(has_text="$1,250.50")
    expect(balance).to_have_count(1, timeout=REPLY_TIMEOUT)
    expect(balance.get_by_test_id("message-body")).to_contain_text("F-1001")

    balance.get_by_test_id("message-button").filter(has_text="Pagar ahora").click()
    link_message = incoming(page).filter(has_text="/pay/")
    expect(link_message).to_have_count(1, timeout=REPLY_TIMEOUT)
    found = re.search(r"(https?://\S+/pay/(\d+))", link_message.get_by_test_id("message-body").inner_text())
    assert found, link_message.inner_text()
    link = found.group(1)

    # The link is Cobro's; it opens the provider's checkout (the sandbox's), where the person pays part.
    checkout = page.context.new_page()
    checkout.goto(link)
    expect(checkout.get_by_test_id("pay-form")).to_be_visible()
    checkout.locator("#amount").fill("250.50")
    checkout.get_by_test_id("pay-part").click()
    expect(checkout.locator("body")).to_contain_text("Payment received")
    expect(checkout.locator("body")).to_contain_text("250.50")
    checkout.close()

    receipt = incoming(page).filter(has_text="Recibimos su pago")
    expect(receipt).to_have_count(1, timeout=REPLY_TIMEOUT)
    expect(receipt.get_by_test_id("message-body")).to_contain_text("$250.50")
    expect(receipt.get_by_test_id("message-body")).to_contain_text("$1,000.00")  # what is left

    _say(page, "quiero hablar con una persona")
    expect(incoming(page).filter(has_text="persona de nuestro equipo")).to_have_count(
        1, timeout=REPLY_TIMEOUT
    )
    expect(outgoing(page)).to_have_count(5)
