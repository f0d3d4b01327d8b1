"""Puts the template catalogue on a WhatsApp Business Account: lint, compare, submit, wait, record.

For every catalogue entry: the wording linter runs first (a blocking finding keeps the template off the
account: status LINT_BLOCKED, with the phrase and the reason); then what the account already has, by name
and language, decides: absent -> submitted; present with the content Cobro last recorded -> left alone;
present with different content -> reported, never silently overwritten (Meta keeps one version per name and
language). Every status lands in message_templates with an audit event, so `approved(waba_id)` tells the
planner what it may send. Review webhooks update the same rows through apply_template_reviews.

The account is a port (TemplateAccount, async like the Cloud API client); this module imports no adapter.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from cobro.app.ports import EventLog, MessageTemplateRepository
from cobro.domain.clock import Clock
from cobro.domain.errors import CobroError, InvalidInput
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.messaging import TemplateStatusUpdate
from cobro.domain.template_catalogue import (
    LINT_BLOCKED,
    PENDING,
    SUBMISSION_REFUSED,
    StoredTemplate,
    TemplateEntry,
)
from cobro.domain.wording import WordingFinding, lint_template

ACTOR = "templates"
UNDER_REVIEW = frozenset({PENDING, "IN_APPEAL"})
# Meta's webhook events that are not themselves a status: REINSTATED puts a paused template back in use.
_EVENT_STATUS = {"REINSTATED": "APPROVED"}


@dataclass(frozen=True, slots=True)
class RemoteTemplate:
    """A template as the WhatsApp Business Account reports it."""

    id: str
    name: str
    language: str
    status: str
    rejected_reason: str | None = None


class TemplateRefused(CobroError):
    """The account refused to create a template (the request itself, before any review); says why."""


class TemplateAccount(Protocol):
    """What the sync needs from the WhatsApp Business Account's template management."""

    async def list_templates(self) -> list[RemoteTemplate]:
        """Every template of the account, in every language."""
        ...

    async def submit(self, entry: TemplateEntry) -> RemoteTemplate:
        """Creates the template for review; raises TemplateRefused when the account refuses the request."""
        ...

    async def wait_for_review(
        self, name: str, language: str, timeout: float, poll_every: float
    ) -> RemoteTemplate | None:
        """The template once Meta decided on it, or None if still under review at the timeout."""
        ...


