"""`sync_templates` against the sandbox over HTTP, recording in message_templates on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import anyio
import httpx
import pytest
from sqlalchemy import Engine

from cobro.adapters.db.uow import SqlUnitOfWorkFactory
from cobro.adapters.whatsapp import WhatsAppClient
from cobro.adapters.whatsapp.template_account import GraphTemplateAccount
from cobro.app.sync_templates import (
    SyncAction,
    TemplateSyncReport,
    apply_template_reviews,
    recorded_templates,
    sync_templates,
)
from cobro.domain.clock import FixedClock
from cobro.domain.events import EventKind
from cobro.domain.messaging import TemplateStatusUpdate
from cobro.domain.template_catalogue import TemplateEntry, find_entry, load_catalogue
from tests.integration.sandbox.conftest import ACCESS_TOKEN, ServerThread, fast_settings, free_port

WABA_ID = "1020000000000001"
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """One sandbox for the module (templates are reviewed in 50 ms); each test deletes what it made."""
    from cobro.sandbox.app import create_sandbox_app

    port = free_port()
    settings = fast_settings(review_delay=0.05).model_copy(update={"port": port})
    with ServerThread(create_sandbox_app(settings), port) as server:
        yield server.url


@pytest.fixture
def account_templates(sandbox_url: str) -> Iterator[httpx.Client]:
    """An HTTP client on the sandbox's template endpoint; the account is emptied after the test."""
    http = httpx.Client(
        base_url=f"{sandbox_url}/v23.0/{WABA_ID}", headers={"Authorization": f"Bearer {ACCESS_TOKEN}"}
    )
    yield http
    for name in {t["name"] for t in http.get("/message_templates", params={"limit": 1000}).json()["data"]}:
        http.delete("/message_templates", params={"name": name}).raise_for_status()
    http.close()


@pytest.fixture
def templates_uow(engine: Engine, clock: FixedClock) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(engine, clock)


def on_account(http: httpx.Client) -> list[dict[str, str]]:
    return list(http.get("/message_templates", params={"limit": 1000}).json()["data"])


def run_sync(
    sandbox_url: str,
    uow_factory: SqlUnitOfWorkFactory,
    catalogue: list[TemplateEntry] | tuple[TemplateEntry, ...],
    wait: bool = True,
) -> TemplateSyncReport:
    async def run() -> TemplateSyncReport:
        async with WhatsAppClient(
            base_url=sandbox_url,
            api_version="v23.0",
            access_token=ACCESS_TOKEN,
            phone_number_id="1090000000000001",
            waba_id=WABA_ID,
        ) as client:
            return await sync_templates(
                uow_factory,
                uow_factory.clock,
                GraphTemplateAccount(client),
                catalogue,
                waba_id=WABA_ID,
                wait=wait,
                review_timeout=10,
                poll_every=0.02,
            )

    return anyio.run(run)


def events(uow_factory: SqlUnitOfWorkFactory, kind: EventKind) -> list[dict[str, object]]:
    with uow_factory() as uow:
        return [e.data for e in uow.events.recent(kind, limit=1000)]


def entry(name: str, language: str) -> TemplateEntry:
    found = find_entry(CATALOGUE, name, language)
    assert found is not None
    return found


def test_the_whole_catalogue_is_approved_and_a_second_sync_submits_nothing(
    sandbox_url: str, account_templates: httpx.Client, templates_uow: SqlUnitOfWorkFactory
) -> None:
    first = run_sync(sandbox_url, templates_uow, CATALOGUE)
    assert first.count(SyncAction.SUBMITTED) == 60
    assert first.by_status() == {"APPROVED": 60}, [r for r in first.results if r.status != "APPROVED"]
    with templates_uow() as uow:
        assert uow.templates.approved(WABA_ID) == {e.key for e in CATALOGUE}
    assert len(events(templates_uow, EventKind.TEMPLATE_SUBMITTED)) == 60
    assert len(events(templates_uow, EventKind.TEMPLATE_REVIEWED)) == 60

    second = run_sync(sandbox_url, templates_uow, CATALOGUE)
    assert second.count(SyncAction.UNCHANGED) == 60
    assert second.by_status() == {"APPROVED": 60}
    assert len(on_account(account_templates)) == 60
    assert len(events(templates_uow, EventKind.TEMPLATE_SUBMITTED)) == 60  # nothing new submitted
    assert len(events(templates_uow, EventKind.TEMPLATE_REVIEWED)) == 60  # and no status changed


