"""The bot's fixed texts: the same keys and placeholders in four languages, filled exactly, within WhatsApp's
limits, clean for the wording linter, and nothing about a debt before the person proved who they are."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from cobro.domain.conversation.replies import (
    LANGUAGES,
    PRE_VERIFICATION_KEYS,
    REPLIES_FILE,
    ReplyBook,
    fields_of,
    language_of,
    load_replies,
    read_replies,
)
from cobro.domain.errors import InvalidInput
from cobro.domain.money import Money
from cobro.domain.wording import fold, lint_text
from cobro.i18n.formatting import format_amount

BOOK = load_replies()

# Every key the conversation flows say or show, with the values each one takes.
EXPECTED: dict[str, set[str]] = {
    "greeting": set(),
    "menu_prompt": set(),
    "menu_button": set(),
    "menu.check_balance": set(),
    "menu.pay_now": set(),
    "menu.payment_plan": set(),
    "menu.more_time": set(),
    "menu.already_paid": set(),
    "menu.talk_to_agent": set(),
    "clarify": set(),
    "confirm_wrong_number": set(),
    "button.wrong_number": set(),
    "button.its_me": set(),
    "thanks_reply": set(),
    "ask_account": set(),
    "account_format": {"example"},
    "account_not_found": set(),
    "ask_name": set(),
    "ask_birth_date": set(),
    "ask_national_id": {"digits"},
    "verify_failed": {"remaining"},
    "verify_locked": set(),
    "verified": {"name"},
    "balance": {"account", "amount", "invoice", "due_date"},
    "balance_zero": {"account"},
    "next_prompt": set(),
    "button.pay_now": set(),
    "button.payment_plan": set(),
    "button.more_time": set(),
    "button.talk_to_agent": set(),
    "button.yes": set(),
    "button.change": set(),
    "button.cancel": set(),
    "payment_link": {"amount", "link", "reference", "valid_until"},
    "receipt_full": {"amount", "paid_on", "account"},
    "receipt_partial": {"amount", "paid_on", "remaining"},
    "plan_intro": {"amount"},
    "plan_button": set(),
    "plan_row": {"count", "instalment"},
    "plan_row_description": {"first_due"},
    "plan_row_down": {"down", "count", "instalment"},
    "plan_counter_too_low": {"minimum"},
    "plan_counter_too_many": {"maximum"},
    "plan_confirm": {"count", "instalment", "first_due"},
    "plan_confirm_down": {"down", "down_due", "count", "instalment", "first_due"},
    "plan_confirmed": {"count", "instalment", "first_due"},
    "ask_date": set(),
    "date_unclear": {"example"},
    "date_too_far": {"max_date"},
    "promise_confirm": {"amount", "date"},
    "promise_confirmed": {"amount", "date"},
    "extension_confirmed": {"amount", "date"},
    "paid_ask": set(),
    "paid_found": {"amount", "paid_on"},
    "paid_checking": set(),
    "dispute_ack": set(),
    "hardship_ack": set(),
    "wrong_number_ack": set(),
    "opt_out_ack": set(),
    "handoff": set(),
    "handoff_unresolved": set(),
    "system_down": set(),
    "expired": set(),
}

# Words that would tell whoever holds the phone about a debt; never in a text said before verification.
DEBT_WORDS = {
    "es": ["deuda", "deudas", "adeudo", "debe", "monto", "importe", "factura", "facturas", "cuenta", "cuentas",
           "pago", "pagos", "cobro", "cobranza", "acreedor", "vencimiento", "vencida", "vencido"],
    "en": ["debt", "debts", "owe", "owes", "owed", "amount", "invoice", "invoices", "account", "accounts",
           "payment", "payments", "collection", "creditor", "overdue", "due"],
    "pt": ["divida", "dividas", "debito", "debitos", "valor", "fatura", "faturas", "conta", "contas",
           "pagamento", "pagamentos", "cobranca", "credor", "vencimento"],
    "it": ["debito", "debiti", "importo", "fattura", "fatture", "conto", "conti", "pagamento", "pagamenti",
           "riscossione", "recupero", "creditore", "scadenza", "insoluto"],
}  # fmt: skip
# A sentence said before verification does not speak of a balance either; only the menu row names the option.
BALANCE_WORDS = {"es": ["saldo"], "en": ["balance"], "pt": ["saldo"], "it": ["saldo"]}
LABEL_PREFIXES = ("menu.", "button.")
# Informal address: Spanish is "usted", Portuguese "você", Italian "Lei".
INFORMAL = {
    "es": [
        "tu",
        "tus",
        "tú",
        "te",
        "ti",
        "contigo",
        "puedes",
        "quieres",
        "necesitas",
        "tienes",
        "escríbenos",
    ],
    "pt": ["tu", "teu", "tua", "teus", "tuas", "contigo", "te"],
    "it": ["tu", "ti", "tuo", "tua", "tuoi", "tue", "puoi", "vuoi", "scegli", "scrivi"],
}
MARKETING = ["offer", "offers", "oferta", "offerta", "desconto", "descuento", "sconto", "free", "gratis",
             "promo", "promoción", "promoção", "promozione"]  # fmt: skip


def words(text: str) -> set[str]:
    """The words of a text, lowercased and without accents."""
    return set(re.findall(r"\w+", fold(text)[0]))


def folded(listed: list[str]) -> set[str]:
    return {fold(w)[0] for w in listed}


def test_every_language_has_the_keys_the_bot_uses_with_the_same_placeholders() -> None:
    assert BOOK.languages() == LANGUAGES
    assert BOOK.keys() == set(EXPECTED)
    assert BOOK.problems() == []
    for key, names in EXPECTED.items():
        assert BOOK.placeholders(key) == names, key
        for language in LANGUAGES:
            assert set(fields_of(BOOK.raw(language, key))) == names, (language, key)


def test_a_text_is_filled_with_the_values_given() -> None:
    text = BOOK.text(
        "es",
        "balance",
        account="A-100",
        amount="$1,250.50",
        invoice="F-1001",
        due_date="30 de noviembre de 2026",
    )
    assert text == (
        "El saldo de la cuenta A-100 es de $1,250.50. La factura pendiente más antigua es la F-1001, "
        "con vencimiento el 30 de noviembre de 2026."
    )
    assert BOOK.text("en", "verify_failed", remaining=2) == "Those details don't match. Attempts left: 2."
    link = BOOK.text(
        "it",
        "payment_link",
        amount="10 €",
        link="https://p.example/x",
        reference="R1",
        valid_until="1 maggio",
    )
    assert link.splitlines() == [
        "Può pagare 10 € in modo sicuro qui: https://p.example/x",
        "Per pagare in contanti presso un punto di pagamento, usi il riferimento R1. È valido fino al 1 maggio.",
    ]


def test_a_template_or_regional_language_uses_its_base_language() -> None:
    assert [language_of(x) for x in ("pt_BR", "es-MX", "EN", "it")] == ["pt", "es", "en", "it"]
    assert BOOK.text("pt_BR", "next_prompt") == BOOK.text("pt", "next_prompt")
    with pytest.raises(InvalidInput, match="no replies in language 'fr'"):
        BOOK.text("fr", "greeting")


def test_an_unknown_key_a_missing_value_or_an_extra_value_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no reply 'saldo'"):
        BOOK.text("es", "saldo")
    with pytest.raises(InvalidInput, match="no reply 'saldo'"):
        BOOK.placeholders("saldo")
    with pytest.raises(InvalidInput, match=r"promise_confirm.*missing date"):
        BOOK.text("en", "promise_confirm", amount="$10.00")
    with pytest.raises(InvalidInput, match=r"greeting.*extra name"):
        BOOK.text("en", "greeting", name="Ana")
    with pytest.raises(InvalidInput, match=r"missing date; extra when"):
        BOOK.text("en", "promise_confirm", amount="$10.00", when="tomorrow")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_passes_the_wording_linter_without_even_a_warning(language: str) -> None:
    found = {key: lint_text(BOOK.raw(language, key), language) for key in sorted(BOOK.keys())}
    assert {key: [f.describe() for f in f_] for key, f_ in found.items() if f_} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_said_before_verification_say_nothing_about_a_debt(language: str) -> None:
    assert BOOK.keys() > PRE_VERIFICATION_KEYS
    for key in PRE_VERIFICATION_KEYS:
        text = BOOK.raw(language, key)
        assert set(fields_of(text)) <= {"example", "digits", "remaining"}, (language, key)
        forbidden = folded(DEBT_WORDS[language])
        if not key.startswith(LABEL_PREFIXES):
            forbidden |= folded(BALANCE_WORDS[language])
        assert not words(text) & forbidden, (language, key, text)
    # And the texts a person sees first name no creditor: the greeting carries no value at all.
    assert fields_of(BOOK.raw(language, "greeting")) == []


def test_the_debt_words_catch_what_the_texts_after_verification_say() -> None:
    # The check above can fail: each language's list finds the words its balance text uses.
    for language in LANGUAGES:
        assert words(BOOK.raw(language, "balance")) & folded(DEBT_WORDS[language]), language


def test_the_file_marks_the_pre_verification_keys_in_every_language() -> None:
    marked: dict[str, dict[str, set[str]]] = {}
    language, part = "", ""
    for line in REPLIES_FILE.read_text(encoding="utf-8").splitlines():
        if m := re.fullmatch(r"\[(\w+)\]", line):
            language, part = m.group(1), ""
            marked[language] = {"before": set(), "after": set()}
        elif line in ("# before verification", "# after verification"):
            part = line.split()[1]
        elif (m := re.match(r"([\w.]+) = ", line)) and language:
            assert part, f"{m.group(1)} ({language}) is under no marker"
            marked[language][part].add(m.group(1))
    assert set(marked) == set(LANGUAGES)
    for language, parts in marked.items():
        assert parts["before"] == PRE_VERIFICATION_KEYS, language
        assert parts["after"] == BOOK.keys() - PRE_VERIFICATION_KEYS, language


@pytest.mark.parametrize("language", ["es", "pt", "it"])
def test_the_person_is_addressed_formally(language: str) -> None:
    for key in sorted(BOOK.keys()):
        assert not words(BOOK.raw(language, key)) & folded(INFORMAL[language]), (language, key)


def test_no_text_reads_as_marketing() -> None:
    for language in LANGUAGES:
        for key in sorted(BOOK.keys()):
            assert not words(BOOK.raw(language, key)) & folded(MARKETING), (language, key)


@pytest.mark.parametrize(
    ("language", "locale", "currency"),
    [("es", "es_MX", "MXN"), ("es", "es_CO", "COP"), ("en", "en_US", "USD"), ("pt", "pt_BR", "BRL"),
     ("it", "it_IT", "EUR")],
)  # fmt: skip
def test_titles_fit_whatsapps_limits_with_real_amounts(language: str, locale: str, currency: str) -> None:
    instalment = format_amount(Money(Decimal("12345.67"), currency), locale)
    row = BOOK.text(language, "plan_row", count=12, instalment=instalment)
    assert len(row) <= 24, row
    down = BOOK.text(language, "plan_row_down", down=instalment, count=12, instalment=instalment)
    assert len(down) <= 72, down
    for key in sorted(BOOK.keys()):
        if key.startswith("button.") or key in ("menu_button", "plan_button"):
            assert len(BOOK.raw(language, key)) <= 20, key
        elif key.startswith("menu."):
            assert len(BOOK.raw(language, key)) <= 24, key


def test_problems_name_what_whatsapp_or_the_rules_would_refuse() -> None:
    book = ReplyBook(
        {
            "es": {
                "greeting": "Hola",
                "button.yes": "Sí",
                "plan_row": "{count} cuotas de {instalment}",
                "balance": "Saldo {amount}",
                "ask_account": "Su número de cliente, por favor.",
            },
            "en": {
                "greeting": "Hello {name}",
                "button.yes": "Yes, I confirm that this is right",
                "plan_row": "{count} monthly instalments of {instalment}",
                "balance": "Balance {amount:>10}",
                "ask_account": "Your customer number for {amount}, please.",
                "extra": "x" * 1025,
            },
        }
    )
    problems = book.problems()
    assert "no table for pt, it" in problems
    assert "es lacks extra" in problems
    assert any(p.startswith("greeting: the languages differ in placeholders") for p in problems)
    assert any(p.startswith("button.yes (en): a button title of 33 characters") for p in problems)
    assert any(p.startswith("plan_row (en): a list row title of") for p in problems)
    assert any(p.startswith("extra (en): a text of 1025 characters") for p in problems)
    assert "balance (en): placeholders must be plain names like {amount}" in problems
    assert "ask_account (en) is said before verification and carries ['amount']" in problems
    assert any(p.startswith("greeting (en) is said before verification") for p in problems)
    assert any(p.startswith("pre-verification keys without a text:") for p in problems)


def test_a_file_is_read_with_dotted_keys_and_refused_when_malformed(tmp_path: Path) -> None:
    path = tmp_path / "replies.toml"
    path.write_text('[en]\nmenu.pay_now = "Pay now"\n"button.yes" = "Yes"\n', encoding="utf-8")
    book = read_replies(path)
    assert book.keys() == {"menu.pay_now", "button.yes"}
    assert book.text("en", "menu.pay_now") == "Pay now"
    path.write_text("[en]\ncount = 3\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="'count' must be a text"):
        read_replies(path)
    path.write_text("[en\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"replies\.toml"):
        read_replies(path)


def test_the_packaged_book_is_loaded_once() -> None:
    assert load_replies() is BOOK
