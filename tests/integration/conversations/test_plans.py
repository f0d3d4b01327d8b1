"""Scripted dialogue 3 in es, en, pt and it: a payment plan chosen from the list and confirmed (the plan and
its instalments stored, a link for the first instalment), and counter-proposals inside and outside the
creditor's limits (a stored strategy whose conversation section sets a minimum instalment of 100.00)."""

from __future__ import annotations

from datetime import date

import pytest

from cobro.adapters.db.tables import payment_plans, payment_references, plan_instalments
from cobro.app.payment_references import format_reference
from tests.integration.conversations.dialogue import (
    AMOUNT_MINOR,
    PROFILES,
    PUBLIC_URL,
    account,
    confirm_buttons,
    events,
    expected,
    fetch,
    inbox,
    label,
    set_conversation_policy,
)

YES = {"es": "sí", "en": "yes", "pt": "sim", "it": "sì"}
FIRST_DUE = date(2026, 11, 30)  # the policy's first_due_days (7) after the clock's date
# Counter-proposals, as people write them.
PAY_300 = {
    "es": "puedo pagar 300 por mes",
    "en": "I can pay 300 per month",
    "pt": "posso pagar 300 por mês",
    "it": "posso pagare 300 al mese",
}
PAY_50 = {
    "es": "solo puedo pagar 50 al mes",
    "en": "I can only pay 50 a month",
    "pt": "só consigo pagar 50 por mês",
    "it": "posso pagare solo 50 al mese",
}
PAY_100 = {
    "es": "puedo pagar 100 al mes",
    "en": "I can pay 100 a month",
    "pt": "posso pagar 100 por mês",
    "it": "posso pagare 100 al mese",
}
UNCLEAR = {"es": "mmm no sé", "en": "hmm not sure", "pt": "hmm não sei", "it": "mah non so"}
MINIMUM = "  plan:\n    min_instalment_minor: 10000\n    max_instalments: 6\n"


def _row(lang: str, count: int, instalment: int) -> dict[str, str]:
    p = PROFILES[lang]
    return {
        "id": f"PLAN:{count}",
        "title": label(lang, "plan_row", count=count, instalment=p.money(instalment)),
        "description": label(lang, "plan_row_description", first_due=p.day(FIRST_DUE)),
    }


def _link(lang: str, reference: dict, amount_minor: int) -> tuple[str, dict[str, str]]:
    p = PROFILES[lang]
    return (
        "payment_link",
        {
            "amount": p.money(amount_minor),
            "link": f"{PUBLIC_URL}/pay/{reference['reference']}",
            "reference": format_reference(reference["reference"]),
            "valid_until": p.day(date(2026, 11, 30)),
        },
    )


def _offered(harness, lang):
    chat = harness.chat(lang)
    chat.verify()
    offered = chat.press("PAYMENT_PLAN", label(lang, "button.payment_plan"))
    p = PROFILES[lang]
    assert offered.text == expected(lang, ("plan_intro", {"amount": p.money(AMOUNT_MINOR)}))
    assert offered.type == "list"
    assert offered.content["button"] == label(lang, "plan_button")
    assert offered.rows == [_row(lang, 2, 62525), _row(lang, 3, 41683), _row(lang, 6, 20841)]
    return chat


