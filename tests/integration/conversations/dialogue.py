"""What the scripted-dialogue tests share: four debtors (one per language), a chat that posts signed inbound
webhooks to the real endpoint, and the bot's exact texts rendered from the reply book.

A `Chat` sends what a phone sends (text, a template's quick-reply button, an interactive reply button, a list
row, an image) in the Cloud API shape the sandbox posts (cobro.sandbox.webhooks.inbound_value), signed with
the app secret, waits until the delivery was applied (the `conversation.turn` event of that wamid), and
returns the bot's answer: the outbox row keyed `reply:<wamid>` (None when the bot stayed silent) and any other
row the message created (opt-out confirmations, receipts).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import Engine, select, update

from cobro.adapters.db.tables import (
    accounts,
    audit_events,
    debtors,
    inbox_items,
    outbox,
    webhook_deliveries,
)
from cobro.adapters.strategy_documents import dump_strategy, parse_strategy_document
from cobro.adapters.whatsapp.signature import sign
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from cobro.app.strategies import default_strategy_text, set_strategy
from cobro.domain.clock import FixedClock
from cobro.domain.conversation.replies import load_replies
from cobro.domain.money import Money
from cobro.i18n.currencies import find_currency
from cobro.i18n.formatting import debtor_locale, format_amount, format_long_date
from cobro.sandbox.settings import BusinessNumber
from cobro.sandbox.state import Message, Phone
from cobro.sandbox.webhooks import inbound_value
from tests.factories import account_row

LANGUAGES = ("es", "en", "pt", "it")
SECRET = "dialogue-app-secret"
PUBLIC_URL = "https://cobro.example.com"
NUMBER = BusinessNumber(id="1090000000000001", display_phone_number="15550100001")
TODAY = date(2026, 11, 23)  # Monday: the `clock` fixture's date in all four zones
FRIDAY = date(2026, 11, 27)  # "el viernes", "on Friday"... said on TODAY
AMOUNT_MINOR = 125050  # every debtor owes 1,250.50 of their currency on one invoice due 10 November
DUE = date(2026, 11, 10)
WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Profile:
    """One creditor and its debtor in one language, and how the debtor types things."""

    language: str
    slug: str
    creditor: str
    country: str
    currency: str
    phone: str  # E.164
    zone: str
    name: str  # as on file, with accents
    typed_name: str  # as the debtor types it: no accents, another case
    account: str
    invoice: str
    birth_date: date
    national_id: str
    user_id: str  # the business-scoped user id WhatsApp gives this phone

    @property
    def wa_id(self) -> str:
        """The wa_id WhatsApp (and the sandbox) uses for the phone: its digits."""
        return self.phone.removeprefix("+")

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def locale(self) -> str:
        """The babel locale the bot writes this debtor's amounts and dates in."""
        return debtor_locale(self.language, self.country)

    def money(self, minor: int) -> str:
        """An amount in minor units as the bot writes it to this debtor."""
        currency = find_currency(self.currency)
        assert currency is not None
        return format_amount(Money.from_minor(minor, currency), self.locale)

    def day(self, value: date) -> str:
        """A date as the bot writes it to this debtor."""
        return format_long_date(value, self.locale)

    def decimal(self, minor: int) -> Decimal:
        return Decimal(minor) / 100


