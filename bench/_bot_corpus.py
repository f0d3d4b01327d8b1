"""The bot benchmark's data (not a benchmark: bench/run.py skips files starting with '_'): seeded debtors in
four markets, and a seeded corpus of inbound WhatsApp messages that form conversations with the bot.

Everything here depends on the seed only (never on today's date), so the corpus is the same on every run:
dates are written the way people write them ("el viernes", "in 10 days", "dia 20"), and the webhook body
(timestamp, signature) is built when a message is sent (`webhook_body`), as the sandbox does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers
from faker import Faker

from cobro.domain.conversation.replies import ReplyBook, load_replies
from cobro.domain.imports import CANONICAL_COLUMNS

SEED = 20261204
APP_SECRET = "sandbox-app-secret"  # Settings.whatsapp_app_secret's default
WABA_ID = "1020000000000001"  # Settings.whatsapp_waba_id's default
PHONE_NUMBER_ID = "1090000000000001"  # Settings.whatsapp_phone_number_id's default
DISPLAY_NUMBER = "15550000001"


@dataclass(frozen=True, slots=True)
class Market:
    """A country the debtors live in and the creditor that collects there."""

    country: str
    faker_locale: str
    language: str
    currency: str
    zone: str
    mobile: str  # national mobile pattern, '#' a random digit
    weight: int
    amounts: tuple[int, int]  # whole units owed per invoice, low and high
    second_factor: str  # what the creditor asks after the account number
    slug: str
    creditor_name: str


MARKETS: tuple[Market, ...] = (
    Market("MX", "es_MX", "es", "MXN", "America/Mexico_City", "55########", 35, (300, 25_000), "name",
           "bench-mx", "Financiera Bench MX"),
    Market("US", "en_US", "en", "USD", "America/New_York", "415#######", 25, (40, 2_500), "name",
           "bench-us", "Bench Credit US"),
    Market("BR", "pt_BR", "pt", "BRL", "America/Sao_Paulo", "119########", 25, (80, 6_000), "birth_date",
           "bench-br", "Bench Crédito BR"),
    Market("IT", "it_IT", "it", "EUR", "Europe/Rome", "33########", 15, (40, 2_500), "national_id",
           "bench-it", "Bench Recupero IT"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Debtor:
    """One seeded debtor, what the import gets and what the person knows about themself."""

    number: int
    market: Market
    first_name: str
    last_names: str
    phone: str  # E.164
    national_id: str
    birth_date: date
    accounts: tuple[str, ...]  # the creditor's references

    @property
    def name(self) -> str:
        """The name on record."""
        return f"{self.first_name} {self.last_names}"

    @property
    def wa_id(self) -> str:
        """The WhatsApp id of the phone: its E.164 digits."""
        return self.phone.removeprefix("+")


def seeded_debtors(count: int, seed: int = SEED) -> list[Debtor]:
    """`count` debtors across the four markets, with valid unique mobile numbers; the same for a seed."""
    rng = random.Random(seed)
    fakers: dict[str, Faker] = {}
    phones: set[str] = set()
    found = []
    for n in range(1, count + 1):
        market = rng.choices(MARKETS, [m.weight for m in MARKETS])[0]
        faker = fakers.get(market.faker_locale)
        if faker is None:
            faker = Faker(market.faker_locale)
            faker.seed_instance(rng.randrange(1 << 30))
            fakers[market.faker_locale] = faker
        last = faker.last_name()
        if market.language in ("es", "pt") and rng.random() < 0.6:
            last = f"{last} {faker.last_name()}"
        accounts = tuple(f"{market.country}{n:06d}-{a}" for a in range(1, 2 if rng.random() < 0.85 else 3))
        found.append(
            Debtor(
                number=n,
                market=market,
                first_name=faker.first_name(),
                last_names=last,
                phone=_mobile(rng, market, phones),
                national_id=str(rng.randint(10_000_000, 99_999_999)),
                birth_date=date(rng.randint(1950, 2003), rng.randint(1, 12), rng.randint(1, 28)),
                accounts=accounts,
            )
        )
    return found


def _mobile(rng: random.Random, market: Market, taken: set[str]) -> str:
    while True:
        national = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in market.mobile)
        number = phonenumbers.parse(national, market.country)
        if not phonenumbers.is_valid_number(number):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in taken:
            taken.add(e164)
            return e164


def account_rows(
    debtors: list[Debtor], market: Market, today: date, seed: int = SEED
) -> list[dict[str, str]]:
    """The canonical import rows (one per invoice) of the market's debtors; due dates relative to `today`."""
    rng = random.Random(f"{seed}-{market.country}")
    rows = []
    for debtor in debtors:
        if debtor.market != market:
            continue
        for account in debtor.accounts:
            for i in range(1, rng.choice((1, 1, 1, 2, 2, 3)) + 1):
                due = today - timedelta(days=rng.randint(-5, 200))
                amount = Decimal(rng.uniform(*market.amounts)).quantize(Decimal("0.01"))
                row = dict.fromkeys(CANONICAL_COLUMNS, "")
                row.update(
                    account_ref=account,
                    debtor_name=debtor.name,
                    phone=debtor.phone,
                    country=market.country,
                    language=market.language,
                    timezone=market.zone,
                    invoice_ref=f"F-{account}-{i}",
                    amount=str(amount),
                    currency=market.currency,
                    due_date=due.isoformat(),
                    issued_on=(due - timedelta(days=30)).isoformat(),
                    consent="yes",
                    consent_at=(today - timedelta(days=rng.randint(60, 900))).isoformat() + "T10:00:00+00:00",
                    consent_source="contract",
                    national_id=debtor.national_id,
                    birth_date=debtor.birth_date.isoformat(),
                )
                rows.append(row)
    return rows


