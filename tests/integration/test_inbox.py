"""`cobro inbox` on SQLite and PostgreSQL: a hand-off listed, shown, claimed, answered through the outbox
(text in the 24-hour window, the follow-up template outside it) and resolved, with its audit events."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import func, insert, select, update
from typer.testing import CliRunner

from cobro.adapters.db.tables import (
    audit_events,
    conversations,
    debtors,
    inbox_items,
    outbox,
    whatsapp_messages,
)
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from cobro.app.inbox import FOLLOWUP_TEMPLATE, InboxConflict, reply_to_item
from cobro.app.ports import OutgoingReply, OutgoingTemplate
from cobro.app.send_outbox import SendPolicy, catalogue_index, recheck_prepared
from cobro.domain.errors import InvalidInput, NotFound
from cobro.domain.template_catalogue import TemplateEntry, find_entry, load_catalogue
from cobro.entrypoints.cli import app as root_app
from cobro.entrypoints.cli import inbox as inbox_cli
from cobro.entrypoints.planning import shared_gate
from tests.factories import account_row

PNID = "1029384756"  # the business number
WA_ID = "34612345001"  # the debtor of account_row(1), as WhatsApp writes the number
TEXT = "Hola María, soy Ana. Ya vi tu mensaje: ¿te va bien pagar el viernes?"


@dataclass
class Case:
    creditor_id: int
    debtor_id: int
    account_id: int


@pytest.fixture
def case(uow_factory, clock, engine) -> Case:
    """One Spanish debtor of creditor acme (consent on record, right party confirmed) and one of beta."""
    for slug in ("acme", "beta"):
        add_creditor(uow_factory, clock, slug=slug, name=slug.title(), country="ES", currency="EUR")
    n = {"acme": 1, "beta": 2}
    for slug in ("acme", "beta"):
        outcome = import_accounts(
            uow_factory,
            clock,
            [(2, account_row(n[slug], due_date="2026-11-10"))],
            creditor_slug=slug,
            source_name="t.csv",
            actor="t",
        )
        assert outcome.ok, outcome.problems
    with engine.begin() as connection:
        connection.execute(update(debtors).values(right_party_confirmed_at=clock.now() - timedelta(days=30)))
        row = connection.execute(
            select(debtors.c.id, debtors.c.creditor_id).where(debtors.c.phone == "+" + WA_ID)
        ).one()
        from cobro.adapters.db.tables import accounts

        account_id = connection.execute(
            select(accounts.c.id).where(accounts.c.debtor_id == row.id)
        ).scalar_one()
    return Case(row.creditor_id, row.id, account_id)


def _handed_over(
    engine,
    uow_factory,
    clock,
    case: Case | None,
    *,
    wrote_hours_ago: float = 2,
    wa_id: str = WA_ID,
    flow: str = "handed_over",
    reason: str = "talk_to_agent",
) -> tuple[int, int]:
    """A conversation the bot handed over (the person wrote `wrote_hours_ago`, the bot answered), with its
    messages, a message of someone else, and the inbox item; returns (conversation id, item id)."""
    now = clock.now()
    wrote = now - timedelta(hours=wrote_hours_ago)
    with engine.begin() as connection:
        conversation_id = connection.execute(
            insert(conversations)
            .values(
                phone_number_id=PNID,
                contact=wa_id,
                wa_id=wa_id,
                language="es",
                creditor_id=case.creditor_id if case else None,
                debtor_id=case.debtor_id if case else None,
                verified_debtor_id=case.debtor_id if case else None,
                verified_account_id=case.account_id if case else None,
                verified_until=now + timedelta(minutes=30) if case else None,
                flow=flow,
                step="none",
                slots={"reason": reason},
                last_inbound_at=wrote,
                created_at=wrote,
                updated_at=wrote,
            )
            .returning(conversations.c.id)
        ).scalar_one()
        linked = {"debtor_id": case.debtor_id, "creditor_id": case.creditor_id} if case else {}
        messages = [
            (
                "in",
                wa_id,
                PNID,
                "text",
                {"text": "Quiero hablar con una persona"},
                wrote - timedelta(minutes=1),
            ),
            (
                "in",
                wa_id,
                PNID,
                "interactive",
                {"reply_id": "MENU:TALK", "reply_title": "Hablar con alguien"},
                wrote,
            ),
            (
                "out",
                wa_id,
                PNID,
                "text",
                {"type": "text", "text": "Te paso con una persona."},
                wrote + timedelta(seconds=2),
            ),
            ("in", "5215500000000", PNID, "text", {"text": "otra persona"}, wrote),  # someone else
            (
                "in",
                wa_id,
                "999",
                "text",
                {"text": "otro número de empresa"},
                wrote,
            ),  # another business number
        ]
        for i, (direction, who, number, type_, content, at) in enumerate(messages):
            connection.execute(
                insert(whatsapp_messages).values(
                    wamid=f"wamid.{conversation_id}.{i}",
                    direction=direction,
                    phone_number_id=number,
                    wa_id=who,
                    type=type_,
                    content=content,
                    occurred_at=at,
                    status="read" if direction == "out" else None,
                    created_at=at,
                    **(linked if who == wa_id else {}),
                )
            )
    with uow_factory() as uow:
        item_id, new = uow.inbox.open(
            conversation_id=conversation_id,
            creditor_id=case.creditor_id if case else None,
            debtor_id=case.debtor_id if case else None,
            account_id=case.account_id if case else None,
            reason=reason,
            detail="asked for a person from the menu",
            now=now - timedelta(hours=1),
        )
        uow.commit()
    assert new
    return conversation_id, item_id


@pytest.fixture
def catalogue() -> tuple[TemplateEntry, ...]:
    """The packaged catalogue, with the follow-up template in the debtor's language."""
    entries = load_catalogue()
    assert find_entry(entries, FOLLOWUP_TEMPLATE, "es") is not None
    return entries


