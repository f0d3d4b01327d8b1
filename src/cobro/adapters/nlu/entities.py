"""Entities in a debtor's message: the dates they promise to pay by, amounts of money, and account, service
or payment reference numbers, in Spanish, English, Portuguese and Italian.

`extract_entities` reads the text with fixed regular expressions (a tenth of a millisecond for a typical
message) and asks `dateparser` only when they found no date but a month name and a day number stand a few
characters apart ("december, 15", "15 in december"): dateparser takes 1-40 ms a call (and about 0.2 s to load
each language on first use, see `warm_up`), reads "pasado mañana" and "depois de amanhã" as tomorrow, "el
lunes 7" as 23 July, "mi" as a Wednesday and "debo 3 meses" as a date, and finds none of "fin de mes", "dia
15", "dopodomani", "la semana que viene" or "quince de diciembre"; so only its readings of a day and a month
name are kept. Nothing depends on the machine's clock or time zone, only on `today` (the debtor's local
date) and `zone` (which decides the order of an ambiguous numeric date in English, and is dateparser's zone).

Dates are never before `today`; a date without a year is the next one from `today` on, and a date written
with a year that has passed is dropped. How each form resolves (today = Monday 2026-11-23):

- "hoy", "today", "hoje", "oggi" (and "tonight", "esta noche", "stasera"): today.
- "mañana", "tomorrow", "amanhã", "domani": today + 1 ("la mañana", "esta mañana", "por la mañana" are the
  morning, not a date); "pasado mañana", "the day after tomorrow", "depois de amanhã", "dopodomani": + 2.
- A weekday, alone or with "el", "este", "next", "this", "on", "próximo", "que viene", "na", "que vem",
  "prossimo"...: the first such day strictly after today, so "el viernes", "este viernes" and "next Friday"
  are all 2026-11-27 (a debtor saying "next Friday" on a Monday almost always means the nearest one; the
  bot repeats the date back). "hoy viernes" / "today Friday" is today. Portuguese "segunda", "quarta" and
  "quinta" are also ordinals ("segunda parcela"), so they are weekdays only with "-feira", with "na", "nesta",
  "até", "próxima", "pra"... before ("na quinta", "até segunda") or "que vem" after, and never before
  "parcela", "vez", "via", "fatura"... ("na segunda parcela").
- A weekday with "de la semana que viene" / "next week" / "da semana que vem" / "della prossima settimana":
  that day of next calendar week (Monday-based): "el viernes de la semana que viene" = 2026-12-04.
- A weekday with a day of the month, "el lunes 7": the next date on that day of the month that falls on
  that weekday (2026-12-07); if none does within two years, the next 7th.
- "el 15", "dia 15", "il 15", "the 15th", "on the 15", "15th": the next 15th, this month when it is not past
  (today counts), otherwise next month; a day the month does not have is its last day ("el 31" in November
  = 30 November). "el 15 del mes que viene" / "the 15th of next month": the 15th of next month.
- "15/12", "15 de diciembre", "15 dicembre", "December 15", "Dec 15th": the next 15 December (this year if
  not past, else next year); "15/12/2026", "2026-12-15", "15 de diciembre de 2026": that date. A numeric
  date is day-first ("15/12") except in English in a zone of the Americas, which is month-first when both
  readings are valid ("5/12" = 12 May in America/New_York, 5 December in Europe/London); either way a
  reading that is the only valid one is taken ("12/15" = 15 December everywhere). "15-12" and "15.12" with no
  year are not dates (they are ranges and amounts).
- "fin de mes", "a fin de mes", "fim do mês", "final do mês", "end of the month", "fine mese", "alla fine del
  mese": the last day of this month (today when today is the last day); with "próximo" / "next" / "que
  viene": the last day of next month. "principios de mes", "beginning of the month", "inizio mese": the 1st
  of next month. "fin de año" / "end of the year": 31 December. "mediados de mes" / "mid-month": the next
  15th; "a mediados de diciembre": the next 15 December.
- "la semana que viene", "la próxima semana", "semana que vem", "next week", "la prossima settimana": today
  + 7 days (2026-11-30), a date the bot can confirm or the debtor correct. "el fin de semana" / "the
  weekend" / "fim de semana" / "il fine settimana": the coming Saturday (today on a Saturday or Sunday).
  "el mes que viene" / "next month" / "mês que vem" / "il mese prossimo": the same day next month (clamped).
- "en 10 días", "dentro de 10 días", "daqui a 10 dias", "em 10 dias", "in 10 days", "within 10 days",
  "tra 10 giorni", "fra 10 giorni", "entro 10 giorni", "10 days from now": today + 10; numbers may be words
  ("en diez días", "in a week", "tra due settimane"); weeks are 7 days, months and years are calendar months
  and years ("en 2 meses" = 2027-01-23). "quince días" is taken literally, 15 days.
- "quincena" / "quinzena" ("la quincena", "en la próxima quincena"): the 15th or the last day of the month,
  whichever comes first from today on; "cada quincena" / "por quincena" is a frequency, not a date.

Amounts are read in the language's number format with babel: "1.250,50" (es_ES, pt_BR, it_IT) and
"1,250.50" (es_MX, en_US) are both accepted; with one separator, three digits after it make it a thousands
separator ("1.250" = "1,250" = 1250) and one or two make it the decimal separator ("12,5" = "12.5" = 12.5);
a no-break space groups thousands as pt_PT writes them, and "’" as it_CH does; plain spaces group them
only next to a currency ("1 234,56 €"). "k" multiplies by 1000
("2k", "2.5k"), "mil" / "mila" / "thousand" too ("5 mil" = 5000, "2 mil 500" = 2500), "millones" etc. by a
million. A number is an amount when:

- a currency is written next to it: a symbol ("$", "R$", "US$", "€", "£", "S/"), a code ("USD", "MXN",
  "EUR", "BRL", ...; any ISO 4217 code babel knows when written in capitals), or a word ("pesos", "euros",
  "reais", "dólares", "dollars", "bucks", ...); or
- a money word is among the three words before it ("pago", "pagar", "pay", "paid", "pagamento", "rata de",
  "cuota de", "debo", "saldo", "puedo", "can", "posso", "abono", "deposito", "transfer"...), or a frequency
  after it ("por mes", "al mes", "x mes", "mensuales", "a month", "per month", "monthly", "por mês",
  "al mese", "a la semana"...); or
- it is written as money, thousands grouped and two decimals ("4,567.89", "1.234,56"); or
- the whole message is just that number ("500", "1.250,50") and it has fewer than five digits or is
  written with separators.

A bare number with none of these is not an amount: in a longer text it can be a day, a count or an index,
and a lone run of five or more digits is a reference ("12345678"). Never an amount: a day of a date ("pago
200 el 15" gives 200 and the 15th), a percentage ("15%", "15 por ciento"), a time ("10:30", "a las 5"), a
count ("3 cuotas", "2 meses", "3 x 500": the 3), an index ("la cuota 3", "opción 2", "#3"), a phone number, a
reference introduced by a word like "cuenta", and a run of eight or more digits without a currency.
Amounts come in the order written, each value once.

Numbers are account, service or payment references: a token of at least five letters and digits with at
least three digits ("ACME-0001", "12345678", "AB12C345"), after a word like cuenta / account / conta /
conto / referencia / reference / referência / riferimento / contrato / contract / factura / folio / cliente
/ n° / nº / # the groups after it joined ("ref 1234 5678 9012 3" = "1234567890123"; "mi cuenta es ACME 00012"
= "ACME00012" when the letters are written in capitals); without such a word, all-digit groups separated by
single spaces are joined when there are three or more groups of 3–6 digits (the last may be shorter), or two
of four or more digits (the first of three or more may have two, as in "55 1234 5678"). A phone number
(written with "+", 10 to 15 digits that phonenumbers reads as a valid number with its country code, or
digits right after "llámame", "call", "tel", "celular", "whatsapp", "ligar", "chiamami"...) is not a
reference unless one of the reference words introduces it. Numbers are
normalised with `normalise_reference` and come in the order written, each once.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import phonenumbers
from babel import Locale
from babel.numbers import (
    NumberFormatError,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
    parse_decimal,
)

from cobro.domain.conversation.intents import LANGUAGES, Entities
from cobro.i18n.numbers import load_locale

# --------------------------------------------------------------------------------------------- text


_KEEP = {"º": "º", "ª": "ª", "°": "°", "\u00a0": "\u00a0", "\u202f": "\u00a0", "’": "’"}


class _Folding(dict[int, str]):
    """A `str.translate` table: each character lower-cased without its accents, always one character for one
    (so positions in the folded text are positions in the original); filled on first use."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = _KEEP.get(char)
        if folded is None:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            base = base.lower()
            if len(base) == 1:
                folded = base
            elif not base:
                folded = " "
            else:
                lower = char.lower()
                folded = lower if len(lower) == 1 else char
        self[code] = folded
        return folded