def owed(debtors: list[Debtor], seed: int = SEED) -> dict[str, Decimal]:
    """What each account's invoices add up to (the amounts do not depend on the day: only due dates do)."""
    found: dict[str, Decimal] = {}
    for market in MARKETS:
        for row in account_rows(debtors, market, date(2000, 1, 1), seed):
            found[row["account_ref"]] = found.get(row["account_ref"], Decimal(0)) + Decimal(row["amount"])
    return found


# --- what people write ---------------------------------------------------------------------------------------

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "greet": ("hola", "Hola buenas tardes", "buenos días", "hola, buen día", "Holaaa", "qué tal, buenas"),
        "balance": ("cuánto debo?", "hola cuanto debo", "quiero saber mi saldo", "me puede decir cuánto debo por favor",
                    "cuál es mi saldo pendiente", "cuanto tengo que pagar?", "cuánto es lo que les debo"),
        "pay": ("quiero pagar", "cómo puedo pagar?", "mándame el link para pagar", "quiero liquidar mi deuda hoy",
                "pásame la referencia para pagar en oxxo"),
        "plan": ("quiero un plan de pagos", "puedo pagar en cuotas?", "me pueden dar facilidades de pago",
                 "quiero pagar en mensualidades", "se puede pagar en varias partes?"),
        "promise": ("puedo pagar el viernes", "les pago la próxima semana", "el lunes les deposito",
                    "pago en 10 días sin falta"),
        "more_time": ("necesito más tiempo para pagar", "me pueden dar unos días más?", "ahorita no tengo, me esperan?"),
        "already_paid": ("ya pagué", "ya les pagué la semana pasada", "ya realicé el pago", "ya deposité"),
        "paid_details": ("pagué {amount} el lunes", "hice una transferencia de {amount} ayer",
                         "deposité {amount} en oxxo el viernes"),
        "dispute": ("no reconozco esa deuda", "yo no debo nada, eso es un error", "esa deuda no es mía",
                    "ese cargo no lo hice yo"),
        "hardship": ("perdí mi trabajo y no puedo pagar", "estoy enfermo, no tengo dinero ahorita",
                     "estoy sin empleo, no me alcanza para pagar"),
        "wrong_number": ("número equivocado", "no conozco a esa persona, se equivocaron de número",
                         "aquí no vive ningún {first}", "este no es el número de {first}"),
        "opt_out": ("no me escriban más", "STOP", "ya no quiero recibir mensajes", "dejen de mandarme mensajes por favor",
                    "baja"),
        "agent": ("quiero hablar con una persona", "me comunica con un asesor", "necesito hablar con alguien",
                  "pásame con un humano por favor"),
        "unclear": ("???", "ok", "👍", "mmm", "que", "asdfg", "jajaja", "?", "y eso"),
        "thanks": ("gracias", "muchas gracias", "ok gracias", "perfecto, gracias"),
        "yes": ("sí", "si", "sí, confirmo", "de acuerdo", "ok sí"),
        "after_handoff": ("hola?", "sigo esperando", "??", "me van a contestar?"),
        "date": ("el viernes", "mañana", "pasado mañana", "el próximo lunes", "en 10 días", "el 20",
                 "la próxima semana"),
        "account": ("{ref}", "mi cuenta es {ref}", "es la {ref}", "número de cuenta {ref}", "{plain}"),
        "counter": ("puedo pagar {amount} al mes", "solo puedo dar {amount} mensuales"),
        "no_account": ("no lo tengo a la mano", "no sé cuál es"),
    },
    "en": {
        "greet": ("hi", "Hello", "good morning", "hey there", "hi, good afternoon"),
        "balance": ("how much do I owe?", "hi what's my balance", "what is my outstanding balance",
                    "can you tell me how much I owe please", "how much do i have to pay"),
        "pay": ("I want to pay", "how can I pay?", "send me the payment link", "i'd like to pay it off today"),
        "plan": ("can I get a payment plan?", "can I pay in instalments?", "i want to set up a payment plan",
                 "can i split it into monthly payments"),
        "promise": ("I can pay on Friday", "i will pay next week", "I'll pay you on Monday",
                    "i can pay in 10 days"),
        "more_time": ("I need more time to pay", "can you give me a few more days?", "can i get an extension"),
        "already_paid": ("I already paid", "i paid last week", "I've already made the payment"),
        "paid_details": ("I paid {amount} on Monday", "i sent {amount} yesterday by bank transfer"),
        "dispute": ("I don't recognise this debt", "this is not my debt", "i never took out this loan, it's a mistake"),
        "hardship": ("I lost my job and can't pay", "i'm sick and have no money right now",
                     "I'm unemployed, I can't afford it"),
        "wrong_number": ("wrong number", "I don't know this person, wrong number", "there's no {first} here"),
        "opt_out": ("stop texting me", "STOP", "unsubscribe", "please stop sending me messages"),
        "agent": ("I want to talk to a person", "can I speak to an agent", "let me talk to a human"),
        "unclear": ("???", "ok", "👍", "hmm", "what", "lol", "?", "k"),
        "thanks": ("thanks", "thank you", "ok thanks", "great, thank you"),
        "yes": ("yes", "yes confirm", "ok yes", "yep", "sure"),
        "after_handoff": ("hello?", "still waiting", "??", "anyone there?"),
        "date": ("on Friday", "tomorrow", "next Monday", "in 10 days", "on the 20th", "next week"),
        "account": ("{ref}", "my account is {ref}", "account number {ref}", "it's {ref}", "{plain}"),
        "counter": ("I can pay {amount} a month", "i can only do {amount} per month"),
        "no_account": ("i don't have it with me", "not sure what it is"),
    },
    "pt": {
        "greet": ("oi", "Olá, boa tarde", "bom dia", "oii tudo bem?", "boa noite"),
        "balance": ("quanto eu devo?", "oi quanto devo", "qual é o meu saldo devedor", "quero saber o valor da dívida",
                    "quanto tenho que pagar?"),
        "pay": ("quero pagar", "como faço para pagar?", "me manda o link para pagar", "quero quitar hoje",
                "me passa o boleto"),
        "plan": ("quero parcelar", "dá para parcelar?", "quero fazer um acordo em parcelas", "posso pagar em vezes?"),
        "promise": ("posso pagar na sexta", "pago semana que vem", "na segunda eu pago", "pago daqui a 10 dias"),
        "more_time": ("preciso de mais prazo", "podem me dar mais uns dias?", "agora não tenho, podem esperar?"),
        "already_paid": ("já paguei", "já fiz o pagamento semana passada", "já quitei"),
        "paid_details": ("paguei {amount} na segunda", "fiz um pix de {amount} ontem"),
        "dispute": ("não reconheço essa dívida", "essa dívida não é minha", "eu não devo nada, é um erro"),
        "hardship": ("perdi meu emprego e não consigo pagar", "estou doente, sem dinheiro agora",
                     "estou desempregado, não tenho como pagar"),
        "wrong_number": ("número errado", "não conheço essa pessoa, número errado", "aqui não tem nenhum {first}"),
        "opt_out": ("parem de me mandar mensagens", "PARAR", "não quero mais receber mensagens", "sair"),
        "agent": ("quero falar com uma pessoa", "quero falar com um atendente", "me passa para um humano"),
        "unclear": ("???", "ok", "👍", "hmm", "oq", "kkkk", "?"),
        "thanks": ("obrigado", "obrigada", "valeu", "ok obrigado"),
        "yes": ("sim", "sim, confirmo", "ok sim", "pode ser", "confirmo"),
        "after_handoff": ("oi?", "ainda estou esperando", "??", "alguém aí?"),
        "date": ("na sexta", "amanhã", "segunda que vem", "daqui a 10 dias", "dia 20", "semana que vem"),
        "account": ("{ref}", "minha conta é {ref}", "o número é {ref}", "{plain}"),
        "counter": ("consigo pagar {amount} por mês", "só posso pagar {amount} mensais"),
        "no_account": ("não tenho aqui", "não sei qual é"),
    },
    "it": {
        "greet": ("ciao", "Buongiorno", "salve", "buonasera", "ciao, buongiorno"),
        "balance": ("quanto devo?", "ciao quanto devo", "qual è il mio saldo", "vorrei sapere quanto devo",
                    "a quanto ammonta il mio debito?"),
        "pay": ("voglio pagare", "come posso pagare?", "mandami il link per pagare", "vorrei saldare oggi"),
        "plan": ("posso pagare a rate?", "vorrei un piano di rateizzazione", "si può rateizzare?",
                 "vorrei pagare in più rate"),
        "promise": ("posso pagare venerdì", "pago la settimana prossima", "lunedì pago", "pago tra 10 giorni"),
        "more_time": ("mi serve più tempo per pagare", "potete darmi qualche giorno in più?", "mi serve una proroga"),
        "already_paid": ("ho già pagato", "ho pagato la settimana scorsa", "ho già fatto il bonifico"),
        "paid_details": ("ho pagato {amount} lunedì", "ho fatto un bonifico di {amount} ieri"),
        "dispute": ("non riconosco questo debito", "questo debito non è mio", "non devo niente, è un errore"),
        "hardship": ("ho perso il lavoro e non posso pagare", "sono malato, non ho soldi adesso",
                     "sono disoccupato, non riesco a pagare"),
        "wrong_number": ("numero sbagliato", "non conosco questa persona, numero sbagliato", "qui non c'è nessun {first}"),
        "opt_out": ("non scrivetemi più", "STOP", "non voglio più ricevere messaggi", "smettete di scrivermi"),
        "agent": ("voglio parlare con una persona", "posso parlare con un operatore?", "passami un operatore"),
        "unclear": ("???", "ok", "👍", "mah", "cosa", "ahah", "?"),
        "thanks": ("grazie", "grazie mille", "ok grazie", "perfetto, grazie"),
        "yes": ("sì", "si", "sì, confermo", "va bene", "ok sì"),
        "after_handoff": ("pronto?", "sto ancora aspettando", "??", "c'è qualcuno?"),
        "date": ("venerdì", "domani", "lunedì prossimo", "tra 10 giorni", "il 20", "la settimana prossima"),
        "account": ("{ref}", "il mio conto è {ref}", "numero pratica {ref}", "{plain}"),
        "counter": ("posso pagare {amount} al mese", "riesco a dare solo {amount} al mese"),
        "no_account": ("non ce l'ho sotto mano", "non so qual è"),
    },
}  # fmt: skip
COUNTER_FORMATS = {"MXN": ("{grouped}", "${grouped}", "{plain} pesos"), "USD": ("${grouped}", "{plain} dollars"),
                   "BRL": ("R$ {dotted}", "{plain},00", "{plain} reais"), "EUR": ("{plain} euro", "€ {dotted}")}  # fmt: skip