@pytest.fixture
def cli(uow_factory, clock, monkeypatch, catalogue):
    """`cobro inbox ...` through the root app, on the test database, at the fixed clock (the container the
    commands build is the test's unit of work factory; the commands read the packaged catalogue)."""
    monkeypatch.setattr(inbox_cli, "out", Console(highlight=False, soft_wrap=True, width=200))
    monkeypatch.setattr(
        inbox_cli,
        "container",
        lambda: SimpleNamespace(uow_factory=uow_factory, clock=clock, close=lambda: None),
    )
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Any:
        return runner.invoke(root_app, ["inbox", *args], input=input)

    return run


def _rows(engine, table, *where) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(table).where(*where).order_by(table.c.id)))


def _events(engine, kind: str) -> list[Any]:
    return _rows(engine, audit_events, audit_events.c.kind == kind)


def _policy(catalogue) -> SendPolicy:
    return SendPolicy(gate=shared_gate(), catalogue=catalogue_index(catalogue), default_phone_number_id=PNID)


def _recheck(uow_factory, clock, outbox_id: int, catalogue) -> Any:
    """What the send pipeline makes of the row at claim time."""
    now = clock.now()
    with uow_factory() as uow:
        uow.connection.execute(update(outbox).where(outbox.c.id == outbox_id).values(state="queued"))
        [item] = uow.outbox.claim([outbox_id], "test-worker", now, now + timedelta(minutes=2))
        recipients = uow.send_context.recipients({item.debtor_id}, now - timedelta(days=35))
        return recheck_prepared(item, recipients.get(item.debtor_id), now, _policy(catalogue), PNID)


# --- list and show ---------------------------------------------------------------------------------------