_FOLD = _Folding()


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def digits_of(text: str) -> str:
    """The decimal digits of `text` in order, as ASCII ("termina en 4 5 6 7" -> "4567")."""
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


def normalise_reference(text: str) -> str:
    """A reference as compared: letters without accents in upper case and digits, nothing else ("acme-00012",
    "ACME 00012" and "ACME00012" are all "ACME00012")."""
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) or not char.isalnum():
            continue
        if char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        else:
            out.append(char.upper())
    return "".join(out)


# --------------------------------------------------------------------------------------------- words


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _alternation(words: object) -> str:
    """A regex alternation of the words (longest first), spaces and hyphens as written."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))  # type: ignore[call-overload]
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


_MONTHS = {
    # es
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    # en
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    # pt
    "janeiro": 1, "fevereiro": 2, "marco": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "novembro": 11, "dezembro": 12,
    # it
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "settembre": 9,
    "ottobre": 10, "novembre": 11, "dicembre": 12,
}  # fmt: skip

# Short forms, each only in its own language and only next to a day number ("15 dic", "Dec 15").
_MONTH_ABBREVIATIONS = {
    "es": {"ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6, "jul": 7, "ago": 8, "sep": 9,
           "sept": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12},
    "en": {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
           "sept": 9, "oct": 10, "nov": 11, "dec": 12},
    "pt": {"jan": 1, "fev": 2, "mar": 3, "abr": 4, "mai": 5, "jun": 6, "jul": 7, "ago": 8, "set": 9,
           "out": 10, "nov": 11, "dez": 12},
    "it": {"gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9,
           "ott": 10, "nov": 11, "dic": 12},
}  # fmt: skip

_WEEKDAYS = {
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5, "domingo": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "segunda-feira": 0, "segunda feira": 0, "terca-feira": 1, "terca feira": 1, "terca": 1,
    "quarta-feira": 2, "quarta feira": 2, "quinta-feira": 3, "quinta feira": 3, "sexta-feira": 4,
    "sexta feira": 4, "sexta": 4,
    "lunedi": 0, "martedi": 1, "mercoledi": 2, "giovedi": 3, "venerdi": 4, "sabato": 5, "domenica": 6,
}  # fmt: skip
_PT_ORDINAL_WEEKDAYS = {"segunda": 0, "quarta": 2, "quinta": 3}  # also "second", "fourth", "fifth"
_PT_WEEKDAY_CONTEXT = frozenset(
    _words("na nesta neste nessa nesse essa esse esta proxima ate pra para desta dessa")
)
_PT_ORDINAL_NOUN = re.compile(
    r"\s+(?:parcela|parcelas|prestacao|vez|via|opcao|conta|fatura|boleto|mensalidade)\b"
)

_NUMBER_WORDS = {
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "couple": 2,
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "quatro": 4, "sete": 7, "oito": 8, "nove": 9, "dez": 10,
    "onze": 11, "doze": 12, "quinze": 15, "vinte": 20, "trinta": 30,
    "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7, "otto": 8, "dieci": 10,
    "undici": 11, "dodici": 12, "quindici": 15, "venti": 20, "trenta": 30,
}  # fmt: skip

_SPAN_UNITS = {
    "dias": "d", "dia": "d", "days": "d", "day": "d", "giorni": "d", "giorno": "d",
    "semanas": "w", "semana": "w", "weeks": "w", "week": "w", "settimane": "w", "settimana": "w",
    "meses": "m", "mes": "m", "months": "m", "month": "m", "mesi": "m", "mese": "m",
    "anos": "y", "ano": "y", "years": "y", "year": "y", "anni": "y", "anno": "y",
}  # fmt: skip

_CURRENCY_CODES = frozenset(
    _words("usd mxn eur brl ars cop clp pen gbp uyu pyg bob gtq crc dop hnl nio pab ves chf cad aud")
)
_ISO_CURRENCIES = frozenset(list_currencies())  # any of these counts when written in capitals
_CURRENCY_WORDS = _words(
    "pesos peso pesitos euros euro dolares dolar dollars dollar bucks reais real soles sol libras libra "
    "pounds pound quid varos lucas lempiras quetzales colones bolivianos guaranies francos"
)
_CURRENCY_SYMBOL = r"(?:r\$|us\$|u\$s|u\$d|mx\$|ar\$|c\$|\$|€|£|s/\.?)"

# Words after a number that make it a count, not money.
_UNITS_AFTER = _words(
    "dias dia days day giorni giorno semanas semana weeks week settimane settimana meses mes months month "
    "mesi mese anos ano years year anni anno horas hora hours hour hrs hr hs ore minutos minuto minutes "
    "minute mins min minuti veces vez vezes times time volte volta cuotas cuota parcelas parcela rate rata "
    "pagos payments payment pagamentos pagamento pagamenti installments installment instalments instalment "
    "mensualidades prestacoes partes parts parti personas persona people pessoas persone hijos hijas kids "
    "children filhos figli am pm numeros digitos digits cifre facturas invoices meses quincenas"
)

# Words immediately before a number that make it an index, an hour or a count.
_INDEX_BEFORE = _words(
    "cuota parcela rata installment instalment prestacao numero number nro num opcion option opcao "
    "opzione plan paso step dia day giorno mes month mese semana week settimana ano year anno edad age "
    "idade eta factura invoice fattura fatura pagina page tel telefono phone celular cel whatsapp las at "
    "alle as ore hora piso floor apartamento apt calle street rua via cp puesto lugar"
)

_CUE_STEMS = ("pag", "abon", "deposit", "transf", "pay", "paid", "bonific", "liquid", "saldar", "versa")
_CUE_WORDS = frozenset(
    _words(
        "cuota cuotas mensualidad mensualidades enganche anticipo debo debe deuda saldo monto importe cantidad "
        "total dar doy daria puedo podria mando mandar envio enviar "
        "owe owed owing balance amount give send sent can could afford installment installments instalment "
        "instalments "
        "parcela parcelas prestacao prestacoes devo deve divida valor quantia dou posso poderia entrada "
        "rata rate debito importo cifra totale dare potrei mandare invio inviare acconto verso versato "
        "versero versamento"
    )
)
_NOT_CUES = frozenset({"pagina", "paginas", "pagine", "page", "pages"})

_REFERENCE_WORDS = _words(
    "cuenta cta account acct acc conta conto referencia reference ref riferimento rif contrato contract "
    "contratto cliente customer client folio factura invoice fattura fatura poliza policy polizza apolice "
    "protocolo pratica expediente servicio service servico servizio convenio boleto"
)

# ---------------------------------------------------------------------------------------- regexes

_EXCLUDED_AFTER = re.compile(
    r"\s*(?:%|por\s*ciento|percent|per\s*cent|por\s*cento|per\s*cento|x\s*\d|[:h]\d"
    rf"|(?:{_alternation(_UNITS_AFTER)})\b)"
)
_CURRENCY_AFTER = re.compile(
    rf"[\s\u00a0]*(?:\$|€|£|(?:{_alternation(_CURRENCY_CODES)}|{_alternation(_CURRENCY_WORDS)})\b)"
)
_CURRENCY_BEFORE = re.compile(
    rf"(?:{_CURRENCY_SYMBOL}|(?<![a-z])(?:{_alternation(_CURRENCY_CODES)})\.?)[\s\u00a0]*$"
)
_UPPER_CODE_BEFORE = re.compile(r"(?<![A-Za-z])([A-Z]{3})[\s\u00a0]*$")
_UPPER_CODE_AFTER = re.compile(r"[\s\u00a0]*([A-Z]{3})(?![A-Za-z])")
_MULTIPLIER_AFTER = re.compile(
    r"\s*(?:(?P<thousand>mil|mila|thousand|grand)\b"
    r"(?:\s+(?:y\s+|e\s+|and\s+)?(?P<rest>\d{1,3})(?![\d.,/:]|\s*(?:%|mil\b|k\b)))?"
    r"|(?P<million>millones|millon|milhoes|milhao|milioni|milione|millions|million)\b)"
)
_CUE_AFTER = re.compile(
    r"\s*(?:(?:por|al|a|per|ao|each|cada|every|a\s+la|alla|x|by\s+the)\s+"
    r"(?:mes|month|mese|semana|week|settimana|quincena|quinzena|fortnight|dia|day|giorno)\b"
    r"|(?:mensuales|mensual|monthly|mensais|mensal|mensili|mensile|semanales|semanal|weekly|semanais"
    r"|settimanali|quincenales|quinzenais)\b"
    r"|de\s+(?:cuota|abono|pago|enganche|entrada|anticipo)\b)"
)
_INDEX_BEFORE_RE = re.compile(rf"(?:\b(?:{_alternation(_INDEX_BEFORE)})\.?|\bno\.|#|n[º°]\.?)\s*$")
_NUMBER = re.compile(
    r"(?<![\w.,\-/#+’'])(?<!\d\u00a0)(?P<num>\d+(?:[.,’'\u00a0]\d+)*)(?P<att>k|[a-z]{2,8})?(?![\w])"
)
_CONJUNCTION = re.compile(r"\s*(?:,|y|o|u|e|ou|or|and|a|to|-|/)?\s*")
_SPACED_NUMBER = re.compile(
    r"(?<![\w.,\-/#+’'])(?<!\d\u00a0)\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?(?![\w]|[.,]\d)"
)
_AROUND_A_LONE_NUMBER = " \t\r\n\u00a0.!¡?¿,;:"
_WORD = re.compile(r"[^\W\d_]+|\d+|[.!?;:\n\x00]")
_PHONE = re.compile(r"\+\s*\(?\d[\d\s().\-]{6,}\d")
_TIME = re.compile(r"\b\d{1,2}(?::\d{2}|h\d{2})(?:\s*(?:am|pm|hrs|hs|h)\b)?|\b\d{1,2}\s*(?:am|pm)\b")
_GENERIC_TOKEN = re.compile(r"(?<![\w@/.\-+])[a-z0-9]+(?:[\-_/][a-z0-9]+)*(?![\w@]|[\-_/.][a-z0-9])")
_PHONE_WORDS_BEFORE = re.compile(
    r"\b(?:llamame|llamar|llamen|marcame|marcar|call|phone|tel|telefono|telefone|cel|celular|movil|mobile"
    r"|cellphone|whatsapp|ligar|liga|ligue|chiamami|chiamare|chiamatemi|cellulare)\b[^\d\x00]{0,12}$"
)
_MONEY_SHAPED = re.compile(r"\d{1,3}(?:([.,’\u00a0])\d{3})+(?!\1)[.,]\d{2}")  # "4,567.89", "1.234,56"
_DATE_SHAPED = re.compile(r"\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?")

_REFERENCE = re.compile(
    rf"(?:\b(?:{_alternation(_REFERENCE_WORDS)})\b\.?|n\.?[º°]\.?|(?<!#)#)"
    r"(?P<fill>(?:[\s:=#\-+]{0,4}\b(?:de|del|do|da|di|of|the|my|mi|mio|minha|meu|mia|la|el|o|a|il|es|is|e|era"
    r"|was|number|numero|nro|num)\b\.?|[\s:=#\-+]{0,4}n\.?[º°]\.?){0,6}[\s:=#\-+]{0,4})"
    r"(?P<ref>[a-z0-9](?:[a-z0-9\-_/.]*[a-z0-9])?(?:[ \u00a0]+[a-z0-9]*\d[a-z0-9]*(?:[\-_/.][a-z0-9]+)*)*)"
)


@dataclass(frozen=True, slots=True)
class _Context:
    today: date
    month_first: bool  # ambiguous numeric dates read month-first (English in the Americas)
    language: str


_Handler = Callable[[re.Match[str], _Context], "list[date] | None"]  # None: not a date, leave the text


# --------------------------------------------------------------------------------------- calendar


def _last_day(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _last_day(year, month)))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return _clamped(index // 12, index % 12 + 1, day.day)


def _in_next_month(day: date, day_of_month: int) -> date:
    first = _add_months(day.replace(day=1), 1)
    return _clamped(first.year, first.month, day_of_month)


def _next_day_of_month(today: date, day: int) -> date:
    this_month = _clamped(today.year, today.month, day)
    return this_month if this_month >= today else _in_next_month(today, day)


def _next_month_day(today: date, month: int, day: int) -> date | None:
    for year in range(today.year, today.year + 9):  # 29 February comes back within eight years
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year_of(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text.lstrip("'"))
    return value + 2000 if value < 100 else value


def _day_and_month(first: int, second: int, month_first: bool) -> tuple[int, int] | None:
    """(day, month) of a numeric date: the preferred order when it is valid, else the other one."""
    orders = ((second, first), (first, second)) if month_first else ((first, second), (second, first))
    for day, month in orders:
        if 1 <= month <= 12 and 1 <= day <= 31:
            return day, month
    return None


def _day_number(text: str) -> int:
    return 1 if not text[0].isdigit() else int(text)


# --------------------------------------------------------------------------------------- handlers


def _iso(match: re.Match[str], ctx: _Context) -> list[date] | None:
    found = _valid(int(match["y"]), int(match["m"]), int(match["d"]))
    return [found] if found else []


def _numeric_with_year(match: re.Match[str], ctx: _Context) -> list[date] | None:
    pair = _day_and_month(int(match["a"]), int(match["b"]), ctx.month_first)
    year = _year_of(match["y"])
    found = _valid(year, pair[1], pair[0]) if pair and year else None
    return [found] if found else []


def _numeric_without_year(match: re.Match[str], ctx: _Context) -> list[date] | None:
    pair = _day_and_month(int(match["a"]), int(match["b"]), ctx.month_first)
    if pair is None:
        return None
    found = _next_month_day(ctx.today, pair[1], pair[0])
    return [found] if found else []


def _month_of(name: str, language: str) -> int:
    key = name.rstrip(".")
    return _MONTHS.get(key) or _MONTH_ABBREVIATIONS[language][key]


def _named_date(match: re.Match[str], ctx: _Context) -> list[date] | None:
    day = _day_number(match["d"])
    month = _month_of(match["m"], ctx.language)
    year = _year_of(match["y"] or match["y2"] or match["y3"])
    if not 1 <= day <= 31:
        return None
    found = _valid(year, month, day) if year else _next_month_day(ctx.today, month, day)
    return [found] if found else []


def _mid_named_month(match: re.Match[str], ctx: _Context) -> list[date] | None:
    found = _next_month_day(ctx.today, _month_of(match["m"], ctx.language), 15)
    return [found] if found else []


def _weekday(match: re.Match[str], ctx: _Context) -> list[date] | None:
    name = re.sub(r"\s+", " ", match["wd"])
    today = ctx.today
    if name in _PT_ORDINAL_WEEKDAYS:
        before = set(match["pre"].split())
        if ctx.language != "pt" or not (before & _PT_WEEKDAY_CONTEXT or match["post"] or match["nextweek"]):
            return None
        if _PT_ORDINAL_NOUN.match(match.string, match.end("wd")):  # "na segunda parcela"
            return None
        weekday = _PT_ORDINAL_WEEKDAYS[name]
    else:
        weekday = _WEEKDAYS[name]
    if match["today"]:
        return [today]
    if match["nextweek"]:
        return [today + timedelta(days=7 - today.weekday() + weekday)]
    if match["day"] and 1 <= int(match["day"]) <= 31:
        day = int(match["day"])
        candidate = _next_day_of_month(today, day)
        for _ in range(25):
            if candidate.weekday() == weekday and candidate.day == day:
                return [candidate]
            candidate = _in_next_month(candidate, day)
        return [_next_day_of_month(today, day)]
    return [today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)]


def _month_edge(match: re.Match[str], ctx: _Context) -> list[date] | None:
    today = ctx.today
    kind = match["kind"] or match["kind2"]
    ahead = 1 if (match["next"] or match["next2"]) else 0
    if match["unit"] in ("ano", "year", "anno"):
        if kind in _ENDS:
            return [date(today.year + ahead, 12, 31)]
        if kind in _STARTS:
            return [date(today.year + 1, 1, 1)]
        return None
    if kind in _ENDS:
        month = _add_months(today.replace(day=1), ahead)
        return [month.replace(day=_last_day(month.year, month.month))]
    if kind in _STARTS:
        return [_add_months(today.replace(day=1), max(ahead, 1))]
    if ahead:
        return [_add_months(today.replace(day=1), ahead).replace(day=15)]
    return [_next_day_of_month(today, 15)]


_ENDS = frozenset({"finales", "fines", "final", "fin", "fim", "end", "fine"})
_STARTS = frozenset(
    {"principios", "principio", "inicios", "inicio", "comienzos", "comienzo", "comeco", "inizio", "beginning",
     "start"}
)  # fmt: skip


def _month_end_short(match: re.Match[str], ctx: _Context) -> list[date] | None:
    today = ctx.today
    return [today.replace(day=_last_day(today.year, today.month))]


def _plus(days: int) -> _Handler:
    def handler(match: re.Match[str], ctx: _Context) -> list[date] | None:
        return [ctx.today + timedelta(days=days)]

    return handler


def _weekend(match: re.Match[str], ctx: _Context) -> list[date] | None:
    weekday = ctx.today.weekday()
    return [ctx.today if weekday >= 5 else ctx.today + timedelta(days=5 - weekday)]


def _next_month(match: re.Match[str], ctx: _Context) -> list[date] | None:
    return [_add_months(ctx.today, 1)]


def _in_span(match: re.Match[str], ctx: _Context) -> list[date] | None:
    raw = match["n"]
    count = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    unit = _SPAN_UNITS[match["unit"]]
    if unit == "d":
        return [ctx.today + timedelta(days=count)]
    if unit == "w":
        return [ctx.today + timedelta(days=7 * count)]
    return [_add_months(ctx.today, count * (12 if unit == "y" else 1))]


def _quincena(match: re.Match[str], ctx: _Context) -> list[date] | None:
    today = ctx.today
    if today.day <= 15:
        return [today.replace(day=15)]
    return [today.replace(day=_last_day(today.year, today.month))]


def _day_of_month(match: re.Match[str], ctx: _Context) -> list[date] | None:
    day = int(match["d"])
    if not 1 <= day <= 31:
        return None
    if match["next"]:
        return [_in_next_month(ctx.today, day)]
    return [_next_day_of_month(ctx.today, day)]


def _today(match: re.Match[str], ctx: _Context) -> list[date] | None:
    return [ctx.today]


# ---------------------------------------------------------------------------------------- patterns

_WEEKDAY_NAMES = _alternation([*_WEEKDAYS, *_PT_ORDINAL_WEEKDAYS])
_DAY_SUFFIX = r"(?:st|nd|rd|th|º|°|ª|ro|er|o)?"  # "1ro", "1º", "1er", "15th"; not "2do" (an ordinal)
_NOT_A_DAY_AFTER = (
    rf"(?!\d|[.,/:\-]\d|\s*(?:%|mil\b|k\b|{_CURRENCY_SYMBOL}|(?:{_alternation(_UNITS_AFTER)}"
    rf"|{_alternation(_CURRENCY_CODES)}|{_alternation(_CURRENCY_WORDS)})\b))"
)
_NOT_MONEY_AFTER = (  # after a year: "15 de diciembre 2000 pesos" is the 15th and 2000 pesos
    rf"(?!\s*(?:%|mil\b|k\b|{_CURRENCY_SYMBOL}|(?:{_alternation(_CURRENCY_CODES)}|{_alternation(_CURRENCY_WORDS)})\b))"
)
_NEXT_MONTH = (
    r"(?:mes\s+que\s+viene|proximo\s+mes|mes\s+proximo|mes\s+que\s+vem|next\s+month|mese\s+prossimo"
    r"|prossimo\s+mese|mes\s+entrante)"
)
_NEXT_WEEK = (
    r"(?:semana\s+que\s+viene|proxima\s+semana|semana\s+proxima|semana\s+que\s+vem|next\s+week"
    r"|prossima\s+settimana|settimana\s+prossima|settimana\s+che\s+viene)"
)


@cache
def _patterns(language: str) -> tuple[tuple[re.Pattern[str], _Handler], ...]:
    """The date patterns for one language, in the order they are tried; each match takes its text."""
    months = _alternation([*_MONTHS, *_MONTH_ABBREVIATIONS[language]])
    span_numbers = _alternation(_NUMBER_WORDS)
    edges = "finales|fines|final|fin|fim|end|fine|principios|principio|inicios|inicio|comienzos|comienzo"
    edges += "|comeco|inizio|beginning|start|mediados|meados|mid|meta"
    loose = "mid" + ("|fine|inizio|meta" if language == "it" else "")  # "mid-month", "fine mese"
    connector = r"(?:de|del|do|da|of|di|dello|della|dell')"
    day_intro = (
        r"(?:el\s+dia|el|del\s+dia|del|o\s+dia|no\s+dia|dia|il\s+giorno|il|giorno|dal|on\s+the|on|by\s+the"
        r"|the|by)"
    )
    table: list[tuple[str, _Handler]] = [
        (
            r"(?<![\w/.\-])(?P<y>(?:19|20)\d{2})[\-/.](?P<m>\d{1,2})[\-/.](?P<d>\d{1,2})(?![\w/]|[.\-]\d)",
            _iso,
        ),
        (
            r"(?<![\w/.,\-])(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
            r"(?![\w/]|[.,\-]\d)",
            _numeric_with_year,
        ),
        (
            rf"(?:\b(?:{_WEEKDAY_NAMES})[\s,]+)?(?:\b{day_intro}\s+)?"
            rf"(?<![\d.,/])(?P<d>\d{{1,2}}|primero|primeiro|primo|first){_DAY_SUFFIX}"
            rf"\s*(?:(?:de|of|di)\s+|,\s*|[\-/.]\s*)?(?P<m>{months})\b\.?"
            rf"(?:\s*[,\-/.]?\s*(?:(?:de|del|of)\s+)?(?P<y>(?:19|20)\d{{2}})(?!\d){_NOT_MONEY_AFTER}"
            r"|\s+(?:de|del)\s+(?P<y2>\d{2})(?!\d)"
            r"|\s*(?P<y3>'\d{2})(?!\d))?",
            _named_date,
        ),
        (
            rf"(?:\b(?:{_WEEKDAY_NAMES})[\s,]+)?(?:\b(?P<y2>(?:19|20)\d{{2}})[\s,\-/.]+)?"
            rf"\b(?P<m>{months})\b\.?(?:\s+|[\-/]\s*)(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th|º)?"
            rf"(?:\s*[,\-/]?\s*(?:(?:de|del|of)\s+)?(?P<y>(?:19|20)\d{{2}})(?!\d){_NOT_MONEY_AFTER}"
            rf"|{_NOT_A_DAY_AFTER})(?P<y3>)",
            _named_date,
        ),
        (
            rf"\b(?:mediados|meados|mid|meta)\s*-?\s*(?:(?:de|do|of|di)\s+)?(?P<m>{months})\b",
            _mid_named_month,
        ),
        (r"(?<![\w/.,\-])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\w/]|[.,\-]\d)", _numeric_without_year),
        (
            rf"\b{day_intro}\s+(?P<d>\d{{1,2}}){_DAY_SUFFIX}(?!\w){_NOT_A_DAY_AFTER}"
            rf"(?P<next>\s+(?:de|del|do|of\s+the|of|di)\s+(?:(?:el|o|la|il)\s+)?{_NEXT_MONTH})?"
            r"|\bl'(?P<d2>1|8|11)\b(?P<next2>)",
            _day_of_month_any,
        ),
        (
            r"(?:\b(?P<today>hoy|today|hoje|oggi)[\s,]+(?:(?:es|is|e)\s+)?)?"
            r"(?P<pre>(?:\b(?:el|este|esta|next|this|on|coming|the|proximo|proxima|la|na|no|nesta|neste|nessa"
            r"|nesse|essa|esse|desta|dessa|a|ate|il|lo|prossimo|questo|entro|para|pra|de|hasta|by|until|till)"
            r"\s+){0,4})"  # bounded: "el el el ..." must not take quadratic time
            rf"\b(?P<wd>{_WEEKDAY_NAMES})\b"
            r"(?P<post>\s+(?:que\s+viene|que\s+vem|proximo|proxima|prossimo|entrante))?"
            rf"(?P<nextweek>\s+(?:de\s+la\s+|da\s+|della\s+|of\s+)?{_NEXT_WEEK})?"
            rf"(?:\s+(?P<day>\d{{1,2}})(?!\w){_NOT_A_DAY_AFTER})?",
            _weekday,
        ),
        (
            rf"\b(?:(?P<kind>{edges})\s*{connector}\s*|(?P<kind2>{loose})\s*-?\s*(?:{connector}\s*)?)"
            r"(?:(?:the|this|este|esse|o|questo|el|il)\s+)?(?P<next>(?:proximo|prossimo|next)\s+)?"
            r"(?P<unit>mes|month|mese|ano|year|anno)\b"
            r"(?P<next2>\s+(?:que\s+viene|que\s+vem|proximo|prossimo|entrante))?",
            _month_edge,
        ),
        (r"\bmonth[\s\-]end\b|\beom\b", _month_end_short),
        (
            r"(?:\bthe\s+)?\b(?:weekend|week-end|fin\s+de\s+semana|finde|fim\s+de\s+semana|fine\s+settimana)\b",
            _weekend,
        ),
        (rf"\b{_NEXT_WEEK}\b", _plus(7)),
        (rf"\b{_NEXT_MONTH}\b", _next_month),
        (
            r"\b(?:en|dentro\s+de|de\s+aqui\s+a|in|within|after|daqui\s+a|daqui|em|tra|fra|entro|dopo"
            r"|despues\s+de|depois\s+de)\s+(?:(?:unos|unas|uns|umas|about|around|some|circa|like)\s+)?"
            rf"(?:a\s+)?(?P<n>\d{{1,3}}|{span_numbers})\s+(?:of\s+)?(?P<unit>{_alternation(_SPAN_UNITS)})\b"
            r"|\b(?P<n2>\d{1,3})\s+(?P<unit2>days|weeks|months)\s+from\s+(?:now|today)\b",
            _in_span_any,
        ),
        (r"(?<!\bpor\s)(?<!\bcada\s)(?<!\beach\s)\b(?:quincena|quinzena)\b", _quincena),
        (
            r"\b(?:pasado\s+manana|(?:the\s+)?day\s+after\s+tomorrow|depois\s+de\s+amanha|dopo\s*domani)\b",
            _plus(2),
        ),
        (
            r"(?<!\bla\s)(?<!\besta\s)(?<!\buna\s)(?<!\bcada\s)(?<!\blas\s)(?<!\bpor\s)\bmanana\b"
            r"|\b(?:tomorrow|tomorow|tommorow|tmrw|amanha|domani)\b",
            _plus(1),
        ),
        (r"\b(?:hoy|today|hoje|oggi|tonight|esta\s+noche|stasera)\b", _today),
        (r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)\b(?P<next>)", _day_of_month),
    ]
    return tuple((re.compile(source), handler) for source, handler in table)


def _in_span_any(match: re.Match[str], ctx: _Context) -> list[date] | None:
    if not match["n2"]:
        return _in_span(match, ctx)
    count = int(match["n2"])
    if match["unit2"] == "days":
        return [ctx.today + timedelta(days=count)]
    if match["unit2"] == "weeks":
        return [ctx.today + timedelta(weeks=count)]
    return [_add_months(ctx.today, count)]


def _day_of_month_any(match: re.Match[str], ctx: _Context) -> list[date] | None:
    if match["d2"]:
        return [_next_day_of_month(ctx.today, int(match["d2"]))]
    return _day_of_month(match, ctx)


# ---------------------------------------------------------------------------------------- spans


class _Text:
    """The message folded for matching, with the stretches already read blanked out (so a day is not also
    an amount)."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.folded = _fold(original)
        self.masked = self.folded

    def take(self, start: int, end: int) -> None:
        self.masked = self.masked[:start] + "\x00" * (end - start) + self.masked[end:]

    def free(self, start: int, end: int) -> bool:
        return "\x00" not in self.masked[start:end]


