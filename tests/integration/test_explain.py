"""`cobro explain` on SQLite and PostgreSQL: the account, its state, and a timeline that says why."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from cobro.adapters.db.tables import accounts, contact_decisions, creditors, debtors, invoices, outbox
from cobro.adapters.whatsapp.webhook_payloads import parse_webhook
from cobro.app.explain_account import explain_account
from cobro.app.record_webhooks import (
    process_webhook_deliveries,
    record_outbound_message,
    store_webhook_delivery,
)
from cobro.domain.errors import InvalidInput, NotFound
from cobro.entrypoints.cli import app as root_app
from cobro.entrypoints.cli import explain
from tests.webhook_payloads import body, delivery, messages_change, status, statuses_change, text_message

PHONE = "+5215512345678"


@pytest.fixture
def cli(database_url, monkeypatch):
    """The root `cobro` app with `explain` registered (as cli/__init__.py will), on the test database."""
    if not any(c.name == "explain" for c in root_app.registered_commands):
        root_app.command("explain")(explain.run)
    monkeypatch.setenv("COBRO_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(root_app, ["explain", *args])


def _account(engine, clock, slug="acme", reference="ACC-1", phone=PHONE):
    now = clock.now()
    with engine.begin() as connection:
        creditor_id = connection.execute(
            insert(creditors)
            .values(slug=slug, name=slug.title(), country="MX", currency="MXN", language="es", created_at=now)
            .returning(creditors.c.id)
        ).scalar_one()
        debtor_id = connection.execute(
            insert(debtors)
            .values(
                creditor_id=creditor_id,
                name="María López",
                phone=phone,
                country="MX",
                language="es",
                time_zone="America/Mexico_City",
                time_zone_source="phone",
                time_zone_candidates="",
                consent_method="contract",
                consent_at=now - timedelta(days=400),
                consent_source="contrato",
                created_at=now,
                updated_at=now,
            )
            .returning(debtors.c.id)
        ).scalar_one()
        account_id = connection.execute(
            insert(accounts)
            .values(
                creditor_id=creditor_id,
                debtor_id=debtor_id,
                reference=reference,
                currency="MXN",
                promise_until=date(2026, 11, 27),
                created_at=now,
                updated_at=now,
            )
            .returning(accounts.c.id)
        ).scalar_one()
        for n, (amount, outstanding, status_) in enumerate(
            [(120050, 120050, "open"), (5000, 2500, "open"), (900, 0, "paid")]
        ):
            connection.execute(
                insert(invoices).values(
                    creditor_id=creditor_id,
                    account_id=account_id,
                    reference=f"{reference}-INV-{n}",
                    currency="MXN",
                    amount_minor=amount,
                    outstanding_minor=outstanding,
                    due_date=date(2026, 10, 1 + n),
                    status=status_,
                    created_at=now,
                    updated_at=now,
                )
            )
    return creditor_id, debtor_id, account_id


def _decision(engine, clock, ids, key, hours_ago, action, reason, rules=(), outbox_row=None, **extra):
    creditor_id, debtor_id, account_id = ids
    with engine.begin() as connection:
        decision_id = connection.execute(
            insert(contact_decisions)
            .values(
                idempotency_key=key,
                creditor_id=creditor_id,
                account_id=account_id,
                debtor_id=debtor_id,
                decided_at=clock.now() - timedelta(hours=hours_ago),
                local_date=date(2026, 11, 23),
                action=action,
                kind="collection",
                stage="reminder_1",
                segments=["first_time"],
                rules=list(rules),
                reason=reason,
                jurisdiction="MX",
                rules_version="2026.11",
                inputs={},
                **extra,
            )
            .returning(contact_decisions.c.id)
        ).scalar_one()
        if outbox_row is not None:  # the send's outbox row, as the planner writes it, then moved on
            at = clock.now() - timedelta(hours=hours_ago)
            connection.execute(
                insert(outbox).values(
                    idempotency_key=key, decision_id=decision_id, creditor_id=creditor_id, debtor_id=debtor_id,
                    account_id=account_id, kind="collection", stage="reminder_1", due_at=at, created_at=at,
                    updated_at=at, **outbox_row,
                )
            )  # fmt: skip


def _history(engine, uow_factory, clock, ids):
    creditor_id, debtor_id, _ = ids
    _decision(
        engine,
        clock,
        ids,
        "k1",
        30,
        "defer",
        "outside contact hours in America/Mexico_City",
        rules=["mx.hours"],
        not_before=clock.now() - timedelta(hours=27),
    )
    _decision(
        engine,
        clock,
        ids,
        "k2",
        26,
        "send",
        "reminder_1 is due",
        template="recordatorio_pago",
        language="es_MX",
        outbox_row={
            "state": "sent",
            "wamid": "wamid.OUT1",
            "template": "recordatorio_pago",
            "language": "es_MX",
        },
    )
    record_outbound_message(
        uow_factory,
        clock,
        wamid="wamid.OUT1",
        phone_number_id="1",
        to=PHONE,
        type="template",
        content={"name": "recordatorio_pago"},
        creditor_id=creditor_id,
        debtor_id=debtor_id,
    )
    deliveries = [
        delivery(statuses_change(status("wamid.OUT1", "sent", ts=1795435200 + 60))),
        delivery(messages_change(text_message("wamid.IN1", text="STOP", timestamp=str(1795435200 + 600)))),
    ]
    for payload in deliveries:
        store_webhook_delivery(uow_factory, body(payload), clock.now())
    process_webhook_deliveries(uow_factory, clock, parse_webhook)


def test_the_account_is_explained_with_its_state_and_a_timeline_oldest_first(engine, uow_factory, clock):
    ids = _account(engine, clock)
    _history(engine, uow_factory, clock, ids)
    explained = explain_account(uow_factory, "ACC-1")
    account = explained.account
    assert (account.creditor_slug, account.debtor_name, account.debtor_phone) == (
        "acme",
        "María López",
        "+52•••••••••78",
    )
    assert (str(explained.outstanding.amount), explained.outstanding.currency) == ("1225.50", "MXN")
    assert [i.reference for i in explained.invoices] == ["ACC-1-INV-0", "ACC-1-INV-1"]
    assert (account.opt_out.scope, account.opt_out.source) == ("channel", "whatsapp:wamid.IN1")
    assert account.promise_until == date(2026, 11, 27)
    timeline = explained.timeline
    assert [(e.source, e.what) for e in timeline] == [
        ("decision", "defer collection (stage reminder_1)"),
        ("decision", "send collection (stage reminder_1)"),
        ("message", "out template recordatorio_pago"),
        ("message", "in text"),
        ("event", "opt_out.recorded"),  # at the same instant, the message comes before what it caused
    ]
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    defer = timeline[0]
    assert defer.why.startswith("outside contact hours in America/Mexico_City [rules: mx.hours]")
    assert defer.detail["not_before"] == clock.now() - timedelta(hours=27)
    send = timeline[1]
    assert "; sent as wamid.OUT1" in send.why  # where its outbox row stands
    assert (send.detail["state"], send.detail["wamid"]) == ("sent", "wamid.OUT1")
    assert "sent " in timeline[2].why
    inbound = next(e for e in timeline if e.what == "in text")
    assert inbound.why == "text, 4 characters"  # the debtor's own words are not printed
    opt_out = next(e for e in timeline if e.source == "event")
    assert "effect=recorded, language=en, phrase=stop" in opt_out.why


def test_the_cli_prints_the_explanation_as_text_and_as_json(engine, uow_factory, clock, cli):
    ids = _account(engine, clock)
    _history(engine, uow_factory, clock, ids)
    text = cli("ACC-1")
    assert text.exit_code == 0, text.output
    assert "account   ACC-1 of acme (Acme)" in text.output
    assert "María López, +52•••••••••78" in text.output
    assert PHONE not in text.output
    assert "owes      1225.50 MXN on 2 open invoice(s)" in text.output
    assert "opted out (channel) 2026-11-23 12:10:00 UTC via whatsapp:wamid.IN1" in text.output
    assert "promised to pay by 2026-11-27" in text.output
    assert "decision  defer collection (stage reminder_1): outside contact hours" in text.output
    as_json = cli("ACC-1", "--json")
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.output)
    assert document["account"]["reference"] == "ACC-1"
    assert document["outstanding"] == {"amount": "1225.50", "currency": "MXN"}
    assert [e["source"] for e in document["timeline"]][:3] == ["decision", "decision", "message"]
    assert document["timeline"][0]["detail"]["rules"] == ["mx.hours"]


def test_an_unknown_reference_is_a_clear_error(engine, uow_factory, clock, cli):
    _account(engine, clock)
    with pytest.raises(NotFound, match="no account 'NOPE' for any creditor"):
        explain_account(uow_factory, "NOPE")
    result = cli("NOPE")
    assert result.exit_code == 1
    assert isinstance(result.exception, NotFound)


def test_a_reference_of_several_creditors_needs_the_creditor(engine, uow_factory, clock, cli):
    _account(engine, clock, slug="acme")
    _account(engine, clock, slug="beta", phone="+5215599999999")
    with pytest.raises(InvalidInput, match="several creditors: acme, beta"):
        explain_account(uow_factory, "ACC-1")
    assert explain_account(uow_factory, "ACC-1", "beta").account.creditor_slug == "beta"
    with pytest.raises(NotFound, match=r"for creditor 'gamma' \(it exists for: acme, beta\)"):
        explain_account(uow_factory, "ACC-1", "gamma")
    result = cli("ACC-1")
    assert result.exit_code == 1
    assert "acme, beta" in str(result.exception)
    assert cli("ACC-1", "--creditor", "acme").exit_code == 0