PROFILES: Mapping[str, Profile] = {
    "es": Profile(
        "es", "tienda-sol", "Tienda Sol", "MX", "MXN", "+525512345678", "America/Mexico_City",
        "José Luis Ramírez", "jose luis RAMIREZ", "A0000001-1", "F-1001", date(1985, 3, 15),
        "LOMJ850315MDFPRR09", "MX.1000000001",
    ),
    "en": Profile(
        "en", "sunrise", "Sunrise Store", "US", "USD", "+12015550123", "America/New_York",
        "Mónica Ibáñez", "monica IBANEZ", "A0000002-2", "F-1002", date(1979, 7, 4), "123-45-6789",
        "US.1000000002",
    ),
    "pt": Profile(
        "pt", "loja-sol", "Loja Sol", "BR", "BRL", "+5511912345678", "America/Sao_Paulo",
        "Luíza Gonçalves Brandão", "luiza goncalves BRANDAO", "A0000003-3", "F-1003", date(1990, 1, 31),
        "123.456.789-09", "BR.1000000003",
    ),
    "it": Profile(
        "it", "negozio-sole", "Negozio Sole", "IT", "EUR", "+393123456789", "Europe/Rome",
        "Niccolò Bianchi", "NICCOLO bianchi", "A0000004-4", "F-1004", date(1988, 12, 1),
        "BNCNCC88T01H501Z", "IT.1000000004",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    """Ids of one profile's rows."""

    creditor_id: int
    debtor_id: int
    account_id: int


def seed(uow_factory: Any, clock: FixedClock, engine: Engine) -> dict[str, Seeded]:
    """The four creditors, each with its debtor (consent on record) owing AMOUNT_MINOR on one invoice."""
    found: dict[str, Seeded] = {}
    for language, p in PROFILES.items():
        creditor = add_creditor(
            uow_factory, clock, slug=p.slug, name=p.creditor, country=p.country, currency=p.currency,
            language=language,
        )  # fmt: skip
        row = account_row(
            1,
            account_ref=p.account,
            debtor_name=p.name,
            phone=p.phone,
            country=p.country,
            invoice_ref=p.invoice,
            amount=str(p.decimal(AMOUNT_MINOR)),
            currency=p.currency,
            due_date=DUE.isoformat(),
            language=language,
            timezone=p.zone,
            birth_date=p.birth_date.isoformat(),
            national_id=p.national_id,
        )
        outcome = import_accounts(
            uow_factory, clock, [(2, row)], creditor_slug=p.slug, source_name="t.csv", actor="t"
        )
        assert outcome.ok, outcome.problems
        with engine.connect() as connection:
            account = connection.execute(
                select(accounts.c.id, accounts.c.debtor_id).where(accounts.c.creditor_id == creditor.id)
            ).one()
        assert creditor.id is not None
        found[language] = Seeded(creditor.id, account.debtor_id, account.id)
    return found


# --- the bot's texts -------------------------------------------------------------------------------------

Part = str | tuple[str, Mapping[str, Any]]


def expected(language: str, *parts: Part) -> str:
    """The fixed texts of `parts` ("key" or ("key", {values})) joined as a turn joins them."""
    book = load_replies()
    texts = []
    for part in parts:
        key, values = (part, {}) if isinstance(part, str) else part
        texts.append(book.text(language, key, **values))
    return "\n\n".join(texts)


def label(language: str, key: str, **values: Any) -> str:
    """A button or row title."""
    return load_replies().text(language, key, **values)


def menu_rows(language: str) -> list[dict[str, str]]:
    """The main menu's rows."""
    intents = ("CHECK_BALANCE", "PAY_NOW", "PAYMENT_PLAN", "MORE_TIME", "ALREADY_PAID", "TALK_TO_AGENT")
    return [{"id": f"MENU:{i}", "title": label(language, f"menu.{i.lower()}")} for i in intents]


def next_buttons(language: str) -> list[dict[str, str]]:
    """The buttons under a balance."""
    return [
        {"id": "PAY_NOW", "title": label(language, "button.pay_now")},
        {"id": "PAYMENT_PLAN", "title": label(language, "button.payment_plan")},
        {"id": "MORE_TIME", "title": label(language, "button.more_time")},
    ]


def confirm_buttons(language: str, *, agent: bool = False) -> list[dict[str, str]]:
    """Yes / change (and a person, under a plan)."""
    found = [
        {"id": "CONFIRM", "title": label(language, "button.yes")},
        {"id": "CHANGE", "title": label(language, "button.change")},
    ]
    if agent:
        found.append({"id": "TALK_TO_AGENT", "title": label(language, "button.talk_to_agent")})
    return found


def balance_text(p: Profile, minor: int = AMOUNT_MINOR) -> tuple[str, dict[str, str]]:
    return (
        "balance",
        {"account": p.account, "amount": p.money(minor), "invoice": p.invoice, "due_date": p.day(DUE)},
    )


# --- the chat --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """What one inbound message got: the bot's reply row (None: silence) and the other rows it created."""

    wamid: str
    row: Mapping[str, Any] | None
    others: list[Mapping[str, Any]]
    turn: Mapping[str, Any]

    @property
    def silent(self) -> bool:
        return self.row is None

    @property
    def content(self) -> dict[str, Any]:
        assert self.row is not None, f"no reply to {self.wamid} (turn {dict(self.turn)})"
        payload = dict(self.row["payload"])
        payload.pop("mentions_debt", None)
        payload.pop("window_until", None)
        return payload

    @property
    def type(self) -> str:
        return str(self.content["type"])

    @property
    def text(self) -> str:
        return str(self.content.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, str]]:
        return list(self.content.get("buttons", []))

    @property
    def rows(self) -> list[dict[str, str]]:
        return list(self.content.get("rows", []))


@dataclass
class Harness:
    """The web app (TestClient), its database and clock."""

    client: TestClient[Any]
    engine: Engine
    clock: FixedClock
    container: Any
    seeded: dict[str, Seeded]
    secret: str = SECRET
    _wamids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def chat(self, language: str, *, phone: str | None = None, hide_phone: bool = False) -> Chat:
        """A chat from a profile's phone (or another phone), in its language's phrasing."""
        p = PROFILES[language]
        e164 = phone or p.phone
        user_id = p.user_id if phone is None else f"{p.country}.9{e164[-9:]}"
        return Chat(self, p, Phone(
            phone=e164, digits=e164[1:], wa_id=None if hide_phone else e164[1:], user_id=user_id,
            parent_user_id=None, username="user" + e164[-4:] if hide_phone else None, name=p.name,
        ))  # fmt: skip

    def next_wamid(self, phone: Phone) -> str:
        return f"wamid.{phone.digits[-6:]}.{next(self._wamids):04d}"

    def post(self, value: dict[str, Any]) -> None:
        body = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1020000000000001", "changes": [{"field": "messages", "value": value}]}],
        }
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        self.forward(raw, sign(raw, self.secret))

    def forward(self, raw: bytes, signature: str) -> None:
        """Posts a signed webhook body to the endpoint, as Meta (or the sandbox) does."""
        answer = self.client.post(
            "/webhooks/whatsapp",
            content=raw,
            headers={"content-type": "application/json", "X-Hub-Signature-256": signature},
        )
        assert answer.status_code == 200, answer.text

    def last_outbox_id(self) -> int:
        with self.engine.connect() as connection:
            found = connection.execute(select(outbox.c.id).order_by(outbox.c.id.desc()).limit(1)).first()
        return int(found[0]) if found else 0

    def answer_to(self, wamid: str, after_outbox_id: int) -> Reply:
        """The bot's answer to `wamid` once applied: its reply row and the other rows added since."""
        turn = self.wait_for_turn(wamid)
        with self.engine.connect() as connection:
            new = [
                dict(r)
                for r in connection.execute(
                    select(outbox).where(outbox.c.id > after_outbox_id).order_by(outbox.c.id)
                ).mappings()
            ]
        row = next((r for r in new if r["idempotency_key"] == f"reply:{wamid}"), None)
        return Reply(wamid, row, [r for r in new if r is not row], turn)

    def wait_for_turn(self, wamid: str) -> Mapping[str, Any]:
        """The conversation.turn event of `wamid`, once the delivery was applied; fails with the delivery's
        error when it could not be applied."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with self.engine.connect() as connection:
                turns = connection.execute(
                    select(audit_events.c.data).where(audit_events.c.kind == "conversation.turn")
                ).scalars()
                for data in turns:
                    if data.get("wamid") == wamid:
                        return dict(data)
                errors = connection.execute(
                    select(webhook_deliveries.c.last_error).where(webhook_deliveries.c.last_error.isnot(None))
                ).scalars()
                failed = [e for e in errors if e]
            if failed or time.monotonic() > deadline:
                raise AssertionError(f"message {wamid} was not answered; delivery errors: {failed}")
            time.sleep(0.01)


@dataclass
class Chat:
    """One person's WhatsApp chat with the business number."""

    harness: Harness
    profile: Profile
    phone: Phone
    sent: list[Reply] = field(default_factory=list)

    def say(self, text: str) -> Reply:
        return self._send("text", {"body": text})

    def tap(self, payload: str, title: str | None = None) -> Reply:
        """A template's quick-reply button (type "button")."""
        return self._send("button", {"payload": payload, "text": (title or payload)[:25]})

    def press(self, reply_id: str, title: str | None = None) -> Reply:
        """One of the bot's reply buttons (interactive button_reply)."""
        reply = {"id": reply_id, "title": (title or reply_id)[:20]}
        return self._send("interactive", {"type": "button_reply", "button_reply": reply})

    def choose(self, row_id: str, title: str | None = None) -> Reply:
        """A row of the bot's list (interactive list_reply)."""
        reply = {"id": row_id, "title": (title or row_id)[:24]}
        return self._send("interactive", {"type": "list_reply", "list_reply": reply})

    def send_image(self, caption: str | None = None) -> Reply:
        image: dict[str, Any] = {
            "mime_type": "image/jpeg",
            "sha256": "K8zRbzVZBiyX2UdQK1lS2lT2U0uZAPz7i0KaZgmIXwY=",
            "id": f"media{len(self.sent) + 1:06d}",
        }
        if caption:
            image["caption"] = caption
        return self._send("image", image)

    def _send(self, kind: str, content: dict[str, Any]) -> Reply:
        h = self.harness
        wamid = h.next_wamid(self.phone)
        message = Message(
            id=wamid, phone=self.phone.phone, number_id=NUMBER.id, direction="from_phone",
            timestamp=int(h.clock.now().timestamp()), type=kind, status="delivered",
        )  # fmt: skip
        before = h.last_outbox_id()
        h.post(inbound_value(NUMBER, self.phone, message, content))
        reply = h.answer_to(wamid, before)
        self.sent.append(reply)
        return reply

    def verify(self, opening: str | None = None) -> Reply:
        """Asks for the balance (or `opening`), gives the account number and the typed name; returns the
        reply to the name."""
        first = self.say(opening or ASK_BALANCE[self.profile.language])
        assert first.text == expected(self.profile.language, "ask_account"), first.text
        second = self.say(self.profile.account)
        assert second.text == expected(self.profile.language, "ask_name"), second.text
        return self.say(self.profile.typed_name)