def test_list_shows_items_with_the_debtor_masked_and_filters(cli, case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case)
    _, stranger = _handed_over(engine, uow_factory, clock, None, wa_id="5215511112222", reason="unverified")

    listed = cli("list")
    assert listed.exit_code == 0, listed.output
    assert "talk_to_agent" in listed.stdout
    assert "unverified" in listed.stdout
    assert "M•••• L•••• 1" in listed.stdout
    assert "María López" not in listed.stdout
    assert "ACC-1" in listed.stdout
    assert "acme" in listed.stdout
    assert "1h 0m" in listed.stdout  # opened an hour before the clock

    rows = json.loads(cli("list", "--json").stdout)
    assert [r["id"] for r in rows] == [item_id, stranger]
    first = rows[0]
    assert (first["status"], first["reason"], first["creditor"], first["account"]) == (
        "open",
        "talk_to_agent",
        "acme",
        "ACC-1",
    )
    assert first["debtor"] == "M•••• L•••• 1"
    assert first["age_seconds"] == 3600
    assert rows[1]["debtor"] == "+52•••••••••22"
    assert rows[1]["creditor"] is None

    only_acme = json.loads(cli("list", "--creditor", "acme", "--json").stdout)
    assert [r["id"] for r in only_acme] == [item_id]
    assert json.loads(cli("list", "--creditor", "beta", "--json").stdout) == []
    assert json.loads(cli("list", "--status", "claimed", "--json").stdout) == []
    assert "no inbox items (resolved)" in cli("list", "--status", "resolved").stdout
    unknown = cli("list", "--creditor", "nobody")
    assert unknown.exit_code == 1
    assert isinstance(unknown.exception, NotFound)
    bad = cli("list", "--status", "pending")
    assert bad.exit_code == 1
    assert "--status must be one of" in str(bad.exception)


def test_show_gives_the_state_and_the_transcript_of_that_contact_on_that_number(
    cli, case, engine, uow_factory, clock
):
    conversation_id, item_id = _handed_over(engine, uow_factory, clock, case)
    shown = cli("show", str(item_id))
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert f"inbox item {item_id}: open" in out
    assert "reason        talk_to_agent" in out
    assert "María López 1, +34612345001" in out  # an agent sees who it is
    assert "account       ACC-1, outstanding 120.50 EUR" in out
    assert f"conversation  {conversation_id}: flow handed_over, step none, language es, verified" in out
    assert "window        open until 2026-11-24 10:00 UTC: a reply goes as text" in out
    assert "messages      3, oldest first" in out
    lines = out.splitlines()
    said = [i for i, line in enumerate(lines) if "Quiero hablar" in line or "Hablar con alguien" in line]
    answer = next(i for i, line in enumerate(lines) if "Te paso con una persona." in line)
    assert said == sorted(said)
    assert said[-1] < answer
    assert "[tapped] Hablar con alguien" in out
    assert "(read)" in lines[answer]
    assert "otra persona" not in out
    assert "otro número" not in out

    document = json.loads(cli("show", str(item_id), "--json").stdout)
    assert document["item"]["status"] == "open"
    assert document["conversation"]["verified"] is True
    assert document["conversation"]["window_open"] is True
    assert [m["direction"] for m in document["transcript"]] == ["in", "in", "out"]
    assert document["transcript"][0]["text"] == "Quiero hablar con una persona"
    assert document["account"]["outstanding_minor"] == 12050

    assert len(json.loads(cli("show", str(item_id), "--limit", "1", "--json").stdout)["transcript"]) == 1
    missing = cli("show", "999")
    assert missing.exit_code == 1
    assert str(missing.exception) == "no inbox item 999"


# --- claim -----------------------------------------------------------------------------------------------