def _is_phone(digits: str) -> bool:
    if not 10 <= len(digits) <= 15:
        return False
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse("+" + digits, None)))
    except phonenumbers.NumberParseException:
        return False


# ------------------------------------------------------------------------------------ references


def _introduced_references(text: _Text) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _REFERENCE.finditer(text.masked):
        start = match.start("ref")
        groups = list(re.finditer(r"[^ \u00a0]+", match["ref"]))
        first = groups[0]
        if not any(c.isdigit() for c in first.group()):
            # "cuenta corriente 12345": only a code in capitals ("ACME 00012") belongs to the reference
            written = text.original[start + first.start() : start + first.end()]
            if not (written.isupper() and len(written) <= 8) or len(groups) == 1:
                groups = groups[1:]
        kept: list[re.Match[str]] = []
        for group in groups:
            end = start + group.end()
            if _CURRENCY_AFTER.match(text.masked, end) or _EXCLUDED_AFTER.match(text.masked, end):
                break
            kept.append(group)
        if not kept:
            continue
        span = (start + kept[0].start(), start + kept[-1].end())
        raw = text.masked[span[0] : span[1]]
        value = normalise_reference(raw)
        if len(value) < 5 or sum(c.isdigit() for c in value) < 3 or _DATE_SHAPED.fullmatch(raw):
            continue
        found.append((span[0], value))
        text.take(*span)
    return found


