"""Payment references: 12 random digits and two ISO 7064 mod 97-10 check digits, grouped by four."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobro.app.payment_references import (
    IssuedReference,
    format_reference,
    is_valid_reference,
    new_reference,
    normalize_reference,
)
from cobro.app.record_payments import allocate
from cobro.domain.errors import InvalidInput
from cobro.domain.money import Money

references = st.integers(min_value=0, max_value=2**64).map(lambda seed: new_reference(random.Random(seed)))


@given(references)
def test_a_new_reference_is_fourteen_digits_and_valid(reference):
    assert len(reference) == 14
    assert reference.isdigit()
    assert reference[0] != "0"
    assert is_valid_reference(reference)


@given(references, st.integers(min_value=0, max_value=13), st.integers(min_value=1, max_value=9))
def test_every_single_mistyped_digit_is_caught(reference, position, shift):
    wrong = str((int(reference[position]) + shift) % 10)
    typo = reference[:position] + wrong + reference[position + 1 :]
    assert typo != reference
    assert not is_valid_reference(typo)


@given(references, st.integers(min_value=0, max_value=12))
def test_every_swap_of_two_neighbouring_digits_is_caught(reference, position):
    a, b = reference[position], reference[position + 1]
    swapped = reference[:position] + b + a + reference[position + 2 :]
    if a != b:
        assert not is_valid_reference(swapped)
    else:
        assert swapped == reference


def test_every_single_error_and_swap_of_one_reference_exhaustively():
    reference = new_reference(random.Random(37))
    for position in range(14):
        for digit in "0123456789":
            changed = reference[:position] + digit + reference[position + 1 :]
            assert is_valid_reference(changed) == (changed == reference)
    for position in range(13):
        swapped = (
            reference[:position] + reference[position + 1] + reference[position] + reference[position + 2 :]
        )
        assert is_valid_reference(swapped) == (swapped == reference)


def test_the_same_seed_gives_the_same_reference():
    assert new_reference(random.Random(5)) == new_reference(random.Random(5))
    assert new_reference(random.Random(5)) != new_reference(random.Random(6))


def test_spaces_and_dashes_are_accepted_and_grouping_is_by_four():
    reference = new_reference(random.Random(1))
    grouped = format_reference(reference)
    assert grouped == " ".join([reference[0:4], reference[4:8], reference[8:12], reference[12:14]])
    assert is_valid_reference(grouped)
    assert is_valid_reference(grouped.replace(" ", "-"))
    assert is_valid_reference(f" {reference[:7]} - {reference[7:]}\t")
    assert normalize_reference(grouped) == reference
    assert format_reference(grouped.replace(" ", "-")) == grouped


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1234",
        "4821093755120",  # 13 digits
        "482109375512360",  # 15 digits
        "0" + "4821093755123",  # 14 digits, but never issued with a leading 0
        "4821O937551206",  # a letter O
        "٤٨٢١٠٩٣٧٥٥١٢٠٦",  # Arabic-Indic digits: digits, but not ones a shop counter types
        "4821.0937.5512.06",
    ],
)
def test_anything_else_is_not_a_reference(text):
    assert not is_valid_reference(text)


def test_formatting_refuses_what_is_not_a_reference_without_echoing_it():
    with pytest.raises(InvalidInput) as caught:
        format_reference("555 1234 secret")
    assert "555" not in str(caught.value)


def test_the_link_is_the_public_url_and_the_reference():
    issued = IssuedReference(
        id=1,
        reference="48210937551236",
        amount=Money(Decimal("10.00"), "EUR"),
        valid_until=datetime(2026, 12, 1, tzinfo=UTC),
        creditor_id=1,
        account_id=2,
        purpose="balance",
    )
    assert issued.link("https://cobro.example") == "https://cobro.example/pay/48210937551236"
    assert issued.link("https://cobro.example/") == "https://cobro.example/pay/48210937551236"


@pytest.mark.parametrize(
    ("amount", "owed", "taken"),
    [
        (3000, [10000, 5000], [3000, 0]),
        (12000, [10000, 5000], [10000, 2000]),
        (20000, [10000, 5000], [10000, 5000]),
        (500, [], []),
        (500, [0, 800], [0, 500]),
    ],
)
def test_allocation_pays_the_oldest_debt_first_and_never_more_than_owed(amount, owed, taken):
    assert allocate(amount, owed) == taken