def test_claim_conflicts_and_take_over(cli, case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case)
    first = cli("claim", str(item_id), "--agent", "ana")
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == f"inbox item {item_id} claimed by ana"
    [row] = _rows(engine, inbox_items, inbox_items.c.id == item_id)
    assert (row.status, row.claimed_by, row.claimed_at) == ("claimed", "ana", clock.now())

    again = cli("claim", str(item_id), "--agent", "ana")
    assert "already claimed by you" in again.stdout

    taken = cli("claim", str(item_id), "--agent", "bob")
    assert taken.exit_code == 1
    assert isinstance(taken.exception, InboxConflict)
    assert "claimed by ana" in str(taken.exception)
    assert "--force" in str(taken.exception)
    assert _rows(engine, inbox_items, inbox_items.c.id == item_id)[0].claimed_by == "ana"

    forced = cli("claim", str(item_id), "--agent", "bob", "--force")
    assert forced.stdout.strip() == f"inbox item {item_id} taken over from ana by bob"
    assert _rows(engine, inbox_items, inbox_items.c.id == item_id)[0].claimed_by == "bob"

    events = _events(engine, "handoff.claimed")
    assert [(e.actor, e.data) for e in events] == [
        ("ana", {"inbox_item": item_id, "conversation_id": row.conversation_id}),
        ("bob", {"inbox_item": item_id, "conversation_id": row.conversation_id, "taken_over_from": "ana"}),
    ]
    assert (events[0].debtor_id, events[0].account_id, events[0].creditor_id) == (
        case.debtor_id,
        case.account_id,
        case.creditor_id,
    )
    assert cli("claim", "999", "--agent", "ana").exit_code == 1


def test_an_error_is_one_line_and_exit_1_from_the_real_command(cobro, case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case)
    assert cobro("inbox", "claim", str(item_id), "--agent", "ana").returncode == 0
    result = cobro("inbox", "claim", str(item_id), "--agent", "bob")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert re.fullmatch(
        f"error: inbox item {item_id} is claimed by ana since [0-9-]+ [0-9:]+ UTC; take it over with --force",
        line,
    )
    missing = cobro("inbox", "show", "424242")
    assert (missing.returncode, missing.stderr.strip()) == (1, "error: no inbox item 424242")


# --- reply -----------------------------------------------------------------------------------------------


def test_reply_inside_the_window_queues_the_text_once(cli, case, engine, uow_factory, clock, catalogue):
    conversation_id, item_id = _handed_over(engine, uow_factory, clock, case, wrote_hours_ago=2)
    result = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert result.exit_code == 0, result.output
    assert f"inbox item {item_id} claimed by ana; text queued as outbox row" in result.stdout
    assert "inside the 24-hour window (open until 2026-11-24 10:00 UTC)" in result.stdout
    [row] = _rows(engine, outbox)
    assert row.idempotency_key.startswith(f"agent:{item_id}:1:")
    assert (row.kind, row.state, row.template, row.to_address, row.phone_number_id) == (
        "service_reply",
        "planned",
        None,
        WA_ID,
        PNID,
    )
    assert (row.conversation_id, row.debtor_id, row.creditor_id, row.account_id) == (
        conversation_id,
        case.debtor_id,
        case.creditor_id,
        case.account_id,
    )
    assert row.due_at == clock.now()
    assert row.payload["type"] == "text"
    assert row.payload["text"] == TEXT
    wrote = clock.now() - timedelta(hours=2)
    assert datetime.fromisoformat(row.payload["window_until"]) == wrote + timedelta(hours=24)
    assert _rows(engine, inbox_items)[0].status == "claimed"

    repeated = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert repeated.exit_code == 0, repeated.output
    assert f"already queued: outbox row {row.id}" in repeated.stdout
    assert len(_rows(engine, outbox)) == 1

    [event] = _events(engine, "handoff.replied")
    assert event.actor == "ana"
    assert event.data == {
        "inbox_item": item_id,
        "conversation_id": conversation_id,
        "outbox_id": row.id,
        "mode": "text",
        "length": len(TEXT),
    }
    assert TEXT not in json.dumps(event.data)
    assert "María" not in json.dumps(event.data)
    assert len(_events(engine, "handoff.claimed")) == 1  # the reply claimed the open item

    second = cli("reply", str(item_id), "--agent", "ana", "--text", "¿Sigues ahí?")
    assert second.exit_code == 0, second.output
    keys = [r.idempotency_key for r in _rows(engine, outbox)]
    assert keys[1].startswith(f"agent:{item_id}:2:")
    explicit = cli("reply", str(item_id), "--agent", "ana", "--text", "¿Sigues ahí?", "--key", "again-1")
    assert explicit.exit_code == 0, explicit.output
    assert _rows(engine, outbox)[-1].idempotency_key == f"agent:{item_id}:key:again-1"
    assert len(_rows(engine, outbox)) == 3
    assert len(_events(engine, "handoff.replied")) == 3

    # The send pipeline takes it as it is: a text to the person who wrote, inside the window.
    checked = _recheck(uow_factory, clock, row.id, catalogue)
    assert isinstance(checked, OutgoingReply)
    assert (checked.to, checked.content) == (WA_ID, {"type": "text", "text": TEXT})


