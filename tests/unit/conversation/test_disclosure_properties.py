"""Nothing about a debt leaves before the person proved who they are (decision 0036, issue 7).

Random sequences of inbound messages (words in four languages, numbers, amounts, dates, menu taps, account
numbers that do not exist, wrong names, photos, and at most ONE of the two secrets: the right account
number or the right name) go to a conversation that is not verified, through the real webhook application
path (stored delivery -> applied -> `answer_inbound` with the real reader) on a SQLite copy of the four
seeded debtors. Whatever the bot answers, no outbox row carries any debtor's outstanding amount (in any
way it could be written), invoice or account reference, a payment link or reference, and nothing is issued,
agreed or promised; nor does a flow ever try to say a text about a debt (that would surface as the
"system_error" hand-off, `Turn.say` refusing it).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.tables import inbox_items, outbox, payment_plans, payment_references
from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.adapters.nlu import default_reader
from cobro.adapters.strategy_documents import parse_strategy_document
from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.conversation import Bot, answer_inbound
from cobro.app.record_webhooks import process_webhook_deliveries, store_webhook_delivery
from cobro.app.send_outbox import catalogue_index
from cobro.domain.clock import FixedClock
from cobro.domain.template_catalogue import load_catalogue
from cobro.sandbox.settings import BusinessNumber
from cobro.sandbox.state import Message, Phone
from cobro.sandbox.webhooks import inbound_value
from tests.integration.conversations.dialogue import AMOUNT_MINOR, PROFILES, PUBLIC_URL, Profile, seed

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NUMBER = BusinessNumber(id="1090000000000001", display_phone_number="15550100001")

WORDS = [
    "hola", "cuánto", "debo", "saldo", "pagar", "cuotas", "mañana", "viernes", "gracias", "ayuda", "deuda",
    "factura", "cuenta", "quiero", "no", "sí", "ya", "pagué", "persona", "how", "much", "owe", "balance",
    "pay", "plan", "friday", "thanks", "help", "debt", "invoice", "account", "yes", "already", "paid",
    "quanto", "devo", "pagar", "parcelar", "sexta", "obrigado", "dívida", "boleto", "conta", "sim", "paguei",
    "ciao", "pagare", "rate", "venerdì", "grazie", "debito", "fattura", "conto", "sì", "ho", "pagato", "?",
    "!", "😊", "🙏", "ok", "link", "referencia", "reference", "número", "number", "codice", "nome", "name",
]  # fmt: skip
PAYLOADS = [
    "CHECK_BALANCE", "PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "PROMISE_TO_PAY", "ALREADY_PAID", "MENU:PAY_NOW",
    "MENU:CHECK_BALANCE", "MENU:PAYMENT_PLAN", "PLAN:2", "PLAN:3", "PLAN:6", "CONFIRM", "CHANGE", "CANCEL",
    "TALK_TO_AGENT", "HARDSHIP", "RIGHT_PARTY_YES", "SOMETHING_ELSE",
]  # fmt: skip
DATES = [
    "el viernes", "mañana", "el 15 de diciembre", "next Friday", "on December 15", "na sexta", "dia 15",
    "venerdì", "il 15 dicembre", "15/12", "2026-12-01", "fin de mes", "in 10 days",
]  # fmt: skip
WRONG_NAMES = ["Luis Martínez", "Sarah Miller", "Paulo Rocha", "Luca Ferrari", "maria", "lopez", "x"]


@dataclass(frozen=True)
class Say:
    """One inbound message: its type and content."""

    kind: str  # text, button, button_reply, list_reply, image
    value: str = ""


def _texts(secret: str | None) -> st.SearchStrategy[str]:
    """Free text; the right account number or the right name only when `secret` says which."""
    options = [
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join),
        st.integers(0, 10**9).map(str),
        st.decimals(min_value=1, max_value=100_000, places=2).map(lambda d: f"pagué {d}"),
        st.sampled_from(["1250.50", "1,250.50", "1.250,50", "1250", "125050", "$1,250.50", "R$ 1.250,50"]),
        st.sampled_from(DATES),
        st.from_regex(r"[A-Z][0-9]{7}-[0-9]", fullmatch=True).filter(
            lambda n: n not in {p.account for p in PROFILES.values()}
        ),
        st.sampled_from(WRONG_NAMES),
        st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=20).filter(str.strip),
    ]
    return st.one_of(*options)


@st.composite
def conversations(draw: st.DrawFn) -> tuple[str, str, list[Say]]:
    """(language, who writes: debtor / stranger / username, the messages)."""
    language = draw(st.sampled_from(sorted(PROFILES)))
    who = draw(st.sampled_from(["debtor", "debtor", "stranger", "username"]))
    secret = draw(st.sampled_from([None, "account", "name"]))
    p = PROFILES[language]
    said: list[Say] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(
            st.sampled_from(["text", "text", "text", "button", "button_reply", "list_reply", "image"])
        )
        if kind == "text":
            pool = [_texts(secret)]
            if secret == "account":
                pool.append(st.sampled_from([p.account, f"mi número es {p.account}", p.account.lower()]))
            if secret == "name":
                pool.append(st.sampled_from([p.name, p.typed_name]))
            said.append(Say("text", draw(st.one_of(*pool))))
        elif kind == "image":
            said.append(Say("image"))
        else:
            said.append(Say(kind, draw(st.sampled_from(PAYLOADS))))
    return language, who, said


def _forbidden(p: Profile) -> list[str]:
    """Every way a text could give away this debtor's debt."""
    found = [p.money(AMOUNT_MINOR), str(AMOUNT_MINOR), "1250.50", "1,250.50", "1.250,50", "1250,50"]
    found += [p.invoice, p.account, p.account.replace("-", ""), "/pay/"]
    return found


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A migrated SQLite file with the four debtors of the dialogues; each example works on a copy."""
    path = tmp_path_factory.mktemp("disclosure") / "seeded.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    clock = FixedClock(NOON)
    seed(SqlUnitOfWorkFactory(engine, clock), clock, engine)
    engine.dispose()
    return path


class _QuietBot(Bot):
    """The bot, named shortly in hypothesis's reports."""

    def __repr__(self) -> str:
        return "Bot(default_reader, packaged catalogue)"