PAID_AMOUNTS = {"MXN": ("$1,200", "2500 pesos"), "USD": ("$200", "150 dollars"),
                "BRL": ("R$ 350", "200 reais"), "EUR": ("150 euro", "€ 90")}  # fmt: skip
MONTHS = {"pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
                 "outubro", "novembro", "dezembro")}  # fmt: skip


# --- the corpus ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    """Who writes: a WhatsApp user (wa_id, or only a business-scoped user id) and the profile name."""

    key: str
    wa_id: str | None
    user_id: str
    profile_name: str
    language: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """One recorded inbound message: who, the scenario it belongs to, and Meta's message item (no timestamp:
    `webhook_body` adds it when the message is sent)."""

    contact: Contact
    scenario: str
    item: dict[str, Any]

    @property
    def wamid(self) -> str:
        """The message's id."""
        return str(self.item["id"])

    def to_json(self) -> str:
        """One JSONL line."""
        c = self.contact
        return json.dumps(
            {
                "contact": c.key,
                "wa_id": c.wa_id,
                "user_id": c.user_id,
                "profile_name": c.profile_name,
                "language": c.language,
                "scenario": self.scenario,
                "message": self.item,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


def webhook_body(message: Inbound, timestamp: int) -> bytes:
    """The whole POST body Meta (and the sandbox) sends for this message at `timestamp`."""
    c = message.contact
    contact: dict[str, Any] = {"profile": {"name": c.profile_name}}
    if c.wa_id is not None:
        contact["wa_id"] = c.wa_id
    contact["user_id"] = c.user_id
    item = dict(message.item)
    item["timestamp"] = str(timestamp)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [contact],
        "messages": [item],
    }
    payload = {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [
        {"field": "messages", "value": value}]}]}  # fmt: skip
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(body: bytes) -> str:
    """The X-Hub-Signature-256 header for this body."""
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@dataclass
class _Script:
    """Builds one contact's messages."""

    rng: random.Random
    contact: Contact
    scenario: str
    replies: ReplyBook
    debtor: Debtor | None  # whose phone this is (None: a number no debtor has)
    counter: Iterator[int]
    owed: dict[str, Decimal]  # account reference -> what its invoices add up to
    items: list[dict[str, Any]] = field(default_factory=list)
    account_given: str | None = None  # the account the person named last

    @property
    def lang(self) -> str:
        return self.contact.language

    def phrase(self, slot: str, **values: str) -> str:
        return self.rng.choice(PHRASES[self.lang][slot]).format(**values)

    def _item(self, kind: str, body: dict[str, Any], context: bool = False) -> None:
        n = next(self.counter)
        digits = (self.contact.wa_id or self.contact.user_id).encode()
        raw = b"\x15\x02\x00\x11\x18\x12" + digits + b"BENCHBOT" + n.to_bytes(8, "big")
        item: dict[str, Any] = {}
        if self.contact.wa_id is not None:
            item["from"] = self.contact.wa_id
        item["from_user_id"] = self.contact.user_id
        item["id"] = "wamid." + base64.b64encode(raw).decode()
        if context:  # a tap answers one of the bot's messages
            ctx = base64.b64encode(b"\x15\x02\x00\x11\x18\x12OUT" + n.to_bytes(8, "big")).decode()
            item["context"] = {"from": DISPLAY_NUMBER, "id": f"wamid.{ctx}"}
        item["type"] = kind
        item[kind] = body
        self.items.append(item)

    def text(self, slot_or_text: str, literal: bool = False, **values: str) -> None:
        self._item("text", {"body": slot_or_text if literal else self.phrase(slot_or_text, **values)})

    def button_reply(self, choice: str, label_key: str) -> None:
        title = self.replies.text(self.lang, label_key)
        self._item(
            "interactive", {"type": "button_reply", "button_reply": {"id": choice, "title": title}}, True
        )

    def list_reply(self, choice: str, title: str) -> None:
        self._item(
            "interactive", {"type": "list_reply", "list_reply": {"id": choice, "title": title[:24]}}, True
        )

    def template_tap(self, payload: str, label_key: str) -> None:
        title = self.replies.text(self.lang, label_key)[:25]
        self._item("button", {"payload": payload, "text": title}, True)

    def image(self, caption: str | None) -> None:
        digest = hashlib.sha256(str(len(self.items)).encode()).digest()
        body: dict[str, Any] = {"mime_type": "image/jpeg", "sha256": base64.b64encode(digest).decode(),
                                "id": str(10**15 + self.rng.randrange(10**14))}  # fmt: skip
        if caption:
            body["caption"] = caption
        self._item("image", body)

    def reaction(self) -> None:
        ctx = base64.b64encode(b"\x15\x02OUT" + len(self.items).to_bytes(4, "big")).decode()
        self._item("reaction", {"message_id": f"wamid.{ctx}", "emoji": self.rng.choice(("👍", "🙏", "❤️"))})

    # --- what a person answers when asked ---------------------------------------------------------------

    def account(self, debtor: Debtor) -> None:
        ref = self.rng.choice(debtor.accounts)
        self.account_given = ref
        style = self.rng.random()
        shown = ref if style < 0.7 else (ref.lower() if style < 0.85 else ref.replace("-", " "))
        self.text("account", ref=shown, plain=ref.replace("-", ""))

    def wrong_account(self, debtor: Debtor) -> None:
        ref = debtor.accounts[0]
        self.text("account", ref=ref[:-4] + str(self.rng.randrange(1000, 9999)), plain="")

    def second_factor(self, debtor: Debtor, right: bool = True) -> None:
        factor = debtor.market.second_factor
        if factor == "name":
            name = (
                debtor.name
                if right
                else f"{debtor.first_name} {self.rng.choice(('Pérez', 'Smith', 'Rossi'))}"
            )
            style = self.rng.random()
            if style < 0.55:
                shown = name
            elif style < 0.8:
                shown = _plain(name)
            elif style < 0.95:
                words = name.split()
                shown = " ".join(words[1:] + words[:1])
            else:
                shown = name.upper()
            self.text(shown, literal=True)
        elif factor == "birth_date":
            born = (
                debtor.birth_date if right else debtor.birth_date.replace(day=debtor.birth_date.day % 28 + 1)
            )
            month = MONTHS["pt"][born.month - 1]
            self.text(
                self.rng.choice(
                    (f"{born:%d/%m/%Y}", f"{born.day} de {month} de {born.year}", f"nasci em {born:%d/%m/%Y}",
                     f"{born:%d.%m.%Y}")
                ),
                literal=True,
            )  # fmt: skip
        else:
            digits = (
                debtor.national_id[-4:] if right else f"{(int(debtor.national_id[-4:]) + 17) % 10_000:04d}"
            )
            self.text(
                self.rng.choice((digits, f"le ultime quattro cifre sono {digits}", f"{digits} ")),
                literal=True,
            )

    def verify(self, debtor: Debtor) -> None:
        self.account(debtor)
        self.second_factor(debtor)

    def counter_offer(self, debtor: Debtor) -> None:
        """An amount a month: mostly one that the balance allows in two to five instalments, sometimes one
        that would need more instalments than any creditor allows."""
        balance = self.owed.get(self.account_given or debtor.accounts[0], Decimal(1000))
        share = self.rng.choice((2, 3, 3, 4, 5)) if self.rng.random() < 0.85 else 12
        amount = max(10, math.ceil(balance / share / 10) * 10)
        shape = self.rng.choice(COUNTER_FORMATS[debtor.market.currency])
        grouped = f"{amount:,}"
        self.text(
            "counter", amount=shape.format(grouped=grouped, dotted=grouped.replace(",", "."), plain=amount)
        )

    def date_answer(self) -> None:
        self.text("date")

    def thanks_maybe(self, share: float = 0.5) -> None:
        if self.rng.random() < share:
            self.text("thanks")


