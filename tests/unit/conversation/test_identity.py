"""Identity before disclosure: account shapes and second factors compared deterministically."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobro.domain.conversation.identity import (
    HolderFacts,
    SecondFactor,
    account_shape_ok,
    normalise_name,
    normalise_reference,
    second_factor_matches,
)

FACTS = HolderFacts("María José López-Núñez", date(1985, 3, 15), "CURP-LOPM850315MDFXXX09")


@pytest.mark.parametrize(
    "answer",
    [
        "María José López-Núñez",
        "maria jose lopez nunez",
        "  MARIA   JOSE LOPEZ NUÑEZ ",
        "lopez nunez maria jose",
    ],
)
def test_a_name_matches_whatever_its_accents_case_spacing_and_word_order(answer: str) -> None:
    assert second_factor_matches(SecondFactor.NAME, answer, FACTS)


@pytest.mark.parametrize("answer", ["Maria Lopez", "María José López", "Mario Jose Lopez Nunez", "", "???"])
def test_a_near_miss_name_is_a_failure(answer: str) -> None:
    assert not second_factor_matches(SecondFactor.NAME, answer, FACTS)


def test_a_birth_date_must_be_the_same_day() -> None:
    assert second_factor_matches(SecondFactor.BIRTH_DATE, "15/03/1985", FACTS, birth_date=date(1985, 3, 15))
    assert not second_factor_matches(
        SecondFactor.BIRTH_DATE, "16/03/1985", FACTS, birth_date=date(1985, 3, 16)
    )
    assert not second_factor_matches(SecondFactor.BIRTH_DATE, "no sé", FACTS, birth_date=None)
    unknown = HolderFacts("A B", None, None)
    assert not second_factor_matches(SecondFactor.BIRTH_DATE, "15/03/1985", unknown, birth_date=None)


def test_the_last_digits_of_the_national_id_must_be_exactly_those_digits() -> None:
    assert (
        second_factor_matches(SecondFactor.NATIONAL_ID, "termina en 0 9... 8 5 0 9", FACTS, digits=4) is False
    )
    assert second_factor_matches(SecondFactor.NATIONAL_ID, "5009", FACTS, digits=4) is False
    facts = HolderFacts("A B", None, "12.345.678-9")
    assert second_factor_matches(SecondFactor.NATIONAL_ID, "6789", facts, digits=4)
    assert second_factor_matches(SecondFactor.NATIONAL_ID, "son 6 7 8 9", facts, digits=4)
    assert not second_factor_matches(SecondFactor.NATIONAL_ID, "56789", facts, digits=4)
    assert not second_factor_matches(SecondFactor.NATIONAL_ID, "789", facts, digits=4)


def test_account_numbers_compare_as_letters_and_digits() -> None:
    assert normalise_reference("acme-0001 ") == normalise_reference("ACME 0001") == "ACME0001"
    assert account_shape_ok("A0000123-1", r"[A-Z0-9]{5,30}")
    assert not account_shape_ok("hola", r"[A-Z0-9]{5,30}")
    assert not account_shape_ok("12", r"[A-Z0-9]{5,30}")


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Zs")), min_size=1, max_size=40))
def test_normalising_a_name_is_idempotent_and_ignores_case(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert normalise_name(name.upper()) == normalise_name(name.lower()) or "ß" in name.lower() or "ı" in name
