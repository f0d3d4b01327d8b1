"""Imports a creditor's overdue accounts: validate every row, check across rows, then store all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from cobro.app.account_rows import RowValidator
from cobro.app.creditors import get_creditor
from cobro.app.ports import AccountImportBatch, EncodedStaging, RowEncoder
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
    for checked in _in_order(_check_chunk, (validator,), rows, workers):
        yield from checked


def _in_order(
    work: Callable[..., Any], args: tuple[Any, ...], rows: Iterable[RawRow], workers: int
) -> Iterator[Any]:
    """work(*args, chunk) for each chunk of rows, in file order; on several processes when workers > 1."""
    if workers <= 1:
        for chunk in _chunks(rows, CHUNK):
            yield work(*args, chunk)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = []
        for chunk in _chunks(rows, CHUNK):
            pending.append(pool.submit(work, *args, chunk))
            if len(pending) >= workers * 2:  # bounded read-ahead keeps memory flat
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


@dataclass
class _Encoded:
    """A chunk whose rows were all valid, already encoded for the database, with its zone notes."""

    payload: Any
    rows: int
    zone_notes: dict[str, list[int | str]]


def _check_encode_chunk(
    validator: RowValidator, encode: RowEncoder, chunk: Sequence[RawRow]
) -> _Encoded | list[Checked]:
    """Validates a chunk where it runs; a chunk of valid rows comes back encoded, small and quick to pass on."""
    checked = _check_chunk(validator, chunk)
    rows = [row for row in checked if not isinstance(row, list)]
    if len(rows) < len(checked):
        return checked  # a chunk with a problem goes back row by row, to stop at the same row as ever
    zone_notes: dict[str, list[int | str]] = {}
    for row in rows:
        _note_zone(zone_notes, row)
    return _Encoded(encode(rows), len(rows), zone_notes)


def _note_zone(zone_notes: dict[str, list[int | str]], row: AccountRow) -> None:
    if row.time_zone_source != "file" and " " in row.time_zone_candidates:
        note = zone_notes.setdefault(row.country, [row.time_zone, 0, row.line])
        note[1] = int(note[1]) + 1


def _checked_chunks(
    rows: Iterable[RawRow], validator: RowValidator, batch: AccountImportBatch, workers: int
) -> Iterator[_Encoded | list[Checked]]:
    """Checked rows chunk by chunk; encoded where they were validated when the batch can take them so."""
    if isinstance(batch, EncodedStaging):
        yield from _in_order(_check_encode_chunk, (validator, batch.row_encoder()), rows, workers)
    else:
        yield from _in_order(_check_chunk, (validator,), rows, workers)


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
        for result in _checked_chunks(rows, validator, batch, workers):
            if isinstance(result, _Encoded):
                total += result.rows
                for country, (zone, count, first_line) in result.zone_notes.items():
                    note = zone_notes.setdefault(country, [zone, 0, first_line])
                    note[1] = int(note[1]) + int(count)
                assert isinstance(batch, EncodedStaging)
                batch.stage_encoded(result.payload)
                if on_progress:
                    on_progress(total)
                continue
            for checked in result:
                total += 1
                if isinstance(checked, list):
                    _keep(outcome, checked, max_problems)
                    if outcome.more_problems:
                        break
                    continue
                _note_zone(zone_notes, checked)
                buffer.append(checked)
                if len(buffer) >= CHUNK:
                    batch.stage(buffer)
                    buffer = []
                    if on_progress:
                        on_progress(total)
            if outcome.more_problems:
                break
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