def _balance_then(s: _Script, d: Debtor) -> None:
    """Balance shown with its buttons; the person taps one of them and goes on."""
    then = s.rng.random()
    if then < 0.5:
        s.button_reply("PAY_NOW", "button.pay_now")
        s.thanks_maybe(0.6)
    elif then < 0.75:
        s.button_reply("PAYMENT_PLAN", "button.payment_plan")
        _plan_choice(s, d)
    else:
        s.button_reply("MORE_TIME", "button.more_time")
        s.date_answer()
        _confirm(s)


def _plan_choice(s: _Script, d: Debtor) -> None:
    count = s.rng.choice((2, 3, 3, 6))
    s.list_reply(f"PLAN:{count}", s.replies.text(s.lang, "menu.payment_plan"))
    _confirm(s)
    s.thanks_maybe(0.4)


def _confirm(s: _Script) -> None:
    if s.rng.random() < 0.7:
        s.button_reply("CONFIRM", "button.yes")
    else:
        s.text("yes")


def _scenario_balance(s: _Script, d: Debtor) -> None:
    if s.rng.random() < 0.4:
        s.text("greet")
    s.text("balance")
    s.verify(d)
    _balance_then(s, d)


def _scenario_menu(s: _Script, d: Debtor) -> None:
    s.text("greet")
    choice = s.rng.choice(("CHECK_BALANCE", "CHECK_BALANCE", "PAY_NOW", "PAYMENT_PLAN", "MORE_TIME"))
    s.list_reply(f"MENU:{choice}", s.replies.text(s.lang, f"menu.{choice.lower()}"))
    s.verify(d)
    if choice == "CHECK_BALANCE":
        _balance_then(s, d)
    elif choice == "PAY_NOW":
        s.thanks_maybe(0.7)
    elif choice == "PAYMENT_PLAN":
        _plan_choice(s, d)
    else:
        s.date_answer()
        _confirm(s)


