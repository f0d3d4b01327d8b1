"""Scripted dialogues 1 and 2 in es, en, pt and it: the balance after proving identity, and paying it now
(a payment link and cash reference for the exact balance, then the receipt when the payment lands)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cobro.adapters.db.tables import payment_references
from cobro.app.payment_references import format_reference
from cobro.app.record_payments import apply_payment_notice
from cobro.domain.money import Money
from cobro.domain.payments import PaymentNotice
from tests.integration.conversations.dialogue import (
    AMOUNT_MINOR,
    ASK_BALANCE,
    PROFILES,
    PUBLIC_URL,
    TODAY,
    balance_text,
    by_key,
    debtor,
    events,
    expected,
    fetch,
    label,
    later,
    next_buttons,
)

WRONG_FORMAT = "1234"  # too short to be a customer number
VALID_UNTIL = date(2026, 11, 30)  # seven days after the clock's date


def test_the_balance_is_shown_only_after_the_account_number_and_the_name(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]
    chat = harness.chat(lang)

    asked = chat.say(ASK_BALANCE[lang])
    assert (asked.type, asked.text) == ("text", expected(lang, "ask_account"))
    wrong = chat.say(WRONG_FORMAT)
    assert wrong.text == expected(lang, ("account_format", {"example": "A0000000-1"}))
    second = chat.say(p.account)
    assert second.text == expected(lang, "ask_name")
    for reply in (asked, wrong, second):
        assert reply.row is not None
        assert reply.row["payload"]["mentions_debt"] is False
        assert reply.row["account_id"] is None
        assert reply.others == []

    shown = chat.say(p.typed_name)

    assert shown.text == expected(lang, ("verified", {"name": p.first_name}), balance_text(p), "next_prompt")
    assert shown.type == "buttons"
    assert shown.buttons == next_buttons(lang)
    row = shown.row
    assert row is not None
    assert (row["debtor_id"], row["creditor_id"], row["account_id"]) == (
        ids.debtor_id,
        ids.creditor_id,
        ids.account_id,
    )
    assert (row["kind"], row["state"], row["to_address"]) == ("service_reply", "planned", p.wa_id)
    assert row["payload"]["mentions_debt"] is True
    assert row["payload"]["window_until"] == (harness.clock.now() + timedelta(hours=24)).isoformat()
    assert shown.turn["verified"] is True
    assert shown.turn["language"] == lang
    [verified] = events(harness.engine, "identity.verified")
    assert (verified["debtor_id"], verified["data"]["account_id"]) == (ids.debtor_id, ids.account_id)
    assert debtor(harness.engine, ids.debtor_id)["right_party_confirmed_at"] == harness.clock.now()
    assert events(harness.engine, "identity.failed") == []  # a badly shaped number is no failed proof


def test_pay_now_gives_a_link_and_a_reference_for_the_exact_balance_then_the_receipt(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]
    chat = harness.chat(lang)
    chat.verify()

    paying = chat.press("PAY_NOW", label(lang, "button.pay_now"))

    [reference] = fetch(harness.engine, payment_references)
    assert (reference["account_id"], reference["creditor_id"], reference["amount_minor"]) == (
        ids.account_id,
        ids.creditor_id,
        AMOUNT_MINOR,
    )
    assert (reference["currency"], reference["purpose"], reference["status"], reference["plan_id"]) == (
        p.currency,
        "balance",
        "open",
        None,
    )
    assert reference["valid_until"] == harness.clock.now() + timedelta(days=7)
    assert paying.type == "text"
    assert paying.text == expected(
        lang,
        (
            "payment_link",
            {
                "amount": p.money(AMOUNT_MINOR),
                "link": f"{PUBLIC_URL}/pay/{reference['reference']}",
                "reference": format_reference(reference["reference"]),
                "valid_until": p.day(VALID_UNTIL),
            },
        ),
    )
    assert paying.row is not None
    assert paying.row["account_id"] == ids.account_id

    later(harness.clock, minutes=5)
    container = harness.container
    assert container.after_payment is not None, "the bot's receipt hook is not wired (bootstrap)"
    recorded = apply_payment_notice(
        container.uow_factory,
        harness.clock,
        PaymentNotice(
            provider="sandbox",
            payment_id="pay_1",
            reference=reference["reference"],
            amount=Money(p.decimal(AMOUNT_MINOR), p.currency),
            paid_at=harness.clock.now(),
        ),
        container.after_payment,
    )
    assert recorded is not None
    [receipt] = by_key(harness.engine, f"receipt:{recorded.payment_id}")
    assert receipt["payload"]["type"] == "text"
    assert receipt["payload"]["text"] == expected(
        lang,
        (
            "receipt_full",
            {"amount": p.money(AMOUNT_MINOR), "paid_on": p.day(TODAY), "account": p.account},
        ),
    )
    assert (receipt["debtor_id"], receipt["account_id"], receipt["to_address"]) == (
        ids.debtor_id,
        ids.account_id,
        p.wa_id,
    )


def test_a_reminder_s_pay_button_leads_through_identity_to_the_link(harness, lang):
    p = PROFILES[lang]
    chat = harness.chat(lang)

    tapped = chat.tap("PAY_NOW", label(lang, "button.pay_now"))
    assert tapped.text == expected(lang, "ask_account")
    assert chat.say(p.account).text == expected(lang, "ask_name")
    paying = chat.say(p.typed_name)

    [reference] = fetch(harness.engine, payment_references)
    assert reference["amount_minor"] == AMOUNT_MINOR
    assert paying.text == expected(
        lang,
        ("verified", {"name": p.first_name}),
        (
            "payment_link",
            {
                "amount": p.money(AMOUNT_MINOR),
                "link": f"{PUBLIC_URL}/pay/{reference['reference']}",
                "reference": format_reference(reference["reference"]),
                "valid_until": p.day(VALID_UNTIL),
            },
        ),
    )

    # Half of it paid: the receipt says what is left.
    later(harness.clock, minutes=5)
    half = AMOUNT_MINOR // 2
    recorded = apply_payment_notice(
        harness.container.uow_factory,
        harness.clock,
        PaymentNotice(
            provider="sandbox",
            payment_id="pay_half",
            reference=reference["reference"],
            amount=Money(p.decimal(half), p.currency),
            paid_at=harness.clock.now(),
        ),
        harness.container.after_payment,
    )
    assert recorded is not None
    [receipt] = by_key(harness.engine, f"receipt:{recorded.payment_id}")
    assert receipt["payload"]["text"] == expected(
        lang,
        (
            "receipt_partial",
            {
                "amount": p.money(half),
                "paid_on": p.day(TODAY),
                "remaining": p.money(AMOUNT_MINOR - half),
            },
        ),
    )


TEMPLATE_LANGUAGE = {"es": "es", "en": "en", "pt": "pt_BR", "it": "it"}


def _paid_after_the_window(harness, lang: str) -> dict:
    """The debtor asks for the link, pays it all 25 hours later: the receipt's outbox row."""
    p = PROFILES[lang]
    chat = harness.chat(lang)
    chat.verify()
    chat.press("PAY_NOW", label(lang, "button.pay_now"))
    [reference] = fetch(harness.engine, payment_references)
    later(harness.clock, hours=25)  # the debtor's last message is more than 24 hours old
    recorded = apply_payment_notice(
        harness.container.uow_factory,
        harness.clock,
        PaymentNotice(
            provider="sandbox",
            payment_id="pay_late",
            reference=reference["reference"],
            amount=Money(p.decimal(AMOUNT_MINOR), p.currency),
            paid_at=harness.clock.now(),
        ),
        harness.container.after_payment,
    )
    assert recorded is not None
    [receipt] = by_key(harness.engine, f"receipt:{recorded.payment_id}")
    return receipt