def _generic_references(text: _Text) -> list[tuple[int, str]]:
    tokens = list(_GENERIC_TOKEN.finditer(text.masked))
    found: list[tuple[int, str]] = []
    index = 0
    while index < len(tokens):
        run = [tokens[index]]
        while (
            index + len(run) < len(tokens)
            and run[-1].group().isdigit()
            and tokens[index + len(run)].group().isdigit()
            and tokens[index + len(run)].start() == run[-1].end() + 1
            and text.masked[run[-1].end()] == " "
            and (2 if len(run) == 1 else 3) <= len(run[-1].group()) <= 6  # "55 1234 5678"
            and len(tokens[index + len(run)].group()) <= 6
        ):
            run.append(tokens[index + len(run)])
        sizes = [len(t.group()) for t in run]
        joined = (len(run) >= 3 and sizes[-1] <= 6) or (len(run) == 2 and min(sizes) >= 4)
        if len(run) > 1 and not joined:
            run = run[:1]
        index += len(run)
        value = normalise_reference(" ".join(t.group() for t in run))
        if len(value) < 5 or sum(c.isdigit() for c in value) < 3:
            continue
        before = text.masked[max(0, run[0].start() - 30) : run[0].start()]
        if value.isdigit() and (_is_phone(value) or _PHONE_WORDS_BEFORE.search(before)):
            continue
        found.append((run[0].start(), value))
    return found


