"""Entity extraction: dates resolved relative to the debtor's day, amounts in each locale's format, reference
numbers, birth dates; no database."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from cobro.adapters.nlu.entities import digits_of, extract_entities, normalise_reference, parse_birth_date
from cobro.domain.conversation.intents import Entities

MONDAY = date(2026, 11, 23)  # the fixture clock's day: Monday 23 November 2026
MEXICO = "America/Mexico_City"


def dates_of(text: str, language: str, today: date = MONDAY, zone: str = MEXICO) -> tuple[date, ...]:
    return extract_entities(text, language, zone, today).dates


def amounts_of(text: str, language: str) -> tuple[Decimal, ...]:
    return extract_entities(text, language, MEXICO, MONDAY).amounts


def numbers_of(text: str, language: str) -> tuple[str, ...]:
    return extract_entities(text, language, MEXICO, MONDAY).numbers


D = date.fromisoformat

DATES = [
    # Spanish
    ("te pago el viernes", "es", ["2026-11-27"]),
    ("este viernes", "es", ["2026-11-27"]),
    ("el próximo viernes", "es", ["2026-11-27"]),
    ("el viernes que viene", "es", ["2026-11-27"]),
    ("el viernes de la semana que viene", "es", ["2026-12-04"]),
    ("el lunes", "es", ["2026-11-30"]),
    ("hoy lunes te pago", "es", ["2026-11-23"]),
    ("hoy", "es", ["2026-11-23"]),
    ("mañana", "es", ["2026-11-24"]),
    ("Mañana por la mañana", "es", ["2026-11-24"]),
    ("pasado mañana", "es", ["2026-11-25"]),
    ("fin de mes", "es", ["2026-11-30"]),
    ("a fin de mes", "es", ["2026-11-30"]),
    ("a finales de mes", "es", ["2026-11-30"]),
    ("a fin del mes que viene", "es", ["2026-12-31"]),
    ("el 15", "es", ["2026-12-15"]),
    ("el día 15", "es", ["2026-12-15"]),
    ("el 23", "es", ["2026-11-23"]),
    ("el 22", "es", ["2026-12-22"]),
    ("el 30", "es", ["2026-11-30"]),
    ("el 31", "es", ["2026-11-30"]),
    ("el 15 del mes que viene", "es", ["2026-12-15"]),
    ("pago el 10 y el 20", "es", ["2026-12-10", "2026-12-20"]),
    ("15/12", "es", ["2026-12-15"]),
    ("15/12/2026", "es", ["2026-12-15"]),
    ("15 de diciembre", "es", ["2026-12-15"]),
    ("15 de enero", "es", ["2027-01-15"]),
    ("el 3 de enero de 2027", "es", ["2027-01-03"]),
    ("el lunes 7", "es", ["2026-12-07"]),
    ("la semana que viene", "es", ["2026-11-30"]),
    ("la próxima semana", "es", ["2026-11-30"]),
    ("en 10 días", "es", ["2026-12-03"]),
    ("dentro de diez días", "es", ["2026-12-03"]),
    ("en dos semanas", "es", ["2026-12-07"]),
    ("en un mes", "es", ["2026-12-23"]),
    ("la quincena", "es", ["2026-11-30"]),
    ("a mediados de diciembre", "es", ["2026-12-15"]),
    ("el fin de semana", "es", ["2026-11-28"]),
    ("el mes que viene", "es", ["2026-12-23"]),
    ("a principios de mes", "es", ["2026-12-01"]),
    ("fin de año", "es", ["2026-12-31"]),
    # Portuguese
    ("na sexta", "pt", ["2026-11-27"]),
    ("sexta-feira", "pt", ["2026-11-27"]),
    ("na próxima segunda", "pt", ["2026-11-30"]),
    ("quinta que vem", "pt", ["2026-11-26"]),
    ("fim do mês", "pt", ["2026-11-30"]),
    ("final do mês", "pt", ["2026-11-30"]),
    ("dia 15", "pt", ["2026-12-15"]),
    ("no dia 5", "pt", ["2026-12-05"]),
    ("amanhã", "pt", ["2026-11-24"]),
    ("depois de amanhã", "pt", ["2026-11-25"]),
    ("hoje", "pt", ["2026-11-23"]),
    ("próxima semana", "pt", ["2026-11-30"]),
    ("semana que vem", "pt", ["2026-11-30"]),
    ("daqui a 10 dias", "pt", ["2026-12-03"]),
    ("em 10 dias", "pt", ["2026-12-03"]),
    ("15 de dezembro", "pt", ["2026-12-15"]),
    ("15/12", "pt", ["2026-12-15"]),
    # English
    ("next Friday", "en", ["2026-11-27"]),
    ("this Friday", "en", ["2026-11-27"]),
    ("on Friday", "en", ["2026-11-27"]),
    ("today", "en", ["2026-11-23"]),
    ("tomorrow", "en", ["2026-11-24"]),
    ("the day after tomorrow", "en", ["2026-11-25"]),
    ("end of the month", "en", ["2026-11-30"]),
    ("end of month", "en", ["2026-11-30"]),
    ("the 15th", "en", ["2026-12-15"]),
    ("on the 15", "en", ["2026-12-15"]),
    ("by the 1st", "en", ["2026-12-01"]),
    ("December 15", "en", ["2026-12-15"]),
    ("Dec 15th", "en", ["2026-12-15"]),
    ("15 December", "en", ["2026-12-15"]),
    ("December 15, 2026", "en", ["2026-12-15"]),
    ("January 3rd", "en", ["2027-01-03"]),
    ("next week", "en", ["2026-11-30"]),
    ("in 10 days", "en", ["2026-12-03"]),
    ("in a week", "en", ["2026-11-30"]),
    ("in 2 weeks", "en", ["2026-12-07"]),
    ("10 days from now", "en", ["2026-12-03"]),
    ("12/15", "en", ["2026-12-15"]),
    ("5/12", "en", ["2027-05-12"]),  # month first in the Americas
    ("15 in december", "en", ["2026-12-15"]),  # the regexes leave this one to dateparser
    # Italian
    ("venerdì", "it", ["2026-11-27"]),
    ("venerdì prossimo", "it", ["2026-11-27"]),
    ("lunedì 7 dicembre", "it", ["2026-12-07"]),
    ("fine mese", "it", ["2026-11-30"]),
    ("alla fine del mese", "it", ["2026-11-30"]),
    ("a fine mese", "it", ["2026-11-30"]),
    ("il 15", "it", ["2026-12-15"]),
    ("entro il 15", "it", ["2026-12-15"]),
    ("l'8 dicembre", "it", ["2026-12-08"]),
    ("domani", "it", ["2026-11-24"]),
    ("dopodomani", "it", ["2026-11-25"]),
    ("oggi", "it", ["2026-11-23"]),
    ("la prossima settimana", "it", ["2026-11-30"]),
    ("tra 10 giorni", "it", ["2026-12-03"]),
    ("fra due settimane", "it", ["2026-12-07"]),
    ("15 dicembre", "it", ["2026-12-15"]),
    ("15/12", "it", ["2026-12-15"]),
    # no date
    ("esta mañana pagué", "es", []),
    ("segunda parcela", "pt", []),
    ("na segunda parcela", "pt", []),
    ("pago a segunda parcela dia 20", "pt", ["2026-12-20"]),
    ("debo 3 meses", "es", []),
    ("15/12/2025", "es", []),  # written with a year that has passed
    ("15-12", "es", []),
    ("hace 10 días", "es", []),
]


@pytest.mark.parametrize(("text", "language", "expected"), DATES)
def test_dates_resolve_relative_to_the_debtors_day(text: str, language: str, expected: list[str]) -> None:
    assert dates_of(text, language) == tuple(D(d) for d in expected)


@pytest.mark.parametrize(
    ("today", "text", "language", "expected"),
    [
        ("2026-11-30", "fin de mes", "es", "2026-11-30"),
        ("2026-11-30", "el 31", "es", "2026-11-30"),
        ("2026-12-30", "end of the month", "en", "2026-12-31"),
        ("2026-12-31", "end of the month", "en", "2026-12-31"),
        ("2026-12-31", "fine mese", "it", "2026-12-31"),
        ("2027-01-30", "fim do mês", "pt", "2027-01-31"),
        ("2027-02-10", "fin de mes", "es", "2027-02-28"),
        ("2027-02-10", "el 30", "es", "2027-02-28"),
        ("2028-02-10", "fin de mes", "es", "2028-02-29"),
        ("2026-12-15", "la quincena", "es", "2026-12-15"),
        ("2026-12-16", "la quincena", "es", "2026-12-31"),
        ("2026-12-01", "la quincena", "es", "2026-12-15"),
    ],
)
def test_end_of_month_and_quincena(today: str, text: str, language: str, expected: str) -> None:
    assert dates_of(text, language, today=D(today)) == (D(expected),)


@pytest.mark.parametrize(
    ("today", "text", "language", "expected"),
    [
        ("2026-12-28", "el 5", "es", "2027-01-05"),
        ("2026-12-28", "15/01", "es", "2027-01-15"),
        ("2026-12-28", "15 de diciembre", "es", "2027-12-15"),
        ("2026-12-28", "3 de enero", "es", "2027-01-03"),
        ("2026-12-28", "en 10 días", "es", "2027-01-07"),
        ("2026-12-28", "next week", "en", "2027-01-04"),
        ("2026-12-28", "fin de mes", "es", "2026-12-31"),
        ("2026-12-31", "tomorrow", "en", "2027-01-01"),
        ("2026-12-31", "el viernes", "es", "2027-01-01"),
        ("2026-12-31", "el mes que viene", "es", "2027-01-31"),
        ("2026-12-31", "en 2 meses", "es", "2027-02-28"),
        ("2026-12-31", "dopodomani", "it", "2027-01-02"),
    ],
)
def test_december_rolls_over_into_next_year(today: str, text: str, language: str, expected: str) -> None:
    assert dates_of(text, language, today=D(today)) == (D(expected),)


def test_a_date_with_a_past_year_is_dropped() -> None:
    assert dates_of("15/12/2026", "es", today=D("2026-12-28")) == ()


def test_a_weekday_named_on_that_weekday_is_next_week_unless_the_text_says_today() -> None:
    friday = D("2026-11-27")
    assert dates_of("el viernes", "es", today=friday) == (D("2026-12-04"),)
    assert dates_of("este viernes", "es", today=friday) == (D("2026-12-04"),)
    assert dates_of("hoy viernes", "es", today=friday) == (friday,)
    assert dates_of("today, Friday", "en", today=friday) == (friday,)


def test_numeric_dates_follow_the_zone_in_english_and_day_first_elsewhere() -> None:
    assert dates_of("5/12", "en", zone="America/New_York") == (D("2027-05-12"),)
    assert dates_of("5/12", "en", zone="Europe/London") == (D("2026-12-05"),)
    assert dates_of("5/12", "es", zone="Europe/Madrid") == (D("2026-12-05"),)
    assert dates_of("15/3", "en", zone="America/New_York") == (D("2027-03-15"),)  # the only valid reading


def test_madrid_and_sao_paulo() -> None:
    assert dates_of("te pago el viernes 500 euros", "es", zone="Europe/Madrid") == (D("2026-11-27"),)
    assert dates_of("pago amanhã", "pt", zone="America/Sao_Paulo") == (D("2026-11-24"),)
    assert dates_of("dia 5", "pt", zone="America/Sao_Paulo") == (D("2026-12-05"),)
    sunday = D("2026-11-29")
    assert dates_of("fim de semana", "pt", today=sunday, zone="America/Sao_Paulo") == (sunday,)


def test_dates_come_sorted_once() -> None:
    assert dates_of("el 15 o el 10, o sea el 15", "es") == (D("2026-12-10"), D("2026-12-15"))


def test_the_machines_time_zone_does_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [("mañana", "es"), ("15 in december", "en"), ("fim do mês", "pt"), ("tra 10 giorni", "it")]
    expected = [extract_entities(t, lang, MEXICO, D("2026-12-31")) for t, lang in texts]
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        try:
            assert [extract_entities(t, lang, MEXICO, D("2026-12-31")) for t, lang in texts] == expected
        finally:
            monkeypatch.delenv("TZ")
            time.tzset()


AMOUNTS = [
    ("$ 500", "es", ["500"]),
    ("300 pesos", "es", ["300"]),
    ("50 euros", "es", ["50"]),
    ("te pago 1.250,50", "es", ["1250.50"]),
    ("te pago 1,250.50", "es", ["1250.50"]),
    ("pago 1.250", "es", ["1250"]),
    ("pago 12,5", "es", ["12.5"]),
    ("son 12.500,00 pesos", "es", ["12500.00"]),
    ("5 mil pesos", "es", ["5000"]),
    ("te doy 2 mil 500", "es", ["2500"]),
    ("puedo pagar 500 al mes", "es", ["500"]),
    ("500 x mes", "es", ["500"]),
    ("3 cuotas de 500", "es", ["500"]),
    ("mi deuda es de 5000", "es", ["5000"]),
    ("te mando 300 y 200", "es", ["300", "200"]),
    ("$1,000,000", "es", ["1000000"]),
    ("USD 20", "en", ["20"]),
    ("20 USD", "en", ["20"]),
    ("I can pay 1,250", "en", ["1250"]),
    ("$1,250.50", "en", ["1250.50"]),
    ("2k", "en", ["2000"]),
    ("I can pay 2.5k", "en", ["2500"]),
    ("I can do 200 a month", "en", ["200"]),
    ("£40 per week", "en", ["40"]),
    ("R$ 300,00", "pt", ["300.00"]),
    ("R$1.234,56", "pt", ["1234.56"]),
    ("300 reais", "pt", ["300"]),
    ("posso pagar 1.500", "pt", ["1500"]),
    ("parcelas de 200", "pt", ["200"]),
    ("5 mil reais", "pt", ["5000"]),
    ("1\u00a0234,56 €", "pt", ["1234.56"]),
    ("1 234,56 €", "pt", ["1234.56"]),
    ("€50", "it", ["50"]),
    ("50 euro", "it", ["50"]),
    ("€ 1.234,56", "it", ["1234.56"]),
    ("posso pagare 150 al mese", "it", ["150"]),
    ("una rata di 200", "it", ["200"]),
    ("CHF 1’234.50", "it", ["1234.50"]),
    ("5 mila euro", "it", ["5000"]),
    ("500", "es", ["500"]),  # the whole message is a number
    ("1.250,50", "es", ["1250.50"]),
    ("el recibo dice 4,567.89", "es", ["4567.89"]),  # written as money
    ("el recibo dice 4567", "es", []),
    # not amounts
    ("15% de descuento", "es", []),
    ("te llamo a las 5", "es", []),
    ("pagaré la cuota 3", "es", []),
    ("tengo 2 hijos", "es", []),
    ("opción 2", "es", []),
    ("a las 10:30", "es", []),
    ("pago 12345678", "es", []),  # eight digits and no currency: a reference
    ("12345", "es", []),
    ("call me at +1 415 555 0100", "en", []),
]


@pytest.mark.parametrize(("text", "language", "expected"), AMOUNTS)
def test_amounts(text: str, language: str, expected: list[str]) -> None:
    assert amounts_of(text, language) == tuple(Decimal(a) for a in expected)


def test_a_day_is_not_an_amount() -> None:
    assert extract_entities("pago 200 el 15", "es", MEXICO, MONDAY) == Entities(
        dates=(D("2026-12-15"),), amounts=(Decimal(200),)
    )
    assert extract_entities("pago el 15 500 pesos", "es", MEXICO, MONDAY) == Entities(
        dates=(D("2026-12-15"),), amounts=(Decimal(500),)
    )
    assert extract_entities("te pago 1.500 el 15/12", "es", MEXICO, MONDAY) == Entities(
        dates=(D("2026-12-15"),), amounts=(Decimal(1500),)
    )
    assert extract_entities("el 15 de diciembre 2000 pesos", "es", MEXICO, MONDAY) == Entities(
        dates=(D("2026-12-15"),), amounts=(Decimal(2000),)
    )


NUMBERS = [
    ("ACME-0001", "en", ["ACME0001"]),
    ("mi número de cuenta es 12345678", "es", ["12345678"]),
    ("cuenta 12345678", "es", ["12345678"]),
    ("ref 1234 5678 9012 3", "en", ["1234567890123"]),
    ("mi cuenta es ACME 00012 y pago 500", "es", ["ACME00012"]),
    ("conta 12345-6", "pt", ["123456"]),
    ("referência 55555", "pt", ["55555"]),
    ("conto n° 00123456", "it", ["00123456"]),
    ("riferimento pratica AB-12345", "it", ["AB12345"]),
    ("#98765", "es", ["98765"]),
    ("contrato nº 77777", "es", ["77777"]),
    ("1234 5678 9012", "es", ["123456789012"]),
    ("cuenta 11111 y referencia 22222", "es", ["11111", "22222"]),
    ("12345", "es", ["12345"]),
    ("cuenta 525512345678", "es", ["525512345678"]),  # a phone number, but introduced as the account
    ("account +1 415 555 0100", "en", ["14155550100"]),
    # not references
    ("mi número es +52 55 1234 5678", "es", []),
    ("525512345678", "es", []),  # a valid Mexican number with its country code
    ("termina en 4 5 6 7", "es", []),
    ("llámame al 55 1234 5678", "es", []),
    ("cuenta 1234", "es", []),  # too short
    ("tengo covid19", "es", []),
    ("te pago 12.500 pesos", "es", []),
    ("cuenta de 15000 pesos", "es", []),
]


@pytest.mark.parametrize(("text", "language", "expected"), NUMBERS)
def test_reference_numbers(text: str, language: str, expected: list[str]) -> None:
    assert numbers_of(text, language) == tuple(expected)


def test_an_introduced_reference_is_not_an_amount() -> None:
    assert extract_entities("cuenta 12345678, pago 500", "es", MEXICO, MONDAY) == Entities(
        amounts=(Decimal(500),), numbers=("12345678",)
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola", "es"),
        ("gracias!", "es"),
        ("buenos días, ¿cuánto debo?", "es"),
        ("quiero hablar con un asesor", "es"),
        ("ok", "en"),
        ("Thanks, I want to talk to a person", "en"),
        ("obrigado", "pt"),
        ("não reconheço essa dívida", "pt"),
        ("grazie mille", "it"),
        ("non è il mio numero", "it"),
        ("", "es"),
    ],
)
def test_nothing_is_extracted_from_text_without_entities(text: str, language: str) -> None:
    assert extract_entities(text, language, MEXICO, MONDAY) == Entities()


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        extract_entities("mañana", "fr", MEXICO, MONDAY)


def test_digits_of() -> None:
    assert digits_of("termina en 4 5 6 7") == "4567"
    assert digits_of("+52 (55) 1234-5678") == "525512345678"
    assert digits_of("１２３") == "123"
    assert digits_of("sin números") == ""


def test_normalise_reference() -> None:
    assert normalise_reference("acme-00012") == "ACME00012"
    assert normalise_reference("ACME 00012") == "ACME00012"
    assert normalise_reference("ACME00012") == "ACME00012"
    assert normalise_reference(" ref: Año-1/2 ") == "REFANO12"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("15/03/1985", "es", "1985-03-15"),
        ("15-3-85", "es", "1985-03-15"),
        ("15.03.1985", "it", "1985-03-15"),
        ("15 03 1985", "pt", "1985-03-15"),
        ("1985-03-15", "en", "1985-03-15"),
        ("15 de marzo de 1985", "es", "1985-03-15"),
        ("nací el 15 de marzo del 85", "es", "1985-03-15"),
        ("15 de março de 1985", "pt", "1985-03-15"),
        ("15 marzo 1985", "it", "1985-03-15"),
        ("March 15, 1985", "en", "1985-03-15"),
        ("15th March 1985", "en", "1985-03-15"),
        ("15/03/1985", "en", "1985-03-15"),  # day first: the only valid reading
        ("03/04/1985", "en", "1985-03-04"),  # ambiguous: month first in English
        ("03/04/1985", "es", "1985-04-03"),  # ambiguous: day first elsewhere
        ("04/15/1985", "es", "1985-04-15"),  # month first: the only valid reading
        ("5/3/05", "es", "2005-03-05"),
        ("5/3/26", "es", "1926-03-05"),
        ("1 de enero de 1990", "es", "1990-01-01"),
    ],
)
def test_birth_dates(text: str, language: str, expected: str) -> None:
    assert parse_birth_date(text, language) == D(expected)


@pytest.mark.parametrize(
    ("text", "language"), [("31/02/1985", "es"), ("hola", "es"), ("15/03", "es"), ("15/03/1850", "en")]
)
def test_not_birth_dates(text: str, language: str) -> None:
    assert parse_birth_date(text, language) is None


LOCALES = [
    ("es_ES", "es"),
    ("es_MX", "es"),
    ("en_US", "en"),
    ("pt_BR", "pt"),
    ("pt_PT", "pt"),
    ("it_IT", "it"),
]
LOCALES += [("it_CH", "it"), ("es_AR", "es")]
PAY = {"es": "te pago", "en": "I can pay", "pt": "posso pagar", "it": "posso pagare"}
CURRENCY = {"es_ES": "EUR", "es_MX": "MXN", "en_US": "USD", "pt_BR": "BRL", "pt_PT": "EUR", "it_IT": "EUR"}
CURRENCY |= {"it_CH": "CHF", "es_AR": "ARS"}
MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2)


@settings(max_examples=300, deadline=None)
@given(value=MONEY, locale=st.sampled_from(LOCALES))
def test_an_amount_formatted_by_babel_is_read_back(value: Decimal, locale: tuple[str, str]) -> None:
    name, language = locale
    written = format_decimal(value, locale=name)
    assert amounts_of(f"{PAY[language]} {written}", language) == (value,)
    priced = format_currency(value, CURRENCY[name], locale=name)
    assert amounts_of(priced, language) == (value,)


PHRASES = [
    "el {d}",
    "dia {d}",
    "il {d}",
    "the {d}th",
    "{d}/{m}",
    "{d}/{m}/2027",
    "{d} de diciembre",
    "March {d}",
    "el viernes",
    "next Monday",
    "fin de mes",
    "fine mese",
    "mañana",
    "amanhã",
    "next week",
    "en {d} días",
    "tra {d} giorni",
    "la quincena",
    "el lunes {d}",
    "el {d} del mes que viene",
    "pago 200 el {d}",
    "{d} in december",
]


@settings(max_examples=300, deadline=None)
@given(
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    phrase=st.sampled_from(PHRASES),
    day=st.integers(min_value=1, max_value=31),
    month=st.integers(min_value=1, max_value=12),
    language=st.sampled_from(["es", "en", "pt", "it"]),
)
def test_dates_are_never_before_today(today: date, phrase: str, day: int, month: int, language: str) -> None:
    dates = dates_of(phrase.format(d=day, m=month), language, today=today)
    assert all(d >= today for d in dates)
    assert list(dates) == sorted(set(dates))


@settings(max_examples=200, deadline=None)
@given(today=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), day=st.integers(1, 31))
def test_a_day_of_the_month_is_the_next_one(today: date, day: int) -> None:
    (found,) = dates_of(f"el {day}", "es", today=today)
    assert today <= found <= today + timedelta(days=62)
    assert found.day == day or (found.day < day and (found + timedelta(days=1)).day == 1)  # clamped
    earlier = (today + timedelta(days=n) for n in range((found - today).days))
    assert not any(d.day == day for d in earlier)
