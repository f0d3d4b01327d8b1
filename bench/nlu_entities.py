"""Benchmark of entity extraction: how long `extract_entities` takes on one debtor message.

Generates 4,000 messages (QUICK=1: 400) from a fixed seed, the way debtors write them in Spanish, English,
Portuguese and Italian: about 40% with nothing to extract (greetings, thanks, questions, disputes), the rest
promises with dates, offers with amounts in each locale's format, account and payment references, and mixes
of the three, some long, and 0.2% dates in a form only the `dateparser` fallback reads ("december, 15").
Loads everything first with `warm_up()` (its time is printed on its own), then
times each message once, in a shuffled order, relative to Monday 23 November 2026 in the message's zone.

Prints `name: value unit` lines: the warm-up, the median, 99th percentile and slowest message (wall clock),
the 99th percentile in CPU time of the thread (steadier on a busy machine), how many messages reached the
`dateparser` fallback and their median. Target: p99 under 5 ms (a whole bot turn has 50 ms). Exits non-zero
when a handful of known messages are not read as expected.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal

from cobro.adapters.nlu import entities
from cobro.adapters.nlu.entities import extract_entities, warm_up

QUICK = os.environ.get("QUICK", "") not in ("", "0")
MESSAGES = 400 if QUICK else 4_000
SEED = 20261123
TODAY = date(2026, 11, 23)
ZONES = {
    "es": ("America/Mexico_City", "Europe/Madrid", "America/Bogota"),
    "en": ("America/New_York", "Europe/London"),
    "pt": ("America/Sao_Paulo", "Europe/Lisbon"),
    "it": ("Europe/Rome",),
}

NOTHING = {
    "es": [
        "hola",
        "buenos días",
        "gracias",
        "ok",
        "¿cuánto debo?",
        "quiero hablar con un asesor",
        "no reconozco esa deuda",
        "ya no me escriban",
        "número equivocado, no conozco a esa persona",
        "perdí mi trabajo y no tengo cómo pagar ahorita, estoy buscando",
        "me pueden mandar el link de pago por favor",
        "sí soy yo",
    ],
    "en": [
        "hi",
        "thanks!",
        "what do I owe?",
        "I want to talk to someone",
        "this is not my debt",
        "stop",
        "wrong number",
        "I lost my job last month and can't pay right now",
        "can you send me the payment link",
        "yes, that's me",
    ],
    "pt": [
        "oi",
        "bom dia",
        "obrigado",
        "quanto eu devo?",
        "quero falar com um atendente",
        "não reconheço essa dívida",
        "parem de me mandar mensagem",
        "número errado",
        "estou desempregado e não consigo pagar agora",
        "me manda o link do pix",
    ],
    "it": [
        "ciao",
        "buongiorno",
        "grazie",
        "quanto devo?",
        "voglio parlare con un operatore",
        "non riconosco questo debito",
        "numero sbagliato",
        "ho perso il lavoro e ora non posso pagare",
        "mi mandate il link per pagare?",
    ],
}

WITH_ENTITIES = {
    "es": [
        "te pago el {weekday_es}",
        "pago el {day}",
        "puedo pagar {amount_es} pesos el {day}",
        "a fin de mes te deposito {amount_es}",
        "mañana pago",
        "pasado mañana sin falta",
        "la semana que viene te pago {amount_es}",
        "en {n} días le pago",
        "en la quincena pago {amount_es}",
        "el {day} de diciembre",
        "el {day}/12 pago",
        "puedo dar {amount_es} al mes",
        "ya pagué, mi referencia es {ref}",
        "mi número de cuenta es {digits}",
        "3 cuotas de {amount_es}",
        "te doy {k} mil el lunes {day}",
        "hola buenas tardes, le escribo porque ahorita no tengo trabajo pero el {weekday_es} me pagan y le "
        "puedo depositar {amount_es}, mi cuenta es {ref}, muchas gracias por la paciencia",
        "$ {amount_es}",
        "pago a las 5 el {weekday_es}",
        "ya hice el depósito de ${amount_en} con folio {digits}",
    ],
    "en": [
        "I'll pay next {weekday_en}",
        "I can pay ${amount_en} on the {day}th",
        "end of the month",
        "tomorrow",
        "in {n} days",
        "I can do ${amount_en} a month",
        "next week I pay {k}k",
        "December {day}",
        "my account number is {ref}",
        "paid already, reference {digits}",
        "12/{day} I will pay USD {amount_en}",
        "hey, sorry for the delay, I get paid on {weekday_en} and can send ${amount_en} then, account {ref}",
    ],
    "pt": [
        "pago na sexta",
        "dia {day} eu pago",
        "posso pagar R$ {amount_pt} no fim do mês",
        "amanhã",
        "depois de amanhã pago {amount_pt} reais",
        "daqui a {n} dias",
        "semana que vem",
        "parcelas de {amount_pt}",
        "já paguei, o código é {ref}",
        "minha conta é {digits}",
        "{day} de dezembro",
        "oi, tudo bem? estou sem emprego mas na próxima segunda consigo pagar R$ {amount_pt}, conta {ref}",
    ],
    "it": [
        "pago venerdì",
        "il {day} pago",
        "posso pagare {amount_pt} euro al mese",
        "fine mese",
        "domani",
        "dopodomani pago €{amount_pt}",
        "tra {n} giorni",
        "la prossima settimana",
        "il mio conto è {ref}",
        "ho già pagato, riferimento {digits}",
        "{day} dicembre",
        "buongiorno, sono in difficoltà ma lunedì {day} posso versare {amount_pt} euro, pratica {ref}",
    ],
}

ODD_DATES = ["paying december, {day}", "I get paid {day} in december", "december, the {day}"]

# Known messages and what they must give: the benchmark is void if extraction is wrong.
CHECKS = [
    ("pago 200 el 15", "es", "America/Mexico_City", ((date(2026, 12, 15),), (Decimal(200),), ())),
    ("R$ 1.234,56 na sexta", "pt", "America/Sao_Paulo", ((date(2026, 11, 27),), (Decimal("1234.56"),), ())),
    (
        "account ACME-0001, I pay $1,250.50",
        "en",
        "America/New_York",
        ((), (Decimal("1250.50"),), ("ACME0001",)),
    ),
    ("fine mese", "it", "Europe/Rome", ((date(2026, 11, 30),), (), ())),
]


def _amount(rng: random.Random, style: str) -> str:
    value = rng.choice([rng.randint(50, 999), rng.randint(1000, 25000), rng.randint(100, 5000) + 0.5])
    if style == "en":
        return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
    text = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
    return text.replace(",", "#").replace(".", ",").replace("#", ".")


def _message(rng: random.Random) -> tuple[str, str, str]:
    language = rng.choices(("es", "en", "pt", "it"), weights=(45, 20, 25, 10))[0]
    zone = rng.choice(ZONES[language])
    draw = rng.random()
    if draw < 0.4:
        return rng.choice(NOTHING[language]), language, zone
    if draw < 0.402:  # a date written in a form only the dateparser fallback reads
        return rng.choice(ODD_DATES).format(day=rng.randint(1, 28)), "en", "America/New_York"
    template = rng.choice(WITH_ENTITIES[language])
    text = template.format(
        weekday_es=rng.choice(["viernes", "lunes", "sábado", "martes"]),
        weekday_en=rng.choice(["Friday", "Monday", "Saturday"]),
        day=rng.randint(1, 28),
        n=rng.choice([2, 3, 5, 10, 15]),
        k=rng.randint(1, 9),
        amount_es=_amount(rng, rng.choice(["es", "en"])),
        amount_en=_amount(rng, "en"),
        amount_pt=_amount(rng, "pt"),
        ref=f"{rng.choice(['ACME', 'CR', 'MX'])}-{rng.randint(0, 99999):05d}",
        digits=str(rng.randint(10**7, 10**10)),
    )
    return text, language, zone


def main() -> int:
    rng = random.Random(SEED)
    messages = [_message(rng) for _ in range(MESSAGES)]
    started = time.perf_counter()
    warm_up()
    warm_ms = (time.perf_counter() - started) * 1000
    failures = 0
    for text, language, zone, (dates, amounts, numbers) in CHECKS:
        got = extract_entities(text, language, zone, TODAY)
        if (got.dates, got.amounts, got.numbers) != (dates, amounts, numbers):
            print(f"nlu_entities: {text!r} gave {got}", file=sys.stderr)
            failures += 1
    fallback_calls = 0
    original = entities._dateparser_dates

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal fallback_calls
        fallback_calls += 1
        return original(*args, **kwargs)

    entities._dateparser_dates = counting
    rng.shuffle(messages)
    timings = []
    cpu_timings = []
    fallback_timings = []
    for text, language, zone in messages:
        calls_before = fallback_calls
        begun = time.perf_counter_ns()
        cpu_begun = time.thread_time_ns()
        extract_entities(text, language, zone, TODAY)
        cpu_timings.append((time.thread_time_ns() - cpu_begun) / 1e6)
        elapsed = (time.perf_counter_ns() - begun) / 1e6
        timings.append(elapsed)
        if fallback_calls > calls_before:
            fallback_timings.append(elapsed)
    entities._dateparser_dates = original
    timings.sort()
    cpu_timings.sort()
    at_99 = min(len(timings) - 1, round(0.99 * len(timings)) - 1)
    p99 = timings[at_99]
    print(f"nlu_entities_warm_up: {warm_ms:.0f} ms")
    print(f"nlu_entities_p50: {statistics.median(timings):.3f} ms")
    print(f"nlu_entities_p99: {p99:.3f} ms")
    print(f"nlu_entities_max: {timings[-1]:.3f} ms")
    print(f"nlu_entities_p99_cpu: {cpu_timings[at_99]:.3f} ms")
    print(f"nlu_entities_dateparser_calls: {fallback_calls} of {len(messages)}")
    if fallback_timings:
        print(f"nlu_entities_dateparser_p50: {statistics.median(fallback_timings):.3f} ms")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