class TemplateUnitOfWork(Protocol):
    """The part of the unit of work the template use cases need (the full UnitOfWork once it has
    `templates`)."""

    # Read-only properties, so an implementation may hold any subtype of the repositories.
    @property
    def templates(self) -> MessageTemplateRepository:
        """The recorded template statuses."""
        ...

    @property
    def events(self) -> EventLog:
        """The audit trail."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None:
        """Makes everything done in this unit of work durable."""
        ...


class TemplateUnitOfWorkFactory(Protocol):
    """Makes a fresh TemplateUnitOfWork."""

    def __call__(self) -> TemplateUnitOfWork: ...


class SyncAction(enum.StrEnum):
    """What the sync did with one catalogue entry."""

    SUBMITTED = "submitted"  # created on the account now
    UNCHANGED = "unchanged"  # already there with the content Cobro recorded
    ADOPTED = "adopted"  # already there, but Cobro had no record of it: content not compared
    CHANGED = "changed"  # already there with other content: reported, not resubmitted
    LINT_BLOCKED = "lint_blocked"  # the wording linter stopped it: never submitted
    REFUSED = "refused"  # the account refused the create request


@dataclass(frozen=True, slots=True)
class TemplateSyncResult:
    """One template version after the sync: its status on the account and why."""

    name: str
    language: str
    action: SyncAction
    status: str
    reason: str = ""
    template_id: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TemplateSyncReport:
    """Every catalogue entry the sync looked at, in catalogue order."""

    results: tuple[TemplateSyncResult, ...] = field(default=())

    def count(self, action: SyncAction) -> int:
        """How many entries had this outcome."""
        return sum(1 for r in self.results if r.action is action)

    def by_status(self) -> dict[str, int]:
        """How many entries are in each status."""
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return counts


async def sync_templates(
    uow_factory: TemplateUnitOfWorkFactory,
    clock: Clock,
    account: TemplateAccount,
    catalogue: Sequence[TemplateEntry],
    *,
    waba_id: str,
    wait: bool = False,
    names: Collection[str] | None = None,
    review_timeout: float = 600.0,
    poll_every: float = 10.0,
) -> TemplateSyncReport:
    """Lints, compares and submits the catalogue (only `names` when given), optionally waits for Meta's
    reviews, and records every status with its audit events; returns what happened to each entry."""
    entries = _selected(catalogue, names)
    with uow_factory() as uow:
        stored = {(r.name, r.language): r for r in uow.templates.list(waba_id)}
    remote = {(t.name, t.language): t for t in await account.list_templates()}
    results: list[TemplateSyncResult] = []
    for entry in entries:
        findings = lint_template(entry)
        warnings = tuple(f.describe() for f in findings if not f.blocks)
        blocked = [f for f in findings if f.blocks]
        previous = stored.get(entry.key)
        if blocked:
            reason = "; ".join(f.describe() for f in blocked)
            result = TemplateSyncResult(
                entry.name, entry.language, SyncAction.LINT_BLOCKED, LINT_BLOCKED, reason
            )
            extra = {"findings": [_finding_data(f) for f in blocked]}
            _record(uow_factory, clock, waba_id, entry, result, previous, entry.content_hash(), extra)
        elif entry.key in remote:
            result, content_hash = _compare(entry, remote[entry.key], previous, warnings)
            _record(uow_factory, clock, waba_id, entry, result, previous, content_hash)
        else:
            result = await _submit(uow_factory, clock, account, waba_id, entry, previous, warnings)
        results.append(result)
    if wait:
        results = await _wait_for_reviews(
            uow_factory, clock, account, waba_id, entries, results, review_timeout, poll_every
        )
    return TemplateSyncReport(tuple(results))


# How far Meta's review times may run behind Cobro's clock before a review counts as older than what a sync
# recorded from the template listing: well under the hours between a pause and its reinstatement.
REVIEW_CLOCK_SKEW = timedelta(minutes=1)


def apply_template_reviews(
    uow: TemplateUnitOfWork, updates: Sequence[TemplateStatusUpdate], now: datetime
) -> int:
    """Applies Meta's review webhooks to the recorded templates, inside the caller's transaction; returns
    how many rows changed. A review of a template Cobro never recorded, of another template id than the one
    recorded, of a version the linter blocked, or older than what is recorded, changes nothing."""
    changed = 0
    for update in updates:
        row = uow.templates.get(update.waba_id, update.name, update.language)
        if row is None or row.status == LINT_BLOCKED:
            continue
        if row.template_id is not None and row.template_id != update.template_id:
            continue
        if update.timestamp is not None and update.timestamp < row.updated_at - REVIEW_CLOCK_SKEW:
            continue  # an older review delivered late (Meta retries out of order): what is stored is newer
        status = _EVENT_STATUS.get(update.event, update.event)
        reason = update.reason if update.reason and update.reason != "NONE" else None
        if (row.status, row.reason, row.template_id) == (status, reason, update.template_id):
            continue
        uow.templates.upsert(
            StoredTemplate(
                waba_id=row.waba_id,
                name=row.name,
                language=row.language,
                category=row.category,
                status=status,
                content_hash=row.content_hash,
                updated_at=update.timestamp or now,
                template_id=update.template_id,
                reason=reason,
            )
        )
        changed += 1
    return changed


def recorded_templates(
    uow_factory: TemplateUnitOfWorkFactory, waba_id: str
) -> dict[tuple[str, str], StoredTemplate]:
    """The recorded status of every template of a WABA, by (name, language)."""
    with uow_factory() as uow:
        return {(r.name, r.language): r for r in uow.templates.list(waba_id)}


def _selected(catalogue: Sequence[TemplateEntry], names: Collection[str] | None) -> list[TemplateEntry]:
    if names is None:
        return list(catalogue)
    unknown = sorted(set(names) - {e.name for e in catalogue})
    if unknown:
        raise InvalidInput(f"not in the template catalogue: {', '.join(unknown)}")
    return [e for e in catalogue if e.name in names]


def _compare(
    entry: TemplateEntry, remote: RemoteTemplate, previous: StoredTemplate | None, warnings: tuple[str, ...]
) -> tuple[TemplateSyncResult, str]:
    """The result for a template the account already has, and the content hash to keep on record."""
    meta_reason = _meta_reason(remote)
    if previous is None:
        reason = "already on the account; Cobro had no record of it, so its text was not compared"
        action, content_hash = SyncAction.ADOPTED, entry.content_hash()
    elif previous.content_hash != entry.content_hash():
        reason = (
            "the catalogue text differs from the version on the account, which Meta keeps: not resubmitted. "
            "Delete that version on the account (then sync again) or give the new text a new name"
        )
        action, content_hash = SyncAction.CHANGED, previous.content_hash
    else:
        reason, action, content_hash = "", SyncAction.UNCHANGED, previous.content_hash
    reason = "; ".join(part for part in (meta_reason, reason) if part)
    result = TemplateSyncResult(
        entry.name, entry.language, action, remote.status, reason, remote.id, warnings
    )
    return result, content_hash


async def _submit(
    uow_factory: TemplateUnitOfWorkFactory,
    clock: Clock,
    account: TemplateAccount,
    waba_id: str,
    entry: TemplateEntry,
    previous: StoredTemplate | None,
    warnings: tuple[str, ...],
) -> TemplateSyncResult:
    try:
        created = await account.submit(entry)
    except TemplateRefused as exc:
        result = TemplateSyncResult(
            entry.name, entry.language, SyncAction.REFUSED, SUBMISSION_REFUSED, str(exc), None, warnings
        )
        _record(uow_factory, clock, waba_id, entry, result, previous, entry.content_hash())
        return result
    result = TemplateSyncResult(
        entry.name,
        entry.language,
        SyncAction.SUBMITTED,
        created.status,
        _meta_reason(created),
        created.id,
        warnings,
    )
    # Recorded at once, in its own short transaction, so a review webhook arriving next finds the row.
    _record(uow_factory, clock, waba_id, entry, result, previous, entry.content_hash(), submitted=True)
    return result


async def _wait_for_reviews(
    uow_factory: TemplateUnitOfWorkFactory,
    clock: Clock,
    account: TemplateAccount,
    waba_id: str,
    entries: list[TemplateEntry],
    results: list[TemplateSyncResult],
    review_timeout: float,
    poll_every: float,
) -> list[TemplateSyncResult]:
    """Waits (one shared deadline) for every template still under review; records each decision."""
    deadline = time.monotonic() + review_timeout
    decided: list[TemplateSyncResult] = []
    for entry, result in zip(entries, results, strict=True):
        if result.status not in UNDER_REVIEW or result.template_id is None:
            decided.append(result)
            continue
        remaining = max(0.0, deadline - time.monotonic())
        info = await account.wait_for_review(entry.name, entry.language, remaining, poll_every)
        if info is None:
            reason = f"still under review after waiting {review_timeout:g} s; run the sync again later"
            decided.append(replace(result, reason=reason))
            continue
        new = replace(result, status=info.status, reason=_meta_reason(info), template_id=info.id)
        with uow_factory() as uow:
            previous = uow.templates.get(waba_id, entry.name, entry.language)
        _record(uow_factory, clock, waba_id, entry, new, previous, entry.content_hash())
        decided.append(new)
    return decided


def _record(
    uow_factory: TemplateUnitOfWorkFactory,
    clock: Clock,
    waba_id: str,
    entry: TemplateEntry,
    result: TemplateSyncResult,
    previous: StoredTemplate | None,
    content_hash: str,
    extra: dict[str, Any] | None = None,
    *,
    submitted: bool = False,
) -> None:
    """Stores the template's status when it changed, with its audit event, in one short transaction."""
    reason = result.reason or None
    template_id = (
        result.template_id if result.template_id is not None else (previous.template_id if previous else None)
    )
    unchanged = previous is not None and (
        previous.status,
        previous.reason,
        previous.template_id,
        previous.content_hash,
    ) == (result.status, reason, template_id, content_hash)
    if unchanged and not submitted:
        return
    now = clock.now()
    record = StoredTemplate(
        waba_id=waba_id,
        name=entry.name,
        language=entry.language,
        category=entry.category,
        status=result.status,
        content_hash=content_hash,
        updated_at=now,
        template_id=template_id,
        reason=reason,
    )
    data: dict[str, Any] = {
        "waba_id": waba_id,
        "name": entry.name,
        "language": entry.language,
        "status": result.status,
        "action": result.action.value,
        **({"template_id": template_id} if template_id else {}),
        **({"reason": reason} if reason else {}),
        **(extra or {}),
    }
    status_changed = previous is None or previous.status != result.status
    with uow_factory() as uow:
        uow.templates.upsert(record)
        if submitted:
            submission = {**data, "content_hash": content_hash, "category": entry.category}
            uow.events.append(AuditEvent(EventKind.TEMPLATE_SUBMITTED, now, ACTOR, data=submission))
        if status_changed and result.status not in UNDER_REVIEW:
            uow.events.append(AuditEvent(EventKind.TEMPLATE_REVIEWED, now, ACTOR, data=data))
        uow.commit()


def _meta_reason(template: RemoteTemplate) -> str:
    reason = template.rejected_reason
    return reason if reason and reason != "NONE" else ""


def _finding_data(finding: WordingFinding) -> dict[str, str]:
    return {
        "category": str(finding.category),
        "severity": str(finding.severity),
        "phrase": finding.phrase,
        "where": finding.where,
    }