# ---------------------------------------------------------------------------------------- amounts


@cache
def _number_locales(language: str) -> tuple[tuple[Locale, str, str], ...]:
    """(locale, decimal symbol, group symbol) for the language's locales first, then the others'."""
    names = {
        "es": ("es_ES", "es_MX"),
        "en": ("en_US", "en_GB"),
        "pt": ("pt_BR", "pt_PT"),
        "it": ("it_IT", "it_CH"),
    }
    ordered = [*names[language], *(n for lang in LANGUAGES if lang != language for n in names[lang])]
    out = []
    for name in ordered:
        locale = load_locale(name)
        out.append((locale, get_decimal_symbol(locale), get_group_symbol(locale)))
    return tuple(out)


def _decimal(token: str, language: str) -> Decimal | None:
    """The value of a number written with either separator convention (see the module's docstring), parsed
    strictly by babel in a locale that writes it that way; None when it is no well-formed number."""
    token = token.replace("'", "’")
    separators = [c for c in token if not c.isdigit()]
    if not separators:
        return Decimal(token)
    kinds = set(separators)
    decimal_symbol: str | None = None
    group_symbol: str | None = None
    if len(kinds) == 2:
        decimal_symbol = separators[-1]
        if separators.count(decimal_symbol) != 1 or decimal_symbol not in ".,":
            return None
        (group_symbol,) = kinds - {decimal_symbol}
    elif len(kinds) == 1:
        symbol = separators[0]
        head, _, tail = token.rpartition(symbol)
        if symbol not in ".," or len(separators) > 1 or (len(tail) == 3 and head.lstrip("0")):
            group_symbol = symbol
        elif len(tail) in (1, 2):
            decimal_symbol = symbol
        else:
            return None
    else:
        return None
    for locale, decimal_of, group_of in _number_locales(language):
        if decimal_symbol not in (None, decimal_of) or group_symbol not in (None, group_of):
            continue
        try:
            return Decimal(parse_decimal(token, locale=locale, strict=True))
        except (NumberFormatError, InvalidOperation):
            return None
    return None


