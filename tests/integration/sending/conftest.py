"""Fixtures of the send-pipeline tests: five Spanish debtors due a first notice, and a fast sandbox with
the catalogue approved (its webhooks recorded by a receiver)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from cobro.adapters.db.tables import debtors
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from tests.factories import account_row
from tests.integration.sandbox import conftest as sandbox_fixtures
from tests.integration.sandbox.conftest import Receiver, Running, fast_settings
from tests.integration.sending.pipeline import DEBTORS, NOON, approve_catalogue

# The sandbox package's fixtures, for every test here.
receiver = sandbox_fixtures.receiver
start_sandbox = sandbox_fixtures.start_sandbox


@pytest.fixture
def acme(uow_factory, clock, engine):
    """Five Spanish debtors one day past due, consent on record, right party confirmed: five sends."""
    add_creditor(uow_factory, clock, slug="acme", name="Acme", country="ES", currency="EUR")
    rows = [
        account_row(
            i,
            due_date="2026-11-22",
            phone=f"+34 612 345 {i:03d}",
            debtor_name=f"Debtor {i}",
            payment_link=f"https://pay.example.com/acme/INV-{i}",
        )
        for i in range(1, DEBTORS + 1)
    ]
    outcome = import_accounts(
        uow_factory,
        clock,
        list(enumerate(rows, start=2)),
        creditor_slug="acme",
        source_name="t.csv",
        actor="t",
    )
    assert outcome.ok, outcome.problems

    with engine.begin() as connection:
        connection.execute(update(debtors).values(right_party_confirmed_at=NOON - timedelta(days=30)))


@pytest.fixture
def sandbox_for(start_sandbox, receiver, uow_factory, clock) -> Callable[..., tuple[Running, Receiver]]:
    """Starts a fast sandbox (webhooks to the recording receiver) with the catalogue approved."""

    def start(approve: bool = True, **overrides: Any) -> tuple[Running, Receiver]:
        settings = fast_settings(**{"callback_url": receiver[1], "tier": 1000, **overrides})
        running = start_sandbox(settings)
        if approve:
            approve_catalogue(running.url, uow_factory, clock)
        return running, receiver[0]

    return start