def test_a_payment_after_the_window_closed_gets_the_receipt_template(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]

    receipt = _paid_after_the_window(harness, lang)

    assert (receipt["template"], receipt["language"], receipt["debtor_id"]) == (
        "cobro_payment_receipt",
        TEMPLATE_LANGUAGE[lang],
        ids.debtor_id,
    )
    assert receipt["to_address"] is None  # a template goes to the phone on file
    parameters = receipt["payload"]["parameters"]
    assert [x["kind"] for x in parameters] == [
        "debtor_name",
        "creditor_name",
        "paid_amount",
        "invoice_reference",
        "remaining_amount",
    ]
    assert parameters[:3] == [
        {"kind": "debtor_name", "text": p.name, "currency_code": None, "amount_1000": None},
        {"kind": "creditor_name", "text": p.creditor, "currency_code": None, "amount_1000": None},
        {
            "kind": "paid_amount",
            "text": p.money(AMOUNT_MINOR),
            "currency_code": p.currency,
            "amount_1000": AMOUNT_MINOR * 10,
        },
    ]
    assert parameters[4] == {
        "kind": "remaining_amount",
        "text": p.money(0),
        "currency_code": p.currency,
        "amount_1000": 0,
    }


@pytest.mark.parametrize("lang", ["en"])
def test_the_receipt_template_names_the_invoice_that_was_paid(harness, lang):
    receipt = _paid_after_the_window(harness, lang)

    assert receipt["payload"]["parameters"][3]["text"] == PROFILES[lang].invoice
