"""Opt-out detection: what a debtor writes to say stop, in es/en/pt/it, and what is only a normal sentence."""

from datetime import UTC, datetime, timedelta

import pytest

from cobro.domain.accounts import OptOut
from cobro.domain.compliance.opt_out import (
    OptOutEffect,
    OptOutScope,
    detect_opt_out,
    merge_opt_out,
    normalise,
    phrases_version,
)

CHANNEL, ALL, PROCESSING = OptOutScope.CHANNEL, OptOutScope.ALL_CONTACT, OptOutScope.PROCESSING

OPT_OUTS = [
    # (message, scope, language)
    ("STOP", CHANNEL, "en"),
    ("Stop!!!", CHANNEL, "en"),
    ("stop please", CHANNEL, "en"),
    ("  STOP STOP STOP ", CHANNEL, "en"),
    ("unsubscribe", CHANNEL, "en"),
    ("Opt-out", CHANNEL, "en"),
    ("QUIT.", CHANNEL, "en"),
    ("Please stop texting me", CHANNEL, "en"),
    ("Don't text me again", CHANNEL, "en"),
    ("don’t message me", CHANNEL, "en"),
    ("Don't contact me", ALL, "en"),
    ("I paid already, leave me alone!", ALL, "en"),
    ("Stop texting me now", CHANNEL, "en"),
    ("dejen de escribirme ahora", CHANNEL, "es"),  # "now" is not a timing preference: stop means stop
    ("parem de me mandar mensagem agora", CHANNEL, "pt"),
    ("smettete di scrivermi ora", CHANNEL, "it"),  # 'now' presses the stop, it is no other time
    ("unsubscribe me right now!!", CHANNEL, "en"),
    ("Please delete my data", PROCESSING, "en"),
    ("BAJA", CHANNEL, "es"),
    ("Baja por favor", CHANNEL, "es"),
    ("alto", CHANNEL, "es"),
    ("No me escriban más!!", CHANNEL, "es"),
    ("NO ME ESCRIBAN MAS", CHANNEL, "es"),
    ("ya pagué, dejen de escribirme", CHANNEL, "es"),
    ("No me escriban mas ya pague hoy", CHANNEL, "es"),
    ("¿Cómo hago para darme de baja?", CHANNEL, "es"),
    ("no me contacten", ALL, "es"),
    ("Déjenme en paz", ALL, "es"),
    ("Borren mis datos", PROCESSING, "es"),
    ("dejen de escribirme y borren mis datos", PROCESSING, "es"),
    ("SAIR", CHANNEL, "pt"),
    ("descadastrar", CHANNEL, "pt"),
    ("Não me mandem mais mensagens", CHANNEL, "pt"),
    ("parem de me mandar mensagem!", CHANNEL, "pt"),
    ("Não me contatem", ALL, "pt"),
    ("apaguem meus dados, por favor", PROCESSING, "pt"),
    ("ANNULLA", CHANNEL, "it"),
    ("Non scrivetemi più", CHANNEL, "it"),
    ("non contattatemi", ALL, "it"),
    ("Cancellate i miei dati", PROCESSING, "it"),
    ("Basta", CHANNEL, "es"),  # the same word in es, pt and it: the first language of the file
]

NOT_OPT_OUTS = [
    "no puedo pagar ahora",
    "agora não posso pagar",
    "ora non posso pagare",
    "¿Cuánto debo?",
    "No puedo pagar hasta el viernes",
    "no me escriban hasta el viernes",  # a timing request, not a stop
    "No me escriban más tarde de las 8",
    "don't text me before 9am",
    "Please don't contact me at work",
    "non scrivetemi prima delle 9",
    "não me mandem mensagens antes das 8",
    "I will stop by tomorrow to pay",
    "Stop by the office?",
    "cancelar la deuda, ¿cómo?",  # 'cancelar' a debt is paying it in Latin America
    "Quiero cancelar mi deuda",
    "fine",  # English 'ok', not Italian 'end'
    "ok",
    "no",
    "",
    "   ",
    "🙏",
]


@pytest.mark.parametrize(("message", "scope", "language"), OPT_OUTS)
def test_a_stop_request_is_found_with_its_scope_and_language(message, scope, language):
    found = detect_opt_out(message, None)
    assert found is not None, message
    assert (found.scope, found.language) == (scope, language)
    assert found.phrase in normalise(message)  # what matched, and nothing more of the message


@pytest.mark.parametrize("message", NOT_OPT_OUTS)
def test_a_normal_sentence_is_not_an_opt_out(message):
    assert detect_opt_out(message, None) is None


def test_a_keyword_inside_a_sentence_is_not_an_opt_out():
    assert detect_opt_out("STOP", None) is not None
    assert detect_opt_out("please stop the reminders until Friday, I will pay then", None) is None


def test_accents_case_and_punctuation_are_ignored_alike():
    assert normalise("  ¡NO me  escriban MÁS!! ") == "no me escriban mas"
    assert normalise("Don’t") == normalise("don't") == "dont"
    assert detect_opt_out("NÃO ME CONTATEM", None) == detect_opt_out("nao me contatem", None)


def test_the_widest_scope_wins_when_a_message_asks_for_several():
    found = detect_opt_out("stop texting me and delete my data", None)
    assert (found.scope, found.phrase) == (PROCESSING, "delete my data")


def test_the_opt_out_button_is_a_channel_opt_out_whatever_the_text():
    found = detect_opt_out(None, "OPT_OUT")
    assert (found.scope, found.phrase, found.language, found.via) == (CHANNEL, "OPT_OUT", None, "button")
    assert detect_opt_out("Sí, soy yo", "opt_out") is not None
    assert detect_opt_out(None, "PAY_NOW") is None
    assert detect_opt_out(None, None) is None


def test_the_phrase_data_has_a_version():
    assert phrases_version()


AT = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_a_first_opt_out_is_recorded():
    request = OptOut(AT, "channel", "whatsapp:wamid.1")
    assert merge_opt_out(None, request) == (request, OptOutEffect.RECORDED)


def test_a_later_opt_out_only_widens_and_keeps_the_first_time():
    first = OptOut(AT, "channel", "whatsapp:wamid.1")
    wider = OptOut(AT + timedelta(days=1), "processing", "whatsapp:wamid.2")
    merged, effect = merge_opt_out(first, wider)
    assert (merged, effect) == (OptOut(AT, "processing", "whatsapp:wamid.2"), OptOutEffect.WIDENED)
    narrower = OptOut(AT + timedelta(days=2), "channel", "whatsapp:wamid.3")
    assert merge_opt_out(merged, narrower) == (merged, OptOutEffect.UNCHANGED)


def test_an_earlier_request_arriving_late_moves_the_time_back_only():
    stored = OptOut(AT, "all_contact", "whatsapp:wamid.2")
    earlier = OptOut(AT - timedelta(hours=1), "channel", "whatsapp:wamid.1")
    merged, effect = merge_opt_out(stored, earlier)
    assert (merged, effect) == (
        OptOut(AT - timedelta(hours=1), "all_contact", "whatsapp:wamid.2"),
        OptOutEffect.UNCHANGED,
    )
