"""Scripted dialogue 4 in es, en, pt and it: a promise to pay on a date (confirmed, stored on the account), a
date beyond the policy's maximum, and "more time" (a date asked for, confirmed as an extension)."""

from __future__ import annotations

from datetime import date

from tests.integration.conversations.dialogue import (
    AMOUNT_MINOR,
    FRIDAY,
    PROFILES,
    account,
    confirm_buttons,
    events,
    expected,
    label,
)

YES = {"es": "sí", "en": "yes", "pt": "sim", "it": "sì"}
ON_FRIDAY = {
    "es": "pago el viernes",
    "en": "I'll pay on Friday",
    "pt": "vou pagar na sexta",
    "it": "pago venerdì",
}
TOO_FAR = {  # 15 February 2027: beyond the default 30 days (23 December 2026)
    "es": "pago el 15 de febrero",
    "en": "I'll pay on February 15",
    "pt": "vou pagar dia 15 de fevereiro",
    "it": "pago il 15 febbraio",
}
DECEMBER_5 = {
    "es": "el 5 de diciembre",
    "en": "on December 5",
    "pt": "dia 5 de dezembro",
    "it": "il 5 dicembre",
}
LATEST = date(2026, 12, 23)


def test_a_promise_for_friday_is_confirmed_and_stored(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]
    chat = harness.chat(lang)
    chat.verify()

    asked = chat.say(ON_FRIDAY[lang])
    assert asked.text == expected(
        lang, ("promise_confirm", {"amount": p.money(AMOUNT_MINOR), "date": p.day(FRIDAY)})
    )
    assert asked.buttons == confirm_buttons(lang)
    assert account(harness.engine, ids.account_id)["promise_until"] is None

    confirmed = chat.say(YES[lang])

    assert confirmed.text == expected(
        lang, ("promise_confirmed", {"amount": p.money(AMOUNT_MINOR), "date": p.day(FRIDAY)})
    )
    assert account(harness.engine, ids.account_id)["promise_until"] == FRIDAY
    [recorded] = events(harness.engine, "promise.recorded")
    assert recorded["data"]["promise_until"] == FRIDAY.isoformat()
    assert recorded["data"]["extension"] is False


def test_a_promise_made_before_proving_identity_keeps_its_date(harness, lang):
    p = PROFILES[lang]
    chat = harness.chat(lang)
    assert chat.say(ON_FRIDAY[lang]).text == expected(lang, "ask_account")
    assert chat.say(p.account).text == expected(lang, "ask_name")

    proved = chat.say(p.typed_name)

    assert proved.text == expected(
        lang,
        ("verified", {"name": p.first_name}),
        ("promise_confirm", {"amount": p.money(AMOUNT_MINOR), "date": p.day(FRIDAY)}),
    )


def test_a_date_beyond_the_policy_s_maximum_is_refused(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]
    chat = harness.chat(lang)
    chat.verify()

    refused = chat.say(TOO_FAR[lang])

    assert refused.text == expected(lang, ("date_too_far", {"max_date": p.day(LATEST)}))
    assert account(harness.engine, ids.account_id)["promise_until"] is None
    on_friday = chat.say(ON_FRIDAY[lang])  # a date within the limit is then taken
    assert on_friday.text == expected(
        lang, ("promise_confirm", {"amount": p.money(AMOUNT_MINOR), "date": p.day(FRIDAY)})
    )


def test_more_time_asks_the_date_and_records_an_extension(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]
    chat = harness.chat(lang)
    chat.verify()

    asked = chat.press("MORE_TIME", label(lang, "button.more_time"))
    assert asked.text == expected(lang, "ask_date")
    dated = chat.say(DECEMBER_5[lang])
    assert dated.text == expected(
        lang, ("promise_confirm", {"amount": p.money(AMOUNT_MINOR), "date": p.day(date(2026, 12, 5))})
    )
    confirmed = chat.press("CONFIRM", label(lang, "button.yes"))

    assert confirmed.text == expected(
        lang, ("extension_confirmed", {"amount": p.money(AMOUNT_MINOR), "date": p.day(date(2026, 12, 5))})
    )
    assert account(harness.engine, ids.account_id)["promise_until"] == date(2026, 12, 5)
    [recorded] = events(harness.engine, "promise.recorded")
    assert recorded["data"]["extension"] is True