def _scenario_pay(s: _Script, d: Debtor) -> None:
    s.text("pay")
    s.verify(d)
    s.thanks_maybe(0.7)


def _scenario_plan(s: _Script, d: Debtor) -> None:
    s.text("plan")
    s.verify(d)
    if s.rng.random() < 0.25:  # a counter-proposal: an amount a month
        s.counter_offer(d)
        _confirm(s)
        s.thanks_maybe(0.3)
    else:
        _plan_choice(s, d)


def _scenario_promise(s: _Script, d: Debtor) -> None:
    s.text("promise" if s.rng.random() < 0.6 else "more_time")
    s.verify(d)
    s.date_answer()
    _confirm(s)
    s.thanks_maybe(0.4)


def _scenario_template_tap(s: _Script, d: Debtor) -> None:
    """A tap on a reminder template's quick-reply button, then the flow it starts."""
    payload, key = s.rng.choice(
        (("PAY_NOW", "button.pay_now"), ("PAYMENT_PLAN", "button.payment_plan"),
         ("MORE_TIME", "button.more_time"), ("CHECK_BALANCE", "menu.check_balance"))
    )  # fmt: skip
    s.template_tap(payload, key)
    s.verify(d)
    if payload == "PAYMENT_PLAN":
        _plan_choice(s, d)
    elif payload == "MORE_TIME":
        s.date_answer()
        _confirm(s)
    elif payload == "CHECK_BALANCE":
        _balance_then(s, d)
    else:
        s.thanks_maybe(0.5)