def test_reply_outside_the_window_queues_the_followup_template(
    cli, case, engine, uow_factory, clock, catalogue
):
    _, item_id = _handed_over(engine, uow_factory, clock, case, wrote_hours_ago=30)
    assert cli("claim", str(item_id), "--agent", "ana").exit_code == 0
    result = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert result.exit_code == 0, result.output
    assert "the 24-hour window closed at 2026-11-23 06:00 UTC" in result.stdout
    assert f"template {FOLLOWUP_TEMPLATE} (es) queued as outbox row" in result.stdout
    assert "your text was NOT sent" in result.stdout
    [row] = _rows(engine, outbox)
    assert (row.kind, row.state, row.template, row.language, row.to_address) == (
        "service_reply",
        "planned",
        FOLLOWUP_TEMPLATE,
        "es",
        WA_ID,
    )
    assert row.payload["type"] == "template"
    assert [(p["kind"], p["text"]) for p in row.payload["parameters"]] == [
        ("debtor_name", "María López 1"),
        ("creditor_name", "Acme"),
    ]
    assert "window_until" not in row.payload
    assert TEXT not in json.dumps(row.payload)
    [event] = _events(engine, "handoff.replied")
    assert event.data["mode"] == "template"
    assert event.data["template"] == FOLLOWUP_TEMPLATE

    checked = _recheck(uow_factory, clock, row.id, catalogue)
    assert isinstance(checked, OutgoingTemplate)
    assert checked.entry.name == FOLLOWUP_TEMPLATE
    assert checked.to == WA_ID
    assert [p.text for p in checked.parameters] == ["María López 1", "Acme"]


def test_the_window_counts_from_the_last_stored_message_in_too(cli, case, engine, uow_factory, clock):
    _conversation_id, item_id = _handed_over(engine, uow_factory, clock, case, wrote_hours_ago=30)
    with engine.begin() as connection:  # the person wrote again an hour ago; the conversation row lags
        connection.execute(
            insert(whatsapp_messages).values(
                wamid="wamid.late",
                direction="in",
                phone_number_id=PNID,
                wa_id=WA_ID,
                type="text",
                content={"text": "¿Hola?"},
                occurred_at=clock.now() - timedelta(hours=1),
                created_at=clock.now(),
            )
        )
    result = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert result.exit_code == 0, result.output
    assert "open until 2026-11-24 11:00 UTC" in result.stdout
    assert _rows(engine, outbox)[0].payload["type"] == "text"


def test_reply_close_to_the_end_of_the_window_takes_the_template(cli, case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case, wrote_hours_ago=24 - 2 / 60)  # 2 min left
    result = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert result.exit_code == 0, result.output
    assert _rows(engine, outbox)[0].template == FOLLOWUP_TEMPLATE