def _has_cue_before(before: str) -> bool:
    for count, token in enumerate(reversed(_WORD.findall(before)), start=1):
        if not token[0].isalpha():
            return False
        if token in _CUE_WORDS or (token.startswith(_CUE_STEMS) and token not in _NOT_CUES):
            return True
        if count == 3:
            return False
    return False


def _tidy(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _spaced_amounts(text: _Text, language: str) -> list[tuple[int, Decimal]]:
    """Thousands grouped with plain spaces ("1 234,56 €"), taken only next to a currency."""
    found: list[tuple[int, Decimal]] = []
    for match in _SPACED_NUMBER.finditer(text.masked):
        start, end = match.span()
        before = text.masked[max(0, start - 12) : start]
        after = _CURRENCY_AFTER.match(text.masked, end)
        if not (after or _CURRENCY_BEFORE.search(before)):
            continue
        value = _decimal(match.group().replace(" ", "\u00a0"), language)
        if value is None or value <= 0:
            continue
        found.append((start, value))
        text.take(start, after.end() if after else end)
    return found


def _amounts(text: _Text, language: str) -> list[tuple[int, Decimal]]:
    found = _spaced_amounts(text, language)
    masked = text.masked
    taken_until = -1  # end of the last amount: "200 o 300" after a money word gives both
    for match in _NUMBER.finditer(masked):
        start, end = match.span()
        if start < taken_until:
            continue
        attached = match["att"]
        if (
            attached
            and attached != "k"
            and attached not in _CURRENCY_CODES
            and attached not in _CURRENCY_WORDS
        ):
            continue
        token = match["num"]
        value = _decimal(token, language)
        if value is None or value <= 0:
            continue
        strong = bool(attached)
        multiplied = attached == "k"
        if multiplied:
            value *= 1000
        after_at = end
        multiplier = None if attached else _MULTIPLIER_AFTER.match(masked, end)
        if multiplier:
            multiplied = strong = True
            after_at = multiplier.end()
            if multiplier["million"]:
                value *= 1_000_000
            else:
                value = value * 1000 + (int(multiplier["rest"]) if multiplier["rest"] else 0)
        before = masked[max(0, start - 40) : start]
        original_before = text.original[max(0, start - 12) : start]
        currency_after = _CURRENCY_AFTER.match(masked, after_at)
        code_after = _UPPER_CODE_AFTER.match(text.original, after_at)
        code_before = _UPPER_CODE_BEFORE.search(original_before)
        currency = bool(
            currency_after
            or _CURRENCY_BEFORE.search(before)
            or (code_after and code_after[1] in _ISO_CURRENCIES)
            or (code_before and code_before[1] in _ISO_CURRENCIES)
        )
        if currency_after:
            after_at = currency_after.end()
        elif code_after and code_after[1] in _ISO_CURRENCIES:
            after_at = code_after.end()
        if not (currency or strong):
            if _EXCLUDED_AFTER.match(masked, end) or _INDEX_BEFORE_RE.search(before):
                continue
            integer_digits = len(token) if token.isdigit() else 0
            if integer_digits >= 8:
                continue
            listed = taken_until >= 0 and _CONJUNCTION.fullmatch(masked, taken_until, start)
            frequency = _CUE_AFTER.match(masked, end)
            shaped = _MONEY_SHAPED.fullmatch(token)
            if not (listed or frequency or shaped or _has_cue_before(before)):
                continue
            if frequency:
                after_at = frequency.end()
        elif not currency and _EXCLUDED_AFTER.match(masked, after_at):
            continue
        found.append((start, _tidy(value) if multiplied else value))
        taken_until = after_at
        text.take(start, after_at)
    if not found:
        found.extend(_lone_amount(text, language))
    return found


def _lone_amount(text: _Text, language: str) -> list[tuple[int, Decimal]]:
    """A message that is nothing but a number ("500", "1.250,50"): an amount when it has fewer than five
    digits or separators (a bare run of five or more digits is a reference)."""
    body = text.masked.strip(_AROUND_A_LONE_NUMBER)
    match = _NUMBER.fullmatch(body)
    if not match or match["att"]:
        return []
    token = match["num"]
    if token.isdigit() and len(token) >= 5:
        return []
    value = _decimal(token, language)
    if value is None or value <= 0:
        return []
    start = len(text.masked) - len(text.masked.lstrip(_AROUND_A_LONE_NUMBER))
    text.take(start, start + len(body))
    return [(start, value)]


# ---------------------------------------------------------------------------------------- dates


def _month_first(language: str, zone: str) -> bool:
    return language == "en" and zone.startswith(("America/", "US/"))


def _regex_dates(text: _Text, ctx: _Context) -> list[date]:
    found: list[date] = []
    for pattern, handler in _patterns(ctx.language):
        taken: list[tuple[int, int]] = []
        for match in pattern.finditer(text.masked):
            dates = handler(match, ctx)
            if dates is None:
                continue
            found.extend(dates)
            taken.append(match.span())
        for span in taken:
            text.take(*span)
    return found


@cache
def _month_word(language: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_alternation([*_MONTHS, *_MONTH_ABBREVIATIONS[language]])})\b")