# How each language asks things (natural phrasing, as a debtor writes it).
ASK_BALANCE = {
    "es": "hola cuanto debo?",
    "en": "how much do I owe?",
    "pt": "oi quanto eu devo?",
    "it": "ciao quanto devo pagare?",
}


# --- the database ----------------------------------------------------------------------------------------


def fetch(engine: Engine, table: Any, *where: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [
            dict(r) for r in connection.execute(select(table).where(*where).order_by(table.c.id)).mappings()
        ]


def events(engine: Engine, kind: str) -> list[dict[str, Any]]:
    return fetch(engine, audit_events, audit_events.c.kind == kind)


def inbox(engine: Engine) -> list[dict[str, Any]]:
    return fetch(engine, inbox_items)


def debtor(engine: Engine, debtor_id: int) -> dict[str, Any]:
    [found] = fetch(engine, debtors, debtors.c.id == debtor_id)
    return found


def account(engine: Engine, account_id: int) -> dict[str, Any]:
    [found] = fetch(engine, accounts, accounts.c.id == account_id)
    return found


def outbox_rows(engine: Engine, *where: Any) -> list[dict[str, Any]]:
    return fetch(engine, outbox, *where)


def by_key(engine: Engine, key: str) -> list[dict[str, Any]]:
    """The outbox rows with this idempotency key (one, or none)."""
    return fetch(engine, outbox, outbox.c.idempotency_key == key)


def mark_sent(engine: Engine, ids: Sequence[int], at: datetime) -> None:
    """Stands for the send pipeline having sent these rows."""
    with engine.begin() as connection:
        for n, row_id in enumerate(ids):
            connection.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(state="sent", sent_at=at, wamid=f"wamid.OUT.{row_id}.{n}", updated_at=at)
            )


def later(clock: FixedClock, **delta: float) -> None:
    clock.set(clock.now() + timedelta(**delta))


def set_conversation_policy(uow_factory: Any, clock: FixedClock, slug: str, section: str) -> None:
    """Stores the packaged default strategy with this `conversation:` YAML section as the creditor's."""
    text = default_strategy_text().rstrip() + "\nconversation:\n" + section
    set_strategy(uow_factory, clock, slug, text, "test", parse=parse_strategy_document, dump=dump_strategy)
