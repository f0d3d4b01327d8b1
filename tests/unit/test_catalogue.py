"""The template catalogue: every template in four languages, consistent across them, as Meta's review wants."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from cobro.adapters.whatsapp.template_payloads import definition_for
from cobro.domain.contact import MessageKind
from cobro.domain.template_catalogue import (
    COLLECTION_PARAMETERS,
    LANGUAGES,
    TEMPLATE_KINDS,
    CatalogueError,
    ParameterKind,
    TemplateEntry,
    entry_problems,
    find_entry,
    load_catalogue,
    template_language,
)
from cobro.sandbox.review import review
from cobro.sandbox.templates import Template

NAMES = {
    "cobro_reminder_before_due",
    "cobro_overdue_notice",
    "cobro_overdue_notice_repeat",
    "cobro_partial_payment_balance",
    "cobro_plan_options",
    "cobro_final_notice_agent",
    "cobro_final_notice_last_message",
    "cobro_final_notice_checkins",
    "cobro_long_debt_checkin",
    "cobro_right_party_check",
    "cobro_opt_out_confirmation",
    "cobro_plan_instalment_reminder",
    "cobro_promise_followup",
    "cobro_payment_receipt",
    "cobro_agent_followup",
}
CATALOGUE = load_catalogue()
VARIABLE = re.compile(r"\{\{(\d+)\}\}")
# What Meta's review (and the sandbox) treat as marketing in a UTILITY template.
MARKETING = re.compile(
    r"\b(offers?|oferta|offerta|desconto|descuento|sconto|free|gratis|grátis|promo\w*)\b", re.I
)
DEBT_WORDS = re.compile(
    r"(factura|fatura|fattura|invoice|deuda|dívida|debito|debt|saldo|balance|pago|pagamento|payment|importe|monto)",
    re.I,
)


def by_name() -> dict[str, list[TemplateEntry]]:
    grouped: dict[str, list[TemplateEntry]] = defaultdict(list)
    for entry in CATALOGUE:
        grouped[entry.name].append(entry)
    return grouped


def test_every_template_exists_in_all_four_languages_once() -> None:
    assert set(by_name()) == NAMES
    for name, entries in by_name().items():
        assert sorted(e.language for e in entries) == sorted(LANGUAGES), name
    assert len(CATALOGUE) == 60


def test_languages_agree_on_parameters_buttons_kind_and_category() -> None:
    for name, entries in by_name().items():
        shapes = {(e.parameters, tuple(b.payload for b in e.buttons), e.kind, e.category) for e in entries}
        assert len(shapes) == 1, name
        assert all(e.category == "UTILITY" for e in entries)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: f"{e.name}-{e.language}")
def test_variables_are_numbered_in_order_never_at_the_edges_nor_side_by_side(entry: TemplateEntry) -> None:
    body = entry.body.strip()
    numbers = [int(n) for n in VARIABLE.findall(body)]
    assert numbers == list(range(1, len(entry.parameters) + 1))
    assert not body.startswith("{{")
    assert not body.endswith("}}")
    assert not re.search(r"\}\}\s*\{\{", body)
    assert len(entry.examples) == len(entry.parameters)
    assert all(entry.examples)
    # At least two words of fixed text per variable (the sandbox's stand-in for Meta's length rule).
    fixed_words = [w for w in VARIABLE.sub(" ", body).split() if re.search(r"\w", w)]
    assert len(fixed_words) >= 2 * len(numbers)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: f"{e.name}-{e.language}")
def test_buttons_are_quick_replies_with_short_labels_and_no_marketing_words(entry: TemplateEntry) -> None:
    assert len(entry.buttons) <= 10
    assert all(b.type == "QUICK_REPLY" and 0 < len(b.label) <= 25 for b in entry.buttons)
    for _, text in entry.texts():
        assert not MARKETING.search(text), text
    assert entry.header is None or len(entry.header) <= 60


def test_collection_templates_carry_what_the_debtor_needs_and_offer_an_opt_out() -> None:
    collection = [e for e in CATALOGUE if e.kind is MessageKind.COLLECTION]
    assert len(collection) == 44
    for entry in collection:
        assert set(entry.parameters) >= COLLECTION_PARAMETERS, entry.key
        assert ParameterKind.CREDITOR_NAME in entry.parameters
        payloads = [b.payload for b in entry.buttons]
        assert payloads[-1] == "OPT_OUT"
        assert "PAY_NOW" in payloads
        assert "TALK_TO_AGENT" in payloads


def test_the_stages_offer_the_buttons_the_strategy_expects() -> None:
    expected = {
        "cobro_reminder_before_due": ["PAY_NOW", "MORE_TIME", "TALK_TO_AGENT", "OPT_OUT"],
        "cobro_overdue_notice": ["PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "TALK_TO_AGENT", "OPT_OUT"],
        "cobro_plan_options": ["PAYMENT_PLAN", "PAY_NOW", "TALK_TO_AGENT", "OPT_OUT"],
        "cobro_long_debt_checkin": ["PAYMENT_PLAN", "PAY_NOW", "TALK_TO_AGENT", "OPT_OUT"],
        "cobro_right_party_check": ["RIGHT_PARTY_YES", "WRONG_NUMBER"],
        "cobro_plan_instalment_reminder": ["PAY_NOW", "MORE_TIME", "TALK_TO_AGENT", "OPT_OUT"],
        "cobro_promise_followup": ["PAY_NOW", "MORE_TIME", "TALK_TO_AGENT", "OPT_OUT"],
        "cobro_payment_receipt": ["TALK_TO_AGENT"],
        "cobro_agent_followup": ["TALK_TO_AGENT"],
    }
    for name, payloads in expected.items():
        assert [b.payload for b in by_name()[name][0].buttons] == payloads


# What each final notice must say about the next step, per language (the strategy relies on it).
CHECK_IN_WORDING = {
    "es": ("terminan nuestros recordatorios automáticos", "cada pocas semanas", "escribirnos cuando quiera"),
    "en": ("automated reminders end with this notice", "every few weeks", "write to us any time"),
    "pt_BR": ("terminam os nossos lembretes automáticos", "a cada algumas semanas", "quando quiser"),
    "it": ("terminano i nostri promemoria automatici", "qualche settimana", "in qualsiasi momento"),
}
AGENT_WORDING = {
    "es": "se pondrá en contacto",
    "en": "will contact you",
    "pt_BR": "vai entrar em contato",
    "it": "la contatterà",
}


def test_the_final_notice_with_check_ins_says_reminders_end_and_check_ins_follow() -> None:
    agent = {e.language: e for e in by_name()["cobro_final_notice_agent"]}
    for entry in by_name()["cobro_final_notice_checkins"]:
        twin = agent[entry.language]
        assert (entry.parameters, entry.kind, entry.category) == (twin.parameters, twin.kind, twin.category)
        assert [b.payload for b in entry.buttons] == ["PAY_NOW", "PAYMENT_PLAN", "TALK_TO_AGENT", "OPT_OUT"]
        assert [b.label for b in entry.buttons] == [b.label for b in twin.buttons]
        for phrase in CHECK_IN_WORDING[entry.language]:
            assert phrase in entry.body, (entry.language, phrase)
        assert AGENT_WORDING[entry.language] in twin.body
        assert AGENT_WORDING[entry.language] not in entry.body  # it promises no call from a person


def test_the_right_party_check_says_nothing_about_a_debt() -> None:
    for entry in by_name()["cobro_right_party_check"]:
        assert entry.kind is MessageKind.RIGHT_PARTY_CHECK
        # Not even the creditor's name: an agency's name alone tells a third party there is a debt.
        assert entry.parameters == (ParameterKind.DEBTOR_NAME,)
        for _, text in entry.texts():
            assert not DEBT_WORDS.search(text), (entry.language, text)


def test_the_opt_out_confirmation_has_no_debt_details_and_at_most_one_button() -> None:
    for entry in by_name()["cobro_opt_out_confirmation"]:
        assert entry.kind is MessageKind.OPT_OUT_CONFIRMATION
        assert not set(entry.parameters) & {ParameterKind.AMOUNT, ParameterKind.INVOICE_REFERENCE}
        assert not DEBT_WORDS.search(entry.body)
        assert [b.payload for b in entry.buttons] in ([], ["TALK_TO_AGENT"])
        assert "WhatsApp" in entry.body


def test_entry_problems_name_what_meta_would_refuse() -> None:
    entry = find_entry(CATALOGUE, "cobro_right_party_check", "en")
    assert entry is not None
    assert entry_problems(entry) == []
    assert "starts with a variable" in entry_problems(replace(entry, body="{{1}}, {{2}} has a message."))[0]
    assert any(
        "side by side" in p for p in entry_problems(replace(entry, body="Hi {{1}} {{2}} here, thanks."))
    )
    collection = find_entry(CATALOGUE, "cobro_overdue_notice", "es")
    assert collection is not None
    no_opt_out = replace(collection, buttons=collection.buttons[:-1])
    assert any("OPT_OUT" in p for p in entry_problems(no_opt_out))


def test_the_content_hash_follows_the_submitted_text() -> None:
    entry = CATALOGUE[0]
    assert entry.content_hash() == replace(entry).content_hash()
    assert entry.content_hash() != replace(entry, body=entry.body + " Gracias.").content_hash()
    assert entry.content_hash() != replace(entry, header="Otro").content_hash()


def test_a_broken_catalogue_file_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(
        '[[template]]\nname = "x"\nlanguage = "en"\ncategory = "UTILITY"\nkind = "collection"\n'
        'body = "{{1}} owes money"\nparameters = ["debtor_name"]\nexamples = ["Ann"]\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=r"x en.*starts with a variable"):
        load_catalogue(path)


def test_a_debtor_language_picks_the_catalogue_language() -> None:
    assert [template_language(x) for x in ("pt", "es", "en", "it", "pt_BR", "es-MX")] == [
        "pt_BR",
        "es",
        "en",
        "it",
        "pt_BR",
        "es",
    ]


def test_the_new_stages_say_what_they_are_about() -> None:
    instalment = by_name()["cobro_plan_instalment_reminder"][0]
    assert instalment.parameters[2:5] == (
        ParameterKind.AMOUNT,
        ParameterKind.INVOICE_REFERENCE,
        ParameterKind.DUE_DATE,
    )
    for entry in by_name()["cobro_promise_followup"]:
        assert entry.kind is MessageKind.COLLECTION
        assert ParameterKind.PROMISE_DATE in entry.parameters
        assert entry.parameters.index(ParameterKind.AMOUNT) + 1 == entry.parameters.index(
            ParameterKind.PROMISE_DATE
        )


def test_the_receipt_is_a_service_template_with_both_amounts() -> None:
    for entry in by_name()["cobro_payment_receipt"]:
        assert entry.kind is MessageKind.SERVICE_REPLY
        assert entry.parameters == (
            ParameterKind.DEBTOR_NAME,
            ParameterKind.CREDITOR_NAME,
            ParameterKind.PAID_AMOUNT,
            ParameterKind.INVOICE_REFERENCE,
            ParameterKind.REMAINING_AMOUNT,
        )


def test_the_agent_follow_up_has_no_amount_and_no_debt_words() -> None:
    for entry in by_name()["cobro_agent_followup"]:
        assert entry.kind is MessageKind.SERVICE_REPLY
        assert entry.parameters == (ParameterKind.DEBTOR_NAME, ParameterKind.CREDITOR_NAME)
        for _, text in entry.texts():
            assert not DEBT_WORDS.search(text), (entry.language, text)


def test_a_template_kind_the_catalogue_does_not_know_names_the_entry(tmp_path: Path) -> None:
    assert set(TEMPLATE_KINDS) == {"collection", "right_party_check", "opt_out_confirmation", "service"}
    path = tmp_path / "catalogue.toml"
    path.write_text(
        '[[template]]\nname = "x"\nlanguage = "en"\ncategory = "UTILITY"\nkind = "service_reply"\n'
        'body = "Hi {{1}}, thanks."\nparameters = ["debtor_name"]\nexamples = ["Ann"]\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=r"x en.*kind 'service_reply' is not one of"):
        load_catalogue(path)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: f"{e.name}-{e.language}")
def test_the_sandboxs_review_approves_every_entry_in_its_own_category(entry: TemplateEntry) -> None:
    submitted = definition_for(entry)
    template = Template(
        "1", submitted.name, submitted.language, submitted.category, "PENDING", submitted.components
    )
    result = review(template)
    assert (result.status, result.reason, result.category) == ("APPROVED", "NONE", None), result.detail
