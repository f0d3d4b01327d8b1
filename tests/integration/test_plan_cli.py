"""`cobro plan` and `cobro explain` as a person runs them, and the server's scheduler planning on its own."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, insert, select, update

from cobro.adapters.db.engine import make_engine
from cobro.adapters.db.tables import contact_decisions, debtors, message_templates
from cobro.bootstrap import bootstrap, load_settings
from cobro.domain.clock import FixedClock
from cobro.domain.template_catalogue import load_catalogue
from cobro.entrypoints.web.app import create_app
from tests.factories import account_row, write_csv

AT = "2026-11-23T12:00:00+00:00"  # Monday, 13:00 in Madrid
WABA = "1020000000000001"  # Settings.whatsapp_waba_id's default


@pytest.fixture
def accounts(cobro, tmp_path, database_url):
    cobro("creditor", "add", "acme", "--name", "Acme", "--country", "ES", "--currency", "EUR")
    rows = [account_row(1, due_date="2026-11-22"), account_row(2, due_date="2026-12-20")]
    assert (
        cobro("import", "accounts", str(write_csv(tmp_path / "a.csv", rows)), "--creditor", "acme").returncode
        == 0
    )
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(debtors).values(right_party_confirmed_at=datetime(2026, 1, 1, tzinfo=UTC)))
    engine.dispose()


def approve_catalogue(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            insert(message_templates),
            [
                {"waba_id": WABA, "name": e.name, "language": e.language, "category": e.category,
                 "status": "APPROVED", "content_hash": e.content_hash(), "updated_at": datetime.now(UTC)}
                for e in load_catalogue()
            ],
        )  # fmt: skip
    engine.dispose()


def lines(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    return {obj["account_ref"]: obj for obj in map(json.loads, result.stdout.splitlines())}


def test_without_approved_templates_nothing_is_planned_to_send_and_the_reason_says_why(cobro, accounts):
    result = cobro("plan", "--json", "--at", AT, "--dry-run")

    assert result.returncode == 0, result.stderr
    plan = lines(result)
    assert plan["ACC-1"]["action"] == "skip"
    assert "whatsapp.template_unavailable" in plan["ACC-1"]["rules"]
    assert "cobro_overdue_notice" in plan["ACC-1"]["reason"]
    assert plan["ACC-2"]["action"] == "none"
    assert "nothing stored (dry run)" in result.stderr


def test_plan_prints_one_json_object_per_account_and_explain_shows_the_decision(
    cobro, accounts, database_url
):
    approve_catalogue(database_url)

    result = cobro("plan", "--json", "--at", AT, "--creditor", "acme")
    again = cobro("plan", "--at", AT)

    assert result.returncode == 0, result.stderr
    plan = lines(result)
    first = plan["ACC-1"]
    required = {"account_ref", "action", "stage", "template", "language", "not_before", "rules", "reason"}
    assert required <= first.keys()
    assert (first["action"], first["stage"], first["template"], first["language"]) == (
        "send",
        "first_notice",
        "cobro_overdue_notice",
        "es",
    )
    assert first["rules"] == []
    assert "1 new decisions stored" in result.stderr
    assert "0 new decisions stored" in again.stderr  # the same instant again stores nothing
    assert again.stdout.splitlines()[0].startswith("ACC-1")
    explained = cobro("explain", "ACC-1")
    assert explained.returncode == 0, explained.stderr
    assert "first_notice" in explained.stdout
    assert "+34612345001" not in explained.stdout  # the phone is masked


def test_plan_refuses_a_time_without_offset_and_an_unknown_creditor(cobro, accounts):
    naive = cobro("plan", "--at", "2026-11-23T12:00:00")
    unknown = cobro("plan", "--creditor", "nope")

    assert naive.returncode == 1
    assert "has no UTC offset" in naive.stderr
    assert unknown.returncode == 1
    assert "no creditor 'nope'" in unknown.stderr


def test_the_server_plans_on_its_own(database_url, cobro, accounts):
    approve_catalogue(database_url)
    clock = FixedClock(datetime.fromisoformat(AT))
    container = bootstrap(load_settings(database_url=database_url, plan_every_seconds=3600), clock=clock)
    engine = make_engine(database_url)
    try:
        with TestClient(create_app(container)):
            deadline = time.monotonic() + 30
            stored = 0
            while time.monotonic() < deadline and stored == 0:
                with engine.connect() as connection:
                    stored = connection.execute(
                        select(func.count()).select_from(contact_decisions)
                    ).scalar_one()
                time.sleep(0.1)
    finally:
        engine.dispose()
    assert stored >= 1  # the scheduler's first run happens at start


def test_plan_with_several_processes_plans_every_account_once(cobro, accounts, database_url):
    approve_catalogue(database_url)

    result = cobro("plan", "--at", AT, "--processes", "2")
    again = cobro("plan", "--at", AT)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # only the summary, on stderr
    assert "planned 2 accounts: 1 send, 0 defer, 0 skip, 1 none; 1 new decisions stored" in result.stderr
    assert "0 new decisions stored" in again.stderr
