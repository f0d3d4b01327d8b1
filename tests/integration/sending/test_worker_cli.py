"""`cobro worker` as a person runs it: on RabbitMQ and PostgreSQL (in-process on SQLite), its operations
endpoints, and a graceful stop on SIGTERM; `cobro outbox list|resolve` and `cobro send` in laptop mode."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from sqlalchemy import insert, select

from cobro.adapters.db.tables import outbox
from tests.integration.sandbox.conftest import free_port
from tests.integration.sending.test_worker_engine import RABBITMQ, REDIS


def test_worker_serves_health_and_stops_gracefully_on_sigterm(database_url, tmp_path):
    port = free_port()
    queue = f"cobro-test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "COBRO_DATABASE_URL": database_url,
        "COBRO_QUEUE_NAME": queue,
        "COBRO_QUEUE_URL": RABBITMQ if database_url.startswith("postgresql") else "",
        "COBRO_REDIS_URL": REDIS if database_url.startswith("postgresql") else "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cobro", "worker", "--concurrency", "3", "--http-port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the worker never became ready"
            time.sleep(0.2)
        assert httpx.get(f"{base}/healthz").text == "ok\n"
        assert "cobro_outbox_messages" in httpx.get(f"{base}/metrics").text
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if database_url.startswith("postgresql"):
            import pika

            connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
            channel = connection.channel()
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(queue=name)
            connection.close()
    assert process.returncode == 0, output
    assert "3 tasks in flight" in output
    assert ("broker 127.0.0.1:5672" in output) == database_url.startswith("postgresql")
    assert "stopping: finishing the sends in flight" in output


@pytest.fixture
def review_row(engine, uow_factory, clock):
    """One outbox row a person must decide on (its outcome stayed unknown past the deadline)."""
    from cobro.app.creditors import add_creditor
    from cobro.app.import_accounts import import_accounts
    from tests.factories import account_row

    add_creditor(uow_factory, clock, slug="acme", name="Acme", country="ES", currency="EUR")
    outcome = import_accounts(
        uow_factory, clock, [(2, account_row(1))], creditor_slug="acme", source_name="t.csv", actor="t"
    )
    assert outcome.ok
    from cobro.adapters.db.tables import accounts

    with engine.begin() as connection:
        account = connection.execute(
            select(accounts.c.id, accounts.c.debtor_id, accounts.c.creditor_id)
        ).one()
        connection.execute(
            insert(outbox).values(
                idempotency_key="acct:1:first_notice:2026-11-23",
                creditor_id=account.creditor_id,
                debtor_id=account.debtor_id,
                account_id=account.id,
                kind="collection",
                stage="first_notice",
                template="cobro_overdue_notice",
                language="es",
                state="review",
                due_at=clock.now(),
                attempts=1,
                created_at=clock.now(),
                updated_at=clock.now(),
                reason="ReadTimeout after the request was written; no status webhook by the deadline",
            )
        )
        return connection.execute(select(outbox.c.id)).scalar_one()


def test_a_worker_on_a_broker_without_the_shared_limiter_refuses_to_start(cobro, database_url, monkeypatch):
    monkeypatch.setenv("COBRO_QUEUE_URL", RABBITMQ)
    monkeypatch.delenv("COBRO_REDIS_URL", raising=False)
    result = cobro("worker", "--http-port", "0")
    assert result.returncode != 0
    assert "COBRO_REDIS_URL" in result.stderr + result.stdout


def test_outbox_list_shows_what_needs_a_person_and_resolve_records_the_decision(cobro, engine, review_row):
    listed = cobro("outbox", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"#{review_row} review" in listed.stdout
    assert "no status webhook by the deadline" in listed.stdout

    refused = cobro("outbox", "resolve", str(review_row), "--as", "maybe", "--reason", "x")
    assert refused.returncode != 0
    resolved = cobro(
        "outbox", "resolve", str(review_row), "--as", "sent", "--reason", "debtor confirmed on the phone"
    )
    assert resolved.returncode == 0, resolved.stderr
    with engine.connect() as connection:
        row = connection.execute(select(outbox.c.state, outbox.c.reason)).one()
    assert row.state == "sent"
    assert "debtor confirmed on the phone" in row.reason
    again = cobro("outbox", "resolve", str(review_row), "--as", "failed", "--reason", "x")
    assert again.returncode != 0
    assert "not waiting for a person" in again.stderr + again.stdout
