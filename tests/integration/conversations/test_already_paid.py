"""Scripted dialogue 5 in es, en, pt and it: "I already paid", found in the ledger; not found (a person checks
it and collection waits: the account is marked disputed); a photo of the receipt (handed to a person)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cobro.app.payment_references import issue_reference
from cobro.app.record_payments import apply_payment_notice
from cobro.domain.money import Money
from cobro.domain.payments import PaymentNotice
from tests.integration.conversations.dialogue import (
    PROFILES,
    account,
    expected,
    inbox,
)

ALREADY_PAID = {"es": "ya pagué", "en": "I already paid", "pt": "já paguei", "it": "ho già pagato"}
PAID_500_ON_20 = {
    "es": "pagué 500 el 20 de noviembre",
    "en": "I paid 500 on November 20",
    "pt": "paguei 500 no dia 20 de novembro",
    "it": "ho pagato 500 il 20 novembre",
}
PAID_ALL_YESTERDAY = {
    "es": "pagué los 1,250.50 ayer",
    "en": "I paid the 1,250.50 yesterday",
    "pt": "paguei os 1.250,50 ontem",
    "it": "ho pagato i 1.250,50 ieri",
}
FOLLOW_UP = {
    "es": "¿me confirman?",
    "en": "can you confirm?",
    "pt": "podem confirmar?",
    "it": "mi confermate?",
}


def _record_payment(harness, lang: str, minor: int, paid_at: datetime) -> None:
    """A payment of `minor` against a reference on the debtor's account, recorded before the chat."""
    p, ids = PROFILES[lang], harness.seeded[lang]
    container = harness.container
    now = harness.clock.now()
    with container.uow_factory() as uow:
        issued = issue_reference(
            uow,
            creditor_id=ids.creditor_id,
            account_id=ids.account_id,
            amount=Money(Decimal(minor) / 100, p.currency),
            purpose="balance",
            valid_until=now + timedelta(days=7),
            now=now - timedelta(days=5),
        )
        uow.commit()
    notice = PaymentNotice(
        provider="sandbox",
        payment_id=f"pay_{lang}",
        reference=issued.reference,
        amount=Money(Decimal(minor) / 100, p.currency),
        paid_at=paid_at,
    )
    assert apply_payment_notice(container.uow_factory, harness.clock, notice) is not None


def test_a_payment_in_the_ledger_is_found(harness, lang):
    p = PROFILES[lang]
    paid_at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    _record_payment(harness, lang, 50000, paid_at)
    chat = harness.chat(lang)

    asked = chat.verify(ALREADY_PAID[lang])
    assert asked.text == expected(lang, ("verified", {"name": p.first_name}), "paid_ask")
    found = chat.say(PAID_500_ON_20[lang])

    assert found.text == expected(
        lang, ("paid_found", {"amount": p.money(50000), "paid_on": p.day(paid_at.date())})
    )
    assert inbox(harness.engine) == []
    assert account(harness.engine, harness.seeded[lang].account_id)["disputed_at"] is None


@pytest.mark.parametrize("lang", ["es", "en"])  # zones west of UTC: the UTC date is the next day
def test_the_payment_found_is_dated_in_the_debtor_s_zone(harness, lang):
    p = PROFILES[lang]
    # The evening of 20 November in Mexico City and New York.
    paid_at = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    _record_payment(harness, lang, 50000, paid_at)
    chat = harness.chat(lang)
    chat.verify(ALREADY_PAID[lang])

    found = chat.say(PAID_500_ON_20[lang])

    local_day = paid_at.astimezone(ZoneInfo(p.zone)).date()
    assert found.text == expected(
        lang, ("paid_found", {"amount": p.money(50000), "paid_on": p.day(local_day)})
    )


def test_a_payment_not_in_the_ledger_goes_to_a_person_and_pauses_collection(harness, lang):
    ids = harness.seeded[lang]
    chat = harness.chat(lang)
    chat.verify()

    assert chat.say(ALREADY_PAID[lang]).text == expected(lang, "paid_ask")
    checking = chat.say(PAID_ALL_YESTERDAY[lang])

    assert checking.text == expected(lang, "paid_checking")
    [item] = inbox(harness.engine)
    assert (item["reason"], item["debtor_id"], item["account_id"], item["status"]) == (
        "payment_not_found",
        ids.debtor_id,
        ids.account_id,
        "open",
    )
    assert account(harness.engine, ids.account_id)["disputed_at"] == harness.clock.now()
    quiet = chat.say(FOLLOW_UP[lang])  # a person has the conversation now
    assert quiet.silent
    assert quiet.others == []


def test_a_photo_of_the_receipt_goes_to_a_person(harness, lang):
    ids = harness.seeded[lang]
    chat = harness.chat(lang)
    chat.verify()
    assert chat.say(ALREADY_PAID[lang]).text == expected(lang, "paid_ask")

    sent = chat.send_image()

    assert sent.text == expected(lang, "paid_checking")
    [item] = inbox(harness.engine)
    assert (item["reason"], item["debtor_id"], item["account_id"]) == (
        "receipt_sent",
        ids.debtor_id,
        ids.account_id,
    )
    assert account(harness.engine, ids.account_id)["disputed_at"] == harness.clock.now()


PAID_ON_1 = {
    "es": "pagué el 1 de noviembre",
    "en": "I paid on November 1",
    "pt": "paguei no dia 1 de novembro",
    "it": "ho pagato il 1 novembre",
}


@pytest.mark.parametrize("lang", ["it"])
def test_a_payment_claimed_on_another_date_is_not_taken_for_the_one_in_the_ledger(harness, lang):
    ids = harness.seeded[lang]
    _record_payment(harness, lang, 50000, datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    chat = harness.chat(lang)
    chat.verify(ALREADY_PAID[lang])

    claimed = chat.say(PAID_ON_1[lang])  # the ledger has no payment of 1 November

    assert claimed.text == expected(lang, "paid_checking")
    [item] = inbox(harness.engine)
    assert (item["reason"], item["account_id"]) == ("payment_not_found", ids.account_id)