def test_a_threatening_template_is_lint_blocked_and_never_reaches_the_account(
    sandbox_url: str, account_templates: httpx.Client, templates_uow: SqlUnitOfWorkFactory
) -> None:
    base = entry("cobro_overdue_notice", "es")
    threat = replace(
        base, body=base.body.replace("Si ya pagó", "Si no paga, procederemos al embargo. Si ya pagó")
    )
    [result] = run_sync(sandbox_url, templates_uow, [threat]).results
    assert (result.action, result.status) == (SyncAction.LINT_BLOCKED, "LINT_BLOCKED")
    assert "'embargo'" in result.reason
    assert "threat" in result.reason
    assert "must not threaten" in result.reason
    assert on_account(account_templates) == []
    stored = recorded_templates(templates_uow, WABA_ID)[threat.key]
    assert (stored.status, stored.template_id) == ("LINT_BLOCKED", None)
    with templates_uow() as uow:
        assert uow.templates.approved(WABA_ID) == set()
    [blocked] = events(templates_uow, EventKind.TEMPLATE_REVIEWED)
    assert blocked["findings"] == [
        {"category": "threat", "severity": "block", "phrase": "embargo", "where": "body"}
    ]


def test_a_template_the_sandbox_rejects_is_recorded_rejected_with_metas_reason(
    sandbox_url: str, account_templates: httpx.Client, templates_uow: SqlUnitOfWorkFactory
) -> None:
    base = entry("cobro_plan_options", "en")
    # The linter has no quarrel with marketing words; Meta's review (and the sandbox's) moves them out of UTILITY.
    marketing = replace(base, body=base.body.replace("we can split", "we have a special offer to split"))
    [result] = run_sync(sandbox_url, templates_uow, [marketing]).results
    assert (result.action, result.status, result.reason) == (
        SyncAction.SUBMITTED,
        "REJECTED",
        "INCORRECT_CATEGORY",
    )
    stored = recorded_templates(templates_uow, WABA_ID)[marketing.key]
    assert (stored.status, stored.reason) == ("REJECTED", "INCORRECT_CATEGORY")
    assert stored.template_id == on_account(account_templates)[0]["id"]


def test_changed_content_under_an_existing_name_is_reported_not_resubmitted(
    sandbox_url: str, account_templates: httpx.Client, templates_uow: SqlUnitOfWorkFactory
) -> None:
    original = entry("cobro_reminder_before_due", "it")
    run_sync(sandbox_url, templates_uow, [original], wait=False)
    edited = replace(original, header="Un promemoria")
    [result] = run_sync(sandbox_url, templates_uow, [edited], wait=False).results
    assert result.action is SyncAction.CHANGED
    assert "differs" in result.reason
    assert len(on_account(account_templates)) == 1
    assert recorded_templates(templates_uow, WABA_ID)[original.key].content_hash == original.content_hash()


def test_review_webhooks_update_the_recorded_status_of_that_template_only(
    sandbox_url: str, account_templates: httpx.Client, templates_uow: SqlUnitOfWorkFactory
) -> None:
    reminder = entry("cobro_reminder_before_due", "en")
    [submitted] = run_sync(sandbox_url, templates_uow, [reminder], wait=False).results
    assert submitted.status == "PENDING"
    assert submitted.template_id is not None
    at = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)

    def update(
        event: str, template_id: str, name: str = reminder.name, reason: str | None = None
    ) -> TemplateStatusUpdate:
        return TemplateStatusUpdate(event, template_id, name, "en", WABA_ID, at, reason)

    with templates_uow() as uow:
        changed = apply_template_reviews(
            uow,
            [
                update("PAUSED", submitted.template_id, reason="QUALITY_PAUSED"),
                update("APPROVED", "another-id"),  # another version of that name: not ours
                update("APPROVED", "x", name="cobro_demo_reminder"),  # never recorded
            ],
            at,
        )
        uow.commit()
    assert changed == 1
    stored = recorded_templates(templates_uow, WABA_ID)[reminder.key]
    assert (stored.status, stored.reason, stored.updated_at) == ("PAUSED", "QUALITY_PAUSED", at)
    with templates_uow() as uow:
        assert apply_template_reviews(uow, [update("REINSTATED", submitted.template_id)], at) == 1
        uow.commit()
        assert uow.templates.approved(WABA_ID) == {reminder.key}


def test_a_review_delivered_after_a_newer_one_changes_nothing(
    sandbox_url: str, account_templates: httpx.Client, templates_uow: SqlUnitOfWorkFactory
) -> None:
    reminder = entry("cobro_reminder_before_due", "en")
    [submitted] = run_sync(sandbox_url, templates_uow, [reminder], wait=False).results
    assert submitted.template_id is not None
    paused_at = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)
    reinstated_at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def update(event: str, at: datetime) -> TemplateStatusUpdate:
        assert submitted.template_id is not None
        return TemplateStatusUpdate(event, submitted.template_id, reminder.name, "en", WABA_ID, at, None)

    with templates_uow() as uow:  # Meta retried the pause and it arrived after the reinstatement
        assert apply_template_reviews(uow, [update("REINSTATED", reinstated_at)], reinstated_at) == 1
        assert apply_template_reviews(uow, [update("PAUSED", paused_at)], reinstated_at) == 0
        uow.commit()
        assert uow.templates.approved(WABA_ID) == {reminder.key}
