"""Scripted dialogues 6 to 9 in es, en, pt and it, none of which needs the person to prove who they are:
dispute and hardship, wrong number, opt-out, and a person asked for (or the bot not understanding twice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from cobro.adapters.db.tables import outbox
from cobro.app.send_outbox import SendPolicy, catalogue_index, recheck_prepared
from cobro.domain.template_catalogue import load_catalogue
from cobro.entrypoints.planning import shared_gate
from tests.integration.conversations.dialogue import (
    NUMBER,
    PROFILES,
    account,
    debtor,
    events,
    expected,
    inbox,
    label,
    mark_sent,
    menu_rows,
    outbox_rows,
)

DISPUTE = {
    "es": "no reconozco esta deuda, yo nunca compré nada",
    "en": "I don't recognise this debt, I never bought anything from you",
    "pt": "não reconheço essa dívida, nunca comprei nada",
    "it": "non riconosco questo debito, non ho mai comprato niente",
}
HARDSHIP = {
    "es": "perdí mi trabajo y ahora no puedo pagar",
    "en": "I lost my job and can't pay right now",
    "pt": "perdi meu emprego e agora não consigo pagar",
    "it": "ho perso il lavoro e adesso non riesco a pagare",
}
WRONG_NUMBER = {
    "es": "este no es mi número, no conozco a esa persona",
    "en": "wrong number, I don't know this person",
    "pt": "número errado, não conheço essa pessoa",
    "it": "numero sbagliato, non conosco questa persona",
}
OPT_OUT = {"es": "BAJA", "en": "STOP", "pt": "SAIR", "it": "cancellami"}
PERSON = {
    "es": "quiero hablar con una persona",
    "en": "I want to talk to a person",
    "pt": "quero falar com uma pessoa",
    "it": "voglio parlare con un operatore",
}
HELLO = {"es": "hola?", "en": "hello?", "pt": "oi?", "it": "ciao?"}
TEMPLATE_LANGUAGE = {"es": "es", "en": "en", "pt": "pt_BR", "it": "it"}


def _pre_verification(reply) -> None:
    """A reply that says nothing about a debt: no account on the row, mentions_debt false."""
    assert reply.row is not None
    assert reply.row["payload"]["mentions_debt"] is False
    assert reply.row["account_id"] is None


def test_a_dispute_pauses_the_account_and_hands_the_conversation_to_a_person(harness, lang):
    ids = harness.seeded[lang]
    chat = harness.chat(lang)

    acked = chat.say(DISPUTE[lang])

    assert (acked.type, acked.text) == ("text", expected(lang, "dispute_ack"))
    _pre_verification(acked)
    assert acked.row["debtor_id"] == ids.debtor_id
    [item] = inbox(harness.engine)
    assert (item["reason"], item["debtor_id"], item["creditor_id"], item["status"]) == (
        "dispute",
        ids.debtor_id,
        ids.creditor_id,
        "open",
    )
    assert account(harness.engine, ids.account_id)["disputed_at"] == harness.clock.now()
    assert len(events(harness.engine, "dispute.opened")) == 1
    quiet = chat.say(HELLO[lang])  # a person has it now: the bot says nothing
    assert quiet.silent
    assert quiet.others == []
    for other in set(PROFILES) - {lang}:  # nobody else's account is touched
        assert account(harness.engine, harness.seeded[other].account_id)["disputed_at"] is None


def test_hardship_pauses_reminders_offers_options_and_opens_a_case(harness, lang):
    ids = harness.seeded[lang]
    chat = harness.chat(lang)

    acked = chat.say(HARDSHIP[lang])

    assert acked.text == expected(lang, "hardship_ack")
    assert acked.buttons == [
        {"id": "PAYMENT_PLAN", "title": label(lang, "button.payment_plan")},
        {"id": "MORE_TIME", "title": label(lang, "button.more_time")},
        {"id": "TALK_TO_AGENT", "title": label(lang, "button.talk_to_agent")},
    ]
    _pre_verification(acked)
    assert account(harness.engine, ids.account_id)["hardship_at"] == harness.clock.now()
    [item] = inbox(harness.engine)
    assert (item["reason"], item["debtor_id"]) == ("hardship", ids.debtor_id)
    # The conversation stays with the bot: a plan still needs the proof first.
    plan = chat.press("PAYMENT_PLAN", label(lang, "button.payment_plan"))
    assert plan.text == expected(lang, "ask_account")


def test_a_wrong_number_is_apologised_to_once_and_never_written_to_again(harness, lang):
    ids = harness.seeded[lang]
    chat = harness.chat(lang)

    # Free text asks first: a message that only reads like "wrong number" silences nobody.
    asked = chat.say(WRONG_NUMBER[lang])

    assert asked.text == expected(lang, "confirm_wrong_number")
    assert [b["id"] for b in asked.content["buttons"]] == ["WRONG_NUMBER", "RIGHT_PARTY_YES"]
    _pre_verification(asked)
    assert debtor(harness.engine, ids.debtor_id)["wrong_number_at"] is None

    acked = chat.press("WRONG_NUMBER")

    assert acked.text == expected(lang, "wrong_number_ack")
    _pre_verification(acked)
    assert debtor(harness.engine, ids.debtor_id)["wrong_number_at"] == harness.clock.now()
    assert len(events(harness.engine, "wrong_number.recorded")) == 1
    for later_message in (HELLO[lang], "¿cuánto debo?", OPT_OUT[lang]):
        quiet = chat.say(later_message)
        assert quiet.silent, later_message
        assert quiet.others == [], later_message
    assert len(outbox_rows(harness.engine)) == 2


def test_an_opt_out_is_stored_and_confirmed_once_with_the_template(harness, lang):
    p, ids = PROFILES[lang], harness.seeded[lang]
    chat = harness.chat(lang)

    stopped = chat.say(OPT_OUT[lang])

    assert stopped.silent  # the template is the answer
    [confirmation] = stopped.others
    # One confirmation per opt-out: keyed by the debtor and the instant the opt-out was stored.
    opted_out_at = harness.clock.now().isoformat()
    assert confirmation["idempotency_key"] == f"opt-out:{ids.debtor_id}:{opted_out_at}"
    assert (confirmation["kind"], confirmation["template"], confirmation["language"]) == (
        "opt_out_confirmation",
        "cobro_opt_out_confirmation",
        TEMPLATE_LANGUAGE[lang],
    )
    assert (confirmation["debtor_id"], confirmation["creditor_id"], confirmation["account_id"]) == (
        ids.debtor_id,
        ids.creditor_id,
        None,
    )
    assert [(x["kind"], x["text"]) for x in confirmation["payload"]["parameters"]] == [
        ("debtor_name", p.name),
        ("creditor_name", p.creditor),
    ]
    assert confirmation["payload"]["mentions_debt"] is False
    stored = debtor(harness.engine, ids.debtor_id)
    assert stored["opted_out_at"] == harness.clock.now()
    assert stored["opt_out_source"] == f"whatsapp:{stopped.wamid}"
    assert len(events(harness.engine, "opt_out.recorded")) == 1
    assert _sendable(harness, [confirmation["id"]]) == [confirmation["id"]]


def test_a_second_opt_out_after_the_confirmation_went_gets_no_second_one(harness, lang):
    chat = harness.chat(lang)
    [first] = chat.say(OPT_OUT[lang]).others
    assert _sendable(harness, [first["id"]]) == [first["id"]]
    mark_sent(harness.engine, [first["id"]], harness.clock.now())

    again = chat.say(OPT_OUT[lang])

    assert again.silent
    assert [_sendable(harness, [row["id"]]) for row in again.others] in ([], [[]])


@pytest.mark.parametrize("lang", ["pt"])
def test_two_opt_outs_before_the_confirmation_went_still_get_exactly_one(harness, lang):
    ids = harness.seeded[lang]
    chat = harness.chat(lang)
    chat.say(OPT_OUT[lang])
    chat.say(OPT_OUT[lang])

    rows = outbox_rows(harness.engine, outbox.c.kind == "opt_out_confirmation")
    allowed = _sendable(harness, [r["id"] for r in rows])  # one worker claims both

    assert len(allowed) == 1, (
        f"{len(rows)} confirmation rows for debtor {ids.debtor_id}, {len(allowed)} would be sent"
    )


def test_asking_for_a_person_opens_an_inbox_item_and_the_bot_steps_back(harness, lang):
    ids = harness.seeded[lang]
    chat = harness.chat(lang)

    handed = chat.say(PERSON[lang])

    assert handed.text == expected(lang, "handoff")
    _pre_verification(handed)
    [item] = inbox(harness.engine)
    assert (item["reason"], item["debtor_id"], item["account_id"]) == (
        "asked_for_person",
        ids.debtor_id,
        None,
    )
    [opened] = events(harness.engine, "handoff.opened")
    assert opened["data"]["reason"] == "asked_for_person"
    quiet = chat.say(HELLO[lang])
    assert quiet.silent


def test_not_understood_twice_goes_to_a_person(harness, lang):
    chat = harness.chat(lang)

    first = chat.say("asdf")
    assert first.text == expected(lang, "clarify")
    assert first.type == "list"
    assert first.rows == menu_rows(lang)
    assert first.content["button"] == label(lang, "menu_button")
    assert inbox(harness.engine) == []

    second = chat.say("???")

    assert second.text == expected(lang, "handoff_unresolved")
    [item] = inbox(harness.engine)
    assert item["reason"] == "not_understood"


def _sendable(harness, ids: list[int]) -> list[int]:
    """The rows the send pipeline would send if one worker claimed them all now (claim-time re-check)."""
    now = harness.clock.now()
    policy = SendPolicy(
        gate=shared_gate(), catalogue=catalogue_index(load_catalogue()), default_phone_number_id=NUMBER.id
    )
    with harness.container.uow_factory() as uow:
        uow.connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(state="queued"))
        items = uow.outbox.claim(ids, "test-worker", now, now + timedelta(minutes=2))
        debtor_ids = {i.debtor_id for i in items if i.debtor_id is not None}
        recipients = uow.send_context.recipients(debtor_ids, now - timedelta(days=35))
        decided = [
            (item.id, recheck_prepared(item, recipients.get(item.debtor_id), now, policy, NUMBER.id))
            for item in items
        ]
    return [item_id for item_id, outcome in decided if type(outcome).__name__.startswith("Outgoing")]
