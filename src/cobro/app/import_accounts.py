"""Imports a creditor's overdue accounts: validate every row, check across rows, then store all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

from cobro.app.account_rows import RowValidator
from cobro.app.creditors import get_creditor
from cobro.app.ports import RowEncoder
from cobro.app.uow import UnitOfWorkFactory
from cobro.domain.clock import Clock
from cobro.domain.events import AuditEvent, EventKind
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem, ZoneNote

# A raw row, or a problem the file reader already found in it (a row with the wrong number of fields).
RawRow = tuple[int, Mapping[str, str] | RowProblem]
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


@dataclass
class CheckedChunk:
    """One chunk of the file after validation: its valid rows encoded for the batch, and its problems."""

    rows: int
    payload: Any = None
    problems: list[RowProblem] = field(default_factory=list)
    # country -> [zone used, rows, first line] for rows whose country has several zones and no zone given
    zone_notes: dict[str, list[Any]] = field(default_factory=dict)


def check_chunk(validator: RowValidator, encode: RowEncoder, chunk: Sequence[RawRow]) -> CheckedChunk:
    """Validates a chunk where it runs (maybe another process) and encodes its valid rows there too."""
    result = CheckedChunk(rows=len(chunk))
    valid: list[AccountRow] = []
    for line, raw in chunk:
        checked = [raw] if isinstance(raw, RowProblem) else validator.validate(line, raw)
        if isinstance(checked, list):
            result.problems.extend(checked)
            continue
        valid.append(checked)
        if checked.time_zone_source != "file" and " " in checked.time_zone_candidates:
            note = result.zone_notes.setdefault(checked.country, [checked.time_zone, 0, checked.line])
            note[1] += 1
    if valid:
        result.payload = encode(valid)
    return result


def check_chunks(
    rows: Iterable[RawRow], validator: RowValidator, encode: RowEncoder, workers: int = 1
) -> Iterator[CheckedChunk]:
    """Checked chunks in file order, on several processes when workers > 1, with bounded read-ahead."""
    chunks = _chunks(rows, CHUNK)
    if workers <= 1:
        for chunk in chunks:
            yield check_chunk(validator, encode, chunk)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = []
        for chunk in chunks:
            pending.append(pool.submit(check_chunk, validator, encode, chunk))
            if len(pending) >= workers * 2:  # bounded read-ahead keeps memory flat
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


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
    zone_notes: dict[str, list[Any]] = {}
    total = 0
    with uow_factory() as uow:
        batch = uow.account_import(creditor.id)
        for chunk in check_chunks(rows, validator, batch.row_encoder(), workers):
            total += chunk.rows
            if chunk.payload is not None:
                batch.stage_encoded(chunk.payload)
            for country, (zone, count, first_line) in chunk.zone_notes.items():
                zone_notes.setdefault(country, [zone, 0, first_line])[1] += count
            _keep(outcome, chunk.problems, max_problems)
            if on_progress:
                on_progress(total)
            if outcome.more_problems:
                break  # stop reading: the first problems are enough to fix the file
        if total == 0:
            outcome.problems.append(RowProblem(0, "", "the file has a header but no rows"))
        if not outcome.more_problems:
            _keep(outcome, batch.cross_row_problems(max_problems), max_problems)
        outcome.problems.sort()
        outcome.zone_notes = [
            ZoneNote(c, str(v[0]), int(v[1]), int(v[2])) for c, v in sorted(zone_notes.items())
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
                data={"source": source_name, "full_snapshot": full_snapshot, **asdict(outcome.counts)},
            )
        )
        uow.commit()
        outcome.stored = True
        return outcome


def _keep(outcome: ImportOutcome, problems: list[RowProblem], limit: int) -> None:
    room = max(limit - len(outcome.problems), 0)
    outcome.problems.extend(problems[:room])
    outcome.more_problems += max(len(problems) - room, 0)


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