def test_reply_refusals(cli, case, engine, uow_factory, clock, catalogue):
    _, item_id = _handed_over(engine, uow_factory, clock, case)

    def refused(*args: str, input: str | None = None) -> str:
        result = cli("reply", str(item_id), *args, input=input)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, InvalidInput)
        return str(result.exception)

    assert refused("--agent", "ana", "--text", "   ") == "the reply text is empty"
    assert "4097 characters" in refused("--agent", "ana", "--text", "x" * 4097)
    assert "at most 4096" in refused("--agent", "ana", "--text", "x" * 4097)
    assert "--agent must be" in refused("--agent", " ", "--text", TEXT)
    blocked = refused("--agent", "ana", "--text", "Si no paga, llamaremos a la policía.")
    assert "wording linter refuses" in blocked
    assert "policía" in blocked
    assert _rows(engine, outbox) == []
    assert _rows(engine, inbox_items)[0].status == "open"  # a refused reply claims nothing

    ok = cli("reply", str(item_id), "--agent", "ana", "--text", "-", input="x" * 4096 + "\n")
    assert ok.exit_code == 0, ok.output  # stdin, exactly 4,096 characters once trimmed
    assert len(_rows(engine, outbox)[0].payload["text"]) == 4096
    assert "claimed by ana; only they may reply" in refused("--agent", "bob", "--text", TEXT)
    assert cli("resolve", str(item_id), "--agent", "ana", "--note", "done").exit_code == 0
    assert "resolved at" in refused("--agent", "ana", "--text", TEXT)
    assert len(_rows(engine, outbox)) == 1
    assert cli("reply", "999", "--agent", "ana", "--text", TEXT).exit_code == 1


def test_reply_to_a_contact_with_no_debtor_needs_no_debt_and_the_window(cli, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, None, wa_id="5215511112222", reason="unverified")
    refused = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert refused.exit_code == 1
    assert "--no-debt" in str(refused.exception)
    ok = cli("reply", str(item_id), "--agent", "ana", "--text", "Hola, ¿en qué te ayudo?", "--no-debt")
    assert ok.exit_code == 0, ok.output
    [row] = _rows(engine, outbox)
    assert (row.debtor_id, row.creditor_id, row.to_address) == (None, None, "5215511112222")
    assert row.payload["mentions_debt"] is False

    _, late = _handed_over(engine, uow_factory, clock, None, wa_id="5215533334444", wrote_hours_ago=30)
    closed = cli("reply", str(late), "--agent", "ana", "--text", "Hola", "--no-debt")
    assert closed.exit_code == 1
    assert "no debtor is known" in str(closed.exception)


def test_a_silenced_conversation_takes_no_reply_and_stays_silenced(cli, case, engine, uow_factory, clock):
    conversation_id, item_id = _handed_over(engine, uow_factory, clock, case, flow="silenced")
    refused = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert refused.exit_code == 1
    assert "silenced" in str(refused.exception)
    resolved = cli("resolve", str(item_id), "--agent", "ana", "--note", "wrong number, nothing to do")
    assert resolved.exit_code == 0, resolved.output
    assert "stays silenced" in resolved.stdout
    assert _rows(engine, conversations, conversations.c.id == conversation_id)[0].flow == "silenced"
    assert _events(engine, "handoff.resolved")[0].data["conversation_returned"] is False


# --- resolve ---------------------------------------------------------------------------------------------