@pytest.fixture(scope="module")
def bot() -> Bot:
    return _QuietBot(
        reader=default_reader(),
        catalogue=catalogue_index(load_catalogue()),
        public_url=PUBLIC_URL,
        parse_strategy=parse_strategy_document,
    )


def _phone(p: Profile, who: str) -> Phone:
    if who == "debtor":
        return Phone(p.phone, p.wa_id, p.wa_id, p.user_id, None, None, p.name)
    if who == "stranger":
        return Phone("+447700900123", "447700900123", "447700900123", "GB.77", None, None, "Someone")
    return Phone(p.phone, p.wa_id, None, "XX.0000000042", None, "someone", "Someone")


def _content(say: Say, n: int) -> tuple[str, dict[str, Any]]:
    if say.kind == "text":
        return "text", {"body": say.value}
    if say.kind == "button":
        return "button", {"payload": say.value, "text": say.value[:25]}
    if say.kind in ("button_reply", "list_reply"):
        return "interactive", {"type": say.kind, say.kind: {"id": say.value, "title": say.value[:20]}}
    return "image", {"mime_type": "image/jpeg", "sha256": "x", "id": f"media{n}"}


@dataclass
class Outcome:
    """What the bot left in the database after a conversation."""

    rows: list[Any]
    reasons: list[str]
    issued: int
    plans: int


def _converse(
    seeded_file: Path, bot: Bot, tmp_path_factory: Any, p: Profile, who: str, said: list[Say]
) -> Outcome:
    """Sends `said` from `who` through the webhook application path on a fresh copy of the seeded file."""
    path = tmp_path_factory.mktemp("example") / "cobro.db"
    shutil.copy(seeded_file, path)
    engine = make_engine(f"sqlite:///{path}")
    clock = FixedClock(NOON)
    factory = SqlUnitOfWorkFactory(engine, clock)
    phone = _phone(p, who)

    def answer(uow, messages, opted_out, now):  # type: ignore[no-untyped-def]
        return answer_inbound(uow, bot, messages, opted_out, now)

    try:
        for n, say in enumerate(said):
            kind, content = _content(say, n)
            message = Message(
                id=f"wamid.P{n}", phone=phone.phone, number_id=NUMBER.id, direction="from_phone",
                timestamp=int(NOON.timestamp()), type=kind, status="delivered",
            )  # fmt: skip
            change = {"field": "messages", "value": inbound_value(NUMBER, phone, message, content)}
            raw = json.dumps(
                {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
            )
            delivery = store_webhook_delivery(factory, raw.encode(), NOON)
            done = process_webhook_deliveries(
                factory, clock, parse_webhook, delivery_ids=[delivery], answer=answer
            )
            assert done.failures == (), done.failures
        with engine.connect() as connection:
            return Outcome(
                list(connection.execute(select(outbox).order_by(outbox.c.id)).mappings()),
                list(connection.execute(select(inbox_items.c.reason)).scalars()),
                connection.execute(select(func.count()).select_from(payment_references)).scalar_one(),
                connection.execute(select(func.count()).select_from(payment_plans)).scalar_one(),
            )
    finally:
        engine.dispose()


def _assert_nothing_disclosed(outcome: Outcome) -> None:
    assert "system_error" not in outcome.reasons  # no flow ever tried to say something about a debt
    assert (outcome.issued, outcome.plans) == (0, 0)
    for row in outcome.rows:
        payload = row["payload"]
        written = json.dumps(payload, ensure_ascii=False)
        assert payload["mentions_debt"] is False, written
        assert row["account_id"] is None, written
        if row["kind"] != "opt_out_confirmation":  # the template names the debtor, to the phone on file
            assert all(q.name not in written and q.creditor not in written for q in PROFILES.values()), (
                written
            )
        for profile in PROFILES.values():
            for forbidden in _forbidden(profile):
                assert forbidden not in written, (forbidden, written)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(conversations())
def test_nothing_about_a_debt_leaves_before_verification(seeded_file, bot, tmp_path_factory, case):
    language, who, said = case
    note(f"{language} {who}: " + " | ".join(f"{s.kind}:{s.value}" for s in said))

    outcome = _converse(seeded_file, bot, tmp_path_factory, PROFILES[language], who, said)

    _assert_nothing_disclosed(outcome)


@pytest.mark.parametrize("language", sorted(PROFILES))
def test_the_check_sees_a_disclosure_once_both_secrets_were_given(
    seeded_file, bot, tmp_path_factory, language
):
    """The property's check is not blind: with the account number AND the name, the balance is out."""
    p = PROFILES[language]
    said = [
        Say("text", "hola"),
        Say("button", "CHECK_BALANCE"),
        Say("text", p.account),
        Say("text", p.typed_name),
    ]

    outcome = _converse(seeded_file, bot, tmp_path_factory, p, "debtor", said)

    with pytest.raises(AssertionError):
        _assert_nothing_disclosed(outcome)
    assert any(p.money(AMOUNT_MINOR) in row["payload"].get("text", "") for row in outcome.rows)
