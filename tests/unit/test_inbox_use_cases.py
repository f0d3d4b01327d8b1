"""The agent inbox's pure pieces: the reply's idempotency key, the checks on a reply, the transcript summary
and the follow-up template's content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cobro.app.inbox import (
    FOLLOWUP_TEMPLATE,
    check_agent,
    check_text,
    followup_content,
    reply_key,
    summary,
)
from cobro.app.inbox_ports import AgentReply, TranscriptMessage
from cobro.domain.contact import MessageKind
from cobro.domain.conversation.ledger import DebtorCard
from cobro.domain.conversation.state import Conversation
from cobro.domain.errors import InvalidInput
from cobro.domain.template_catalogue import ParameterKind, TemplateEntry

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _stored(key: str) -> AgentReply:
    return AgentReply(outbox_id=1, idempotency_key=key, state="planned", template=None, created_at=AT)


def test_the_same_text_right_after_is_the_same_reply_and_anything_else_a_new_one():
    first = reply_key(7, "hola", [])
    assert first.startswith("agent:7:1:")
    assert reply_key(7, "hola", []) == first  # deterministic
    replies = [_stored(first)]
    assert reply_key(7, "hola", replies) == first  # a retried command: the same key, nothing queued twice
    second = reply_key(7, "¿sigues ahí?", replies)
    assert second.startswith("agent:7:2:")
    assert second != first
    replies.append(_stored(second))
    assert reply_key(7, "¿sigues ahí?", replies) == second
    third = reply_key(7, "hola", replies)  # the first words again, after another answer: a new reply
    assert third.startswith("agent:7:3:")
    assert third.split(":")[3] == first.split(":")[3]
    assert reply_key(8, "hola", []) != first  # keys never cross items
    assert reply_key(7, "hola", replies, key="again-1") == "agent:7:key:again-1"


def test_checks_on_the_text_and_the_agent():
    assert check_text("  hola \n") == "hola"
    assert check_text("x" * 4096) == "x" * 4096
    with pytest.raises(InvalidInput, match="empty"):
        check_text(" \n\t ")
    with pytest.raises(InvalidInput, match="4097 characters"):
        check_text("x" * 4097)
    assert check_agent(" ana ") == "ana"
    for bad in ("", "   ", "a" * 65, "ana\nbob"):
        with pytest.raises(InvalidInput, match="--agent"):
            check_agent(bad)


@pytest.mark.parametrize(
    ("direction", "type_", "content", "expected"),
    [
        ("in", "text", {"text": "hola"}, "hola"),
        ("in", "interactive", {"reply_id": "MENU:PAY_NOW", "reply_title": "Pagar"}, "[tapped] Pagar"),
        ("in", "button", {"text": "Pagar ahora", "payload": "PAY_NOW"}, "[tapped] Pagar ahora"),
        ("in", "image", {"media_id": "m1", "caption": "recibo"}, "[image] recibo"),
        ("in", "reaction", {"reaction_emoji": "👍", "reacted_wamid": "w"}, "[reaction] 👍"),
        ("in", "sticker", {}, "[sticker]"),
        ("out", "text", {"type": "text", "text": "Hola"}, "Hola"),
        (
            "out",
            "interactive",
            {
                "type": "buttons",
                "text": "¿Qué hacemos?",
                "buttons": [{"id": "a", "title": "Sí"}, {"id": "b", "title": "No"}],
            },
            "¿Qué hacemos? [Sí | No]",
        ),
        (
            "out",
            "interactive",
            {"type": "list", "text": "Elige", "button": "Ver", "rows": [{"id": "x", "title": "Saldo"}]},
            "Elige [Saldo]",
        ),
        (
            "out",
            "template",
            {"template": "cobro_overdue_notice", "language": "es", "parameters": ["María", "120,50 €"]},
            "[template cobro_overdue_notice (es)]",
        ),
        ("out", "unknown", {}, "[sent; only its status is known]"),
    ],
)
def test_summary_says_what_each_message_said(direction, type_, content, expected):
    message = TranscriptMessage("w", direction, AT, type_, content)
    assert summary(message) == expected


def test_the_template_never_shows_parameters_of_an_outbound_template():
    message = TranscriptMessage(
        "w", "out", AT, "template", {"template": "t", "language": "es", "parameters": ["120 €"]}
    )
    assert "120" not in summary(message)


_FOLLOWUP = TemplateEntry(
    name=FOLLOWUP_TEMPLATE,
    language="pt_BR",
    category="UTILITY",
    kind=MessageKind.SERVICE_REPLY,
    body="Olá {{1}}, uma pessoa da {{2}} respondeu. Escreva para continuar.",
    parameters=(ParameterKind.DEBTOR_NAME, ParameterKind.CREDITOR_NAME),
    examples=("Ana", "Acme"),
)
_DEBTOR = DebtorCard(
    id=3,
    creditor_id=1,
    creditor_name="Acme   Brasil",
    name="Ana Souza",
    phone="+5511987654321",
    language="pt",
    country="BR",
    time_zone="America/Sao_Paulo",
)


def test_followup_content_in_the_conversation_language_from_the_ledger():
    conversation = Conversation(
        id=1, phone_number_id="p", contact="5511987654321", wa_id="5511987654321", user_id=None
    )
    content = followup_content([_FOLLOWUP], conversation, _DEBTOR)
    assert content == {
        "type": "template",
        "template": FOLLOWUP_TEMPLATE,
        "language": "pt_BR",
        "parameters": [
            {"kind": "debtor_name", "text": "Ana Souza", "currency_code": None, "amount_1000": None},
            {"kind": "creditor_name", "text": "Acme Brasil", "currency_code": None, "amount_1000": None},
        ],
    }
    spanish = Conversation(id=1, phone_number_id="p", contact="x", wa_id="x", user_id=None, language="es")
    assert (
        followup_content([_FOLLOWUP], spanish, _DEBTOR)["language"] == "pt_BR"
    )  # the debtor's, as a fallback
    with pytest.raises(InvalidInput, match=f"no {FOLLOWUP_TEMPLATE} in es or pt_BR"):
        followup_content([], spanish, _DEBTOR)