def _scenario_already_paid(s: _Script, d: Debtor) -> None:
    s.text("already_paid")
    s.verify(d)
    if s.rng.random() < 0.3:
        s.image(s.rng.choice((None, "comprobante", "receipt")))
    else:
        s.text("paid_details", amount=s.rng.choice(PAID_AMOUNTS[d.market.currency]))
    s.text("after_handoff")  # handed to a person: the bot stays quiet


def _scenario_dispute(s: _Script, d: Debtor) -> None:
    if s.rng.random() < 0.3:
        s.text("greet")
    s.text("dispute")
    s.text("after_handoff")


def _scenario_hardship(s: _Script, d: Debtor) -> None:
    s.text("hardship")
    if s.rng.random() < 0.6:
        s.button_reply("PAYMENT_PLAN", "button.payment_plan")
        s.verify(d)
        _plan_choice(s, d)
    else:
        s.button_reply("MORE_TIME", "button.more_time")
        s.verify(d)
        s.date_answer()
        _confirm(s)


def _scenario_wrong_number(s: _Script, d: Debtor) -> None:
    s.text("wrong_number", first=d.first_name)
    s.button_reply("WRONG_NUMBER", "button.wrong_number")  # the bot asks to confirm free text with a button
    if s.rng.random() < 0.4:
        s.text("after_handoff")  # silenced: never answered again


