"""Yes and no in four languages, and the buttons' own answers."""

from __future__ import annotations

import pytest

from cobro.domain.conversation.answers import yes_or_no
from cobro.domain.conversation.intents import Intent, intent_of_payload


@pytest.mark.parametrize(
    "text", ["sí", "Si, confirmo", "dale", "yes please", "Sim", "ok", "va bene", "Sì", "confermo"]
)
def test_yes(text: str) -> None:
    assert yes_or_no(text) is True


@pytest.mark.parametrize("text", ["no", "No, mejor otra", "nope", "não", "cambia", "no grazie"])
def test_no(text: str) -> None:
    assert yes_or_no(text) is False


@pytest.mark.parametrize("text", ["el viernes", "cuánto debo", "", None])
def test_neither(text: str | None) -> None:
    assert yes_or_no(text) is None


def test_buttons_answer_without_reading_text() -> None:
    assert yes_or_no(None, "CONFIRM") is True
    assert yes_or_no("sí", "CHANGE") is False


def test_menu_taps_map_to_intents_without_classification() -> None:
    assert intent_of_payload("PAY_NOW") is Intent.PAY_NOW
    assert intent_of_payload("MENU:CHECK_BALANCE") is Intent.CHECK_BALANCE
    assert intent_of_payload(" opt_out ") is Intent.OPT_OUT
    assert intent_of_payload("PLAN:3") is None
    assert intent_of_payload(None) is None