def test_resolve_gives_the_conversation_back_to_the_bot(cli, case, engine, uow_factory, clock):
    conversation_id, item_id = _handed_over(engine, uow_factory, clock, case)
    assert cli("claim", str(item_id), "--agent", "ana").exit_code == 0
    not_yours = cli("resolve", str(item_id), "--agent", "bob", "--note", "x")
    assert not_yours.exit_code == 1
    assert "only they may resolve" in str(not_yours.exception)
    empty = cli("resolve", str(item_id), "--agent", "ana", "--note", "  ")
    assert empty.exit_code == 1
    assert "--note" in str(empty.exception)

    note = "Acordamos pago el viernes 27; María López confirmó."
    result = cli("resolve", str(item_id), "--agent", "ana", "--note", note)
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip()
        == f"inbox item {item_id} resolved by ana; the conversation is back with the bot"
    )
    [item] = _rows(engine, inbox_items)
    assert (item.status, item.resolution, item.resolved_at, item.claimed_by) == (
        "resolved",
        note,
        clock.now(),
        "ana",
    )
    [conversation] = _rows(engine, conversations, conversations.c.id == conversation_id)
    assert (conversation.flow, conversation.step, conversation.slots) == ("none", "none", {})
    assert conversation.verified_debtor_id == case.debtor_id  # only the flow is reset
    assert conversation.last_inbound_at == clock.now() - timedelta(hours=2)

    [event] = _events(engine, "handoff.resolved")
    assert event.actor == "ana"
    assert event.data == {
        "inbox_item": item_id,
        "conversation_id": conversation_id,
        "note_length": len(note),
        "conversation_returned": True,
    }
    again = cli("resolve", str(item_id), "--agent", "ana", "--note", note)
    assert again.exit_code == 1
    assert "already resolved" in str(again.exception)
    assert len(_events(engine, "handoff.resolved")) == 1
    assert [r["id"] for r in json.loads(cli("list", "--status", "resolved", "--json").stdout)] == [item_id]
    assert json.loads(cli("list", "--json").stdout) == []
    assert "resolved      2026-11-23 12:00 UTC: " + note in cli("show", str(item_id)).stdout

    # The bot may hand the same conversation over again: a new item.
    with uow_factory() as uow:
        new_id, new = uow.inbox.open(
            conversation_id=conversation_id,
            creditor_id=case.creditor_id,
            debtor_id=case.debtor_id,
            account_id=case.account_id,
            reason="dispute",
            detail=None,
            now=clock.now(),
        )
        uow.commit()
    assert new
    assert new_id != item_id


def test_an_open_item_can_be_resolved_directly(cli, case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case)
    result = cli("resolve", str(item_id), "--agent", "carla", "--note", "spam")
    assert result.exit_code == 0, result.output
    [item] = _rows(engine, inbox_items)
    assert (item.status, item.claimed_by, item.claimed_at) == ("resolved", "carla", clock.now())


def test_the_use_case_refuses_a_missing_template_outside_the_window(case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case, wrote_hours_ago=30)
    without = tuple(e for e in load_catalogue() if e.name != FOLLOWUP_TEMPLATE)
    with pytest.raises(InvalidInput, match=f"no {FOLLOWUP_TEMPLATE} in es"):
        reply_to_item(uow_factory, clock, item_id, "ana", TEXT, without)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(outbox)).scalar_one() == 0


def test_a_wording_warning_is_shown_and_the_reply_still_goes(cli, case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case)
    result = cli("reply", str(item_id), "--agent", "ana", "--text", "Es urgente que hablemos, María.")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("warning: the reply says 'urgente' (false_urgency, warn)")
    assert len(_rows(engine, outbox)) == 1


def test_no_reply_to_a_debtor_who_opted_out(cli, case, engine, uow_factory, clock):
    _, item_id = _handed_over(engine, uow_factory, clock, case, reason="opt_out_question")
    with engine.begin() as connection:
        connection.execute(
            update(debtors)
            .where(debtors.c.id == case.debtor_id)
            .values(
                opted_out_at=clock.now() - timedelta(minutes=5),
                opt_out_scope="all",
                opt_out_source="whatsapp",
            )
        )
    refused = cli("reply", str(item_id), "--agent", "ana", "--text", TEXT)
    assert refused.exit_code == 1
    assert "opted out at 2026-11-23 11:55 UTC" in str(refused.exception)
    assert _rows(engine, outbox) == []