@cache
def _month_near_day(language: str) -> re.Pattern[str]:
    """A month name and a day number (1-31) at most a few characters apart, with no other digit between:
    what a message needs for the dateparser fallback to be worth its milliseconds."""
    months = _alternation([*_MONTHS, *_MONTH_ABBREVIATIONS[language]])
    day = r"(?<![\d.,])(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|º)?(?![\d.,]\d|\d)"
    return re.compile(rf"\b(?:{months})\b[^\d\x00]{{0,12}}{day}|{day}[^\d\x00]{{0,12}}\b(?:{months})\b")


def _dateparser_dates(text: _Text, ctx: _Context, zone: str) -> list[date]:
    """Dates `dateparser` finds where a month name and a day number stand close but no regex read them
    ("december, 15", "15 in december"): only fragments holding a month name and a day (not just a year), not
    over text already read, within two years of `today`; relative to `today` at noon in `zone`."""
    from dateparser.search import search_dates  # slow to import (about 0.3 s): only when needed

    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime(ctx.today.year, ctx.today.month, ctx.today.day, 12),
        "TIMEZONE": zone,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "MDY" if ctx.month_first else "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "PARSERS": ["relative-time", "absolute-time"],
    }
    try:
        results = search_dates(text.original, languages=[ctx.language], settings=settings) or []
    except Exception:  # dateparser raises assorted errors on odd input; the regexes already had their say
        return []
    found = []
    cursor = 0
    month = _month_word(ctx.language)
    for fragment, value in results:
        start = text.original.find(fragment, cursor)
        if start < 0:
            continue
        cursor = start + len(fragment)
        folded = _fold(fragment)
        day_number = re.search(r"\d", re.sub(r"(?:19|20)\d\d", "", folded))  # a day, not only a year
        if not text.free(start, cursor) or not day_number or not month.search(folded):
            continue
        day = value.date()
        if ctx.today <= day <= ctx.today + timedelta(days=731):
            found.append(day)
            text.take(start, cursor)
    return found


