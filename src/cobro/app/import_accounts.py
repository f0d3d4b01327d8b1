"""Imports a creditor's overdue accounts: validate every row, check across rows, then store all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from cobro.app.account_rows import RowValidator
from cobro.app.creditors import get_creditor
from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem, ZoneNote

# A raw row, or a problem the file reader already found in it (a row with the wrong number of fields).
RawRow = tuple[int, Mapping[str, str] | RowProblem]
Checked = AccountRow | list[RowProblem]
CHUNK = 2_000


@dataclass
class ImportOutcome:
    """What an import did: its counts when it was stored, or the problems that stopped it."""

    counts: ImportCounts = field(default_factory=ImportCounts)
    problems: list[RowProblem] = field(default_factory=list)
    more_problems: int = 0
    zone_notes: list[ZoneNote] = field(default_factory=list)
    stored: bool = False
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when the file had no problem."""
        return not self.problems


def _check_chunk(validator: RowValidator, chunk: Sequence[RawRow]) -> list[Checked]:
    return [[raw] if isinstance(raw, RowProblem) else validator.validate(line, raw) for line, raw in chunk]


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def check_rows(rows: Iterable[RawRow], validator: RowValidator, workers: int = 1) -> Iterator[Checked]:
    """Validates rows in file order, in chunks, on several processes when workers > 1."""
    if workers <= 1:
        for chunk in _chunks(rows, CHUNK):
            yield from _check_chunk(validator, chunk)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = []
        for chunk in _chunks(rows, CHUNK):
            pending.append(pool.submit(_check_chunk, validator, chunk))
            if len(pending) >= workers * 2:  # bounded read-ahead keeps memory flat
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()


def import_accounts(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    rows: Iterable[RawRow],
    *,
    creditor_slug: str,
    source_name: str,
    locale: str | None = None,
    dry_run: bool = False,
    full_snapshot: bool = False,
    max_problems: int = 1_000,
    workers: int = 1,
    on_progress: Callable[[int], None] | None = None,
    actor: str = "cli",
) -> ImportOutcome:
    """Validates and stores a file of account rows for one creditor; any problem stores nothing."""
    creditor = get_creditor(uow_factory, creditor_slug)
    assert creditor.id is not None
    validator = RowValidator(creditor, locale=locale, consent_source=f"import:{source_name}")
    outcome = ImportOutcome(dry_run=dry_run)
    zone_notes: dict[str, list[int | str]] = {}
    total = 0
    with uow_factory() as uow:
        batch = uow.account_import(creditor.id)
        buffer: list[AccountRow] = []
        for checked in check_rows(rows, validator, workers):
            total += 1
            if isinstance(checked, list):
                _keep(outcome, checked, max_problems)
                if outcome.more_problems:
                    break
                continue
            if checked.time_zone_source != "file" and " " in checked.time_zone_candidates:
                note = zone_notes.setdefault(checked.country, [checked.time_zone, 0, checked.line])
                note[1] = int(note[1]) + 1
            buffer.append(checked)
            if len(buffer) >= CHUNK:
                batch.stage(buffer)
                buffer = []
                if on_progress:
                    on_progress(total)
        if buffer:
            batch.stage(buffer)
        if on_progress:
            on_progress(total)
        if total == 0:
            outcome.problems.append(RowProblem(0, "", "the file has a header but no rows"))
        if not outcome.more_problems:
            _keep(outcome, batch.cross_row_problems(max_problems), max_problems)
        outcome.problems.sort()
        outcome.zone_notes = [
            ZoneNote(country=c, zone=str(v[0]), rows=int(v[1]), first_line=int(v[2]))
            for c, v in sorted(zone_notes.items())
        ]
        if outcome.problems:
            uow.rollback()
            _record_rejection(uow_factory, clock, creditor.id, source_name, outcome, actor)
            return outcome
        outcome.counts = batch.merge(full_snapshot=full_snapshot, at=clock.now())
        if dry_run:
            uow.rollback()
            return outcome
        uow.events.append(
            AuditEvent(
                kind=EventKind.IMPORT_COMPLETED,
                occurred_at=clock.now(),
                actor=actor,
                creditor_id=creditor.id,
                data={"source": source_name, "full_snapshot": full_snapshot, **_counts(outcome.counts)},
            )
        )
        uow.commit()
        outcome.stored = True
        return outcome


def _keep(outcome: ImportOutcome, problems: list[RowProblem], limit: int) -> None:
    room = limit - len(outcome.problems)
    outcome.problems.extend(problems[: max(room, 0)])
    if len(problems) > room:
        outcome.more_problems += len(problems) - max(room, 0)


def _counts(counts: ImportCounts) -> dict[str, int]:
    return {name: getattr(counts, name) for name in counts.__dataclass_fields__}


def _record_rejection(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    creditor_id: int,
    source_name: str,
    outcome: ImportOutcome,
    actor: str,
) -> None:
    """Keeps a trace of a rejected import (how many problems, never the rows' data)."""
    if outcome.dry_run:
        return
    with uow_factory() as uow:
        uow.events.append(
            AuditEvent(
                kind=EventKind.IMPORT_REJECTED,
                occurred_at=clock.now(),
                actor=actor,
                creditor_id=creditor_id,
                data={"source": source_name, "problems": len(outcome.problems) + outcome.more_problems},
            )
        )
        uow.commit()