def _scenario_opt_out(s: _Script, d: Debtor) -> None:
    if s.rng.random() < 0.3:
        s.text("balance")
    s.text("opt_out")


def _scenario_agent(s: _Script, d: Debtor) -> None:
    if s.rng.random() < 0.5:
        s.text("greet")
        s.list_reply("MENU:TALK_TO_AGENT", s.replies.text(s.lang, "menu.talk_to_agent"))
    else:
        s.text("agent")
    s.text("after_handoff")


def _scenario_unclear(s: _Script, d: Debtor) -> None:
    s.text("unclear")
    if s.rng.random() < 0.3:
        s.reaction()
    s.text("unclear")  # twice unclear: a person takes it


def _scenario_failed_verify(s: _Script, d: Debtor) -> None:
    s.text("balance")
    s.wrong_account(d)  # not found: one failure
    s.account(d)
    s.second_factor(d, right=False)  # two
    s.second_factor(d, right=False)  # three: locked, a person takes it
    s.text("after_handoff")


def _scenario_no_account(s: _Script, d: Debtor) -> None:
    s.text("balance")
    s.text("no_account")
    s.verify(d)
    _balance_then(s, d)


DEBTOR_SCENARIOS: tuple[tuple[str, Callable[[_Script, Debtor], None], int], ...] = (
    ("balance", _scenario_balance, 20),
    ("menu", _scenario_menu, 10),
    ("pay", _scenario_pay, 8),
    ("plan", _scenario_plan, 12),
    ("promise", _scenario_promise, 10),
    ("template_tap", _scenario_template_tap, 10),
    ("already_paid", _scenario_already_paid, 5),
    ("dispute", _scenario_dispute, 4),
    ("hardship", _scenario_hardship, 4),
    ("wrong_number", _scenario_wrong_number, 4),
    ("opt_out", _scenario_opt_out, 4),
    ("agent", _scenario_agent, 3),
    ("unclear", _scenario_unclear, 3),
    ("failed_verify", _scenario_failed_verify, 2),
    ("no_account", _scenario_no_account, 2),
)