# ---------------------------------------------------------------------------------------- public


def extract_entities(text: str, language: str, zone: str, today: date) -> Entities:
    """The dates, amounts and reference numbers in a debtor's message (see the module's docstring for every
    form and how it resolves). `language` is one of "es", "en", "pt", "it"; `zone` the debtor's IANA zone;
    `today` the debtor's local date. Dates come sorted, each once, none before `today`."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    body = _Text(unicodedata.normalize("NFC", text))
    ctx = _Context(today=today, month_first=_month_first(language, zone), language=language)
    references = _introduced_references(body)
    for pattern in (_PHONE, _TIME):
        for match in list(pattern.finditer(body.masked)):
            body.take(*match.span())
    dates = _regex_dates(body, ctx)
    if not dates and _month_near_day(language).search(body.masked):
        dates = _dateparser_dates(body, ctx, zone)
    amounts = _amounts(body, language)
    references += _generic_references(body)
    references.sort()
    amounts.sort()
    return Entities(
        dates=tuple(sorted({d for d in dates if d >= today})),
        amounts=tuple(dict.fromkeys(value for _, value in amounts)),
        numbers=tuple(dict.fromkeys(value for _, value in references)),
    )


def warm_up() -> None:
    """Loads dateparser's data for the four languages (about 0.2 s each on first use) so that the first
    message that needs it does not pay for it."""
    ctx_day = date(2000, 1, 3)
    for language in LANGUAGES:
        _patterns(language)
        _number_locales(language)
        body = _Text("15 xx 2 semanas")
        _dateparser_dates(body, _Context(ctx_day, False, language), "UTC")


# ------------------------------------------------------------------------------------- birth dates

_BIRTH_CENTURY_PIVOT = 25  # a two-digit year up to 25 is 20xx, from 26 on 19xx ("85" = 1985, "05" = 2005)


def _birth_year(text: str) -> int:
    value = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 4:
        return value
    return 2000 + value if value <= _BIRTH_CENTURY_PIVOT else 1900 + value


@cache
def _birth_patterns(language: str) -> tuple[re.Pattern[str], ...]:
    months = _alternation([*_MONTHS, *_MONTH_ABBREVIATIONS[language]])
    return (
        re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[\-/.](?P<m>\d{1,2})[\-/.](?P<d>\d{1,2})(?!\d)"),
        re.compile(
            r"(?<![\d.,])(?P<a>\d{1,2})(?P<sep>[/.\- ]+)(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?!\d)"
        ),
        re.compile(
            rf"(?<![\d.,])(?P<d>\d{{1,2}}|primero|primeiro|primo|first){_DAY_SUFFIX}\s*(?:(?:de|of|di)\s+)?"
            rf"(?P<m>{months})\b\.?\s*,?\s*(?:(?:de|del|of)\s+)?(?P<y>(?:19|20)\d{{2}}|'?\d{{2}})(?!\d)"
        ),
        re.compile(
            rf"\b(?P<m>{months})\b\.?\s+(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(?:(?:de|del|of)\s+)?"
            r"(?P<y>(?:19|20)\d{2}|'?\d{2})(?!\d)"
        ),
    )


def parse_birth_date(text: str, language: str) -> date | None:
    """A date of birth as a debtor types it, or None: "1985-03-15", "15/03/1985", "15-3-85", "15.03.1985",
    "15 de marzo de 1985", "15 marzo 1985", "March 15, 1985", "15th March 1985".

    Numeric dates are day-first in es, pt and it and month-first (US style) in en; in every language a date
    that is valid only the other way round is read that way ("03/15/1985" is 15 March in Spanish too, and
    "15/03/1985" in English). So in English the day comes first exactly when the first number is over 12.
    A two-digit year up to 25 is 20xx, from 26 on 19xx; years before 1900 are refused. The rule does not
    look at the clock: whether the date is plausible (not in the future, an adult's) is the caller's call."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    folded = _fold(unicodedata.normalize("NFC", text))
    iso, numeric, day_first, month_first = _birth_patterns(language)
    if match := iso.search(folded):
        return _valid(int(match["y"]), int(match["m"]), int(match["d"]))
    if match := numeric.search(folded):
        pair = _day_and_month(int(match["a"]), int(match["b"]), language == "en")
        year = _birth_year(match["y"])
        return _valid(year, pair[1], pair[0]) if pair and year >= 1900 else None
    for pattern in (day_first, month_first):
        if match := pattern.search(folded):
            year = _birth_year(match["y"])
            day = _day_number(match["d"])
            return _valid(year, _month_of(match["m"], language), day) if year >= 1900 else None
    return None