def test_a_plan_chosen_from_the_list_is_confirmed_stored_and_its_first_instalment_linked(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]
    chat = _offered(harness, lang)

    chosen = chat.choose("PLAN:3", _row(lang, 3, 41683)["title"])
    assert chosen.text == expected(
        lang, ("plan_confirm", {"count": 3, "instalment": p.money(41683), "first_due": p.day(FIRST_DUE)})
    )
    assert chosen.buttons == confirm_buttons(lang, agent=True)
    assert fetch(harness.engine, payment_plans) == []  # nothing agreed before the yes

    confirmed = chat.say(YES[lang])

    [plan] = fetch(harness.engine, payment_plans)
    assert (plan["account_id"], plan["status"], plan["total_minor"], plan["instalments"]) == (
        ids.account_id,
        "current",
        AMOUNT_MINOR,
        3,
    )
    assert (plan["down_payment_minor"], plan["currency"]) == (0, p.currency)
    instalments = fetch(harness.engine, plan_instalments, plan_instalments.c.plan_id == plan["id"])
    assert [(i["number"], i["due_date"], i["amount_minor"], i["status"]) for i in instalments] == [
        (1, date(2026, 11, 30), 41683, "due"),
        (2, date(2026, 12, 30), 41683, "due"),
        (3, date(2027, 1, 29), 41684, "due"),
    ]
    [reference] = fetch(harness.engine, payment_references)
    assert (reference["amount_minor"], reference["purpose"], reference["plan_id"]) == (
        41683,
        "instalment",
        plan["id"],
    )
    assert confirmed.text == expected(
        lang,
        ("plan_confirmed", {"count": 3, "instalment": p.money(41683), "first_due": p.day(FIRST_DUE)}),
        _link(lang, reference, 41683),
    )
    assert account(harness.engine, ids.account_id)["plan_status"] == "current"
    [agreed] = events(harness.engine, "plan.agreed")
    assert agreed["data"]["plan_id"] == plan["id"]
    assert agreed["data"]["total_minor"] == AMOUNT_MINOR


def test_a_counter_proposal_below_the_minimum_is_refused_and_one_within_the_limits_agreed(harness, lang):
    p = PROFILES[lang]
    set_conversation_policy(harness.container.uow_factory, harness.clock, p.slug, MINIMUM)
    chat = _offered(harness, lang)

    low = chat.say(PAY_50[lang])
    assert low.text == expected(lang, ("plan_counter_too_low", {"minimum": p.money(10000)}))
    fits = chat.say(PAY_300[lang])
    assert fits.text == expected(
        lang, ("plan_confirm", {"count": 5, "instalment": p.money(30000), "first_due": p.day(FIRST_DUE)})
    )
    confirmed = chat.press("CONFIRM", label(lang, "button.yes"))

    [plan] = fetch(harness.engine, payment_plans)
    instalments = fetch(harness.engine, plan_instalments, plan_instalments.c.plan_id == plan["id"])
    assert [i["amount_minor"] for i in instalments] == [30000, 30000, 30000, 30000, 5050]
    assert [i["due_date"] for i in instalments] == [
        date(2026, 11, 30),
        date(2026, 12, 30),
        date(2027, 1, 29),
        date(2027, 2, 28),
        date(2027, 3, 30),
    ]
    [reference] = fetch(harness.engine, payment_references)
    assert confirmed.text == expected(
        lang,
        ("plan_confirmed", {"count": 5, "instalment": p.money(30000), "first_due": p.day(FIRST_DUE)}),
        _link(lang, reference, 30000),
    )


def test_a_counter_proposal_needing_too_many_instalments_is_refused(harness, lang):
    p = PROFILES[lang]
    set_conversation_policy(harness.container.uow_factory, harness.clock, p.slug, MINIMUM)
    chat = _offered(harness, lang)

    many = chat.say(PAY_100[lang])  # 1,250.50 at 100 a month is 13 instalments; at most 6

    assert many.text == expected(lang, ("plan_counter_too_many", {"maximum": 6}))
    assert fetch(harness.engine, payment_plans) == []
    again = chat.choose("PLAN:6", _row(lang, 6, 20841)["title"])
    assert again.text == expected(
        lang, ("plan_confirm", {"count": 6, "instalment": p.money(20841), "first_due": p.day(FIRST_DUE)})
    )


@pytest.mark.parametrize("lang", ["pt"])  # the same in every language
def test_a_refused_counter_proposal_does_not_count_against_the_next_step(harness, lang):
    p = PROFILES[lang]
    set_conversation_policy(harness.container.uow_factory, harness.clock, p.slug, MINIMUM)
    chat = _offered(harness, lang)
    chat.say(PAY_50[lang])  # refused: one unresolved turn
    chat.say(PAY_300[lang])  # accepted: the plan step is resolved, the confirmation asked

    unsure = chat.say(UNCLEAR[lang])

    assert unsure.text == expected(lang, "clarify")  # the first unclear answer to the confirmation
    assert inbox(harness.engine) == []