def _scenario_unknown(s: _Script, d: Debtor) -> None:
    """A number no debtor has: a new phone (proves who they are with a real account) or a stranger."""
    s.text("greet")
    s.text("balance")
    if s.rng.random() < 0.5:
        s.verify(d)
        _balance_then(s, d)
    else:
        s.text("no_account")
        s.text("agent")


def corpus(
    debtors: list[Debtor], messages: int, balances: dict[str, Decimal], seed: int = SEED
) -> list[Inbound]:
    """`messages` inbound messages: whole conversations of distinct contacts (the last one cut short), each
    contact's messages in order; about 88% from debtors' phones, 9% from numbers no debtor has, 3% from
    users whose number is withheld (a business-scoped user id only). `balances`: `owed` of every debtor
    imported (counter-proposals are amounts a month that make sense for the account)."""
    rng = random.Random(seed)
    replies = load_replies()
    pool = list(debtors)
    rng.shuffle(pool)
    weights = [w for *_, w in DEBTOR_SCENARIOS]
    found: list[Inbound] = []
    counter = iter(range(1, 1 << 40))
    index = 0
    while len(found) < messages:
        if index >= len(pool):
            raise SystemExit(f"{len(debtors)} debtors are too few for {messages:,} messages")
        debtor = pool[index]
        index += 1
        kind = rng.random()
        user_id = f"{debtor.market.country}.{10**15 + index}"
        if kind < 0.09:
            national = debtor.market.mobile.replace("#", "0")[:-5] + f"9{index % 10_000:04d}"  # unique
            stranger = phonenumbers.format_number(
                phonenumbers.parse(national, debtor.market.country), phonenumbers.PhoneNumberFormat.E164
            )
            contact = Contact(f"c{index}", stranger[1:], user_id, "", debtor.market.language)
            scenario: tuple[str, Callable[[_Script, Debtor], None]] = ("unknown_number", _scenario_unknown)
        else:
            withheld = kind > 0.97
            contact = Contact(
                f"c{index}",
                None if withheld else debtor.wa_id,
                user_id,
                debtor.first_name,
                debtor.market.language,
            )
            name, build, _ = rng.choices(DEBTOR_SCENARIOS, weights)[0]
            scenario = (name, build)
        script = _Script(rng, contact, scenario[0], replies, debtor, counter, balances)
        scenario[1](script, debtor)
        found.extend(Inbound(contact, scenario[0], item) for item in script.items)
    return found[:messages]


def warm_up(debtors: list[Debtor], balances: dict[str, Decimal], seed: int = SEED) -> list[Inbound]:
    """Conversations that load what a process loads on first use (the classifier, each language's date and
    amount patterns, babel's data for each locale, the strategies): two contacts per market, whose debtors
    are not in `debtors` given to `corpus`. Not counted."""
    rng = random.Random(seed - 1)
    replies = load_replies()
    counter = iter(range(1 << 40, 1 << 41))
    found: list[Inbound] = []
    for market in MARKETS:
        mine = [d for d in debtors if d.market == market][:2]
        if len(mine) < 2:
            raise SystemExit(f"no spare debtors of {market.country} to warm up with")
        first, second = mine
        contact = Contact(f"warm-{first.number}", first.wa_id, f"WU.{first.number}", "", market.language)
        s = _Script(rng, contact, "warm_up", replies, first, counter, balances)
        s.text("greet")
        s.text("balance")
        s.verify(first)
        s.button_reply("PAYMENT_PLAN", "button.payment_plan")
        s.counter_offer(first)
        s.list_reply("PLAN:3", "3")
        s.button_reply("CONFIRM", "button.yes")
        found.extend(Inbound(contact, "warm_up", item) for item in s.items)
        contact = Contact(f"warm-{second.number}", second.wa_id, f"WU.{second.number}", "", market.language)
        s = _Script(rng, contact, "warm_up", replies, second, counter, balances)
        s.text("promise")
        s.verify(second)
        s.date_answer()
        s.button_reply("CONFIRM", "button.yes")
        s.text("already_paid")
        s.verify(second)
        s.text("paid_details", amount=PAID_AMOUNTS[market.currency][0])
        found.extend(Inbound(contact, "warm_up", item) for item in s.items)
    return found


def save(messages: list[Inbound], path: Path) -> None:
    """Writes the corpus as JSONL (one message a line, in send order per contact)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for message in messages:
            out.write(message.to_json() + "\n")
