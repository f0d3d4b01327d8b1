"""What the planner reads and writes: debtors in id order with their accounts and recent contacts, and the
contact decisions it makes, each send with its outbox row (in the same transaction).

Reads are batched per page of debtors (a few queries per page, whatever its size), so planning a million
accounts streams through the database in constant memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import Connection, DateTime, Table, and_, bindparam, func, literal, or_, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from cobro.adapters.db.tables import (
    accounts,
    contact_decisions,
    creditors,
    debtors,
    invoices,
    outbox,
    whatsapp_messages,
)
from cobro.adapters.db.types import UTCDateTime
from cobro.app.ports import PlanningCase, StoredDecision
from cobro.domain.accounts import Consent, ConsentMethod, OptOut
from cobro.domain.contact import (
    AccountContext,
    Action,
    ContactHistory,
    ContactRecord,
    DebtorContext,
    MessageKind,
    PlanStatus,
)
from cobro.domain.money import Money
from cobro.domain.outbox import WITHDRAWN_STATES, OutboxState
from cobro.i18n.currencies import find_currency

# Outbox states of a planned send that no longer counts as contact; and of one that never reached the debtor.
# (Plain strings: psycopg would bind an Enum member by its name.)
_WITHDRAWN = tuple(sorted(state.value for state in WITHDRAWN_STATES))
_NEVER_REACHED = tuple(sorted({*_WITHDRAWN, OutboxState.FAILED.value}))

# Restricts a debtor_id column to the debtors being read (an id range for a page, a list for a claim).
_DebtorFilter = Callable[[Any], Any]

_DEBTOR_COLUMNS = (
    "id", "creditor_id", "phone", "country", "language", "time_zone", "time_zone_candidates", "region",
    "consent_method", "consent_at", "consent_source", "consent_scope", "opted_out_at", "opt_out_scope",
    "opt_out_source", "wrong_number_at", "right_party_confirmed_at",
)  # fmt: skip
_ACCOUNT_COLUMNS = (
    "id", "creditor_id", "debtor_id", "reference", "currency", "disputed_at", "hardship_at", "promise_until",
    "promise_broken_at", "plan_status",
)  # fmt: skip


class SqlPlanning:
    """Planner reads and decision writes on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgresql = connection.dialect.name == "postgresql"

    def _columns(self, table: Table, names: Sequence[str]) -> list[Any]:
        """The named columns; on PostgreSQL timestamps are read as the driver gives them (already aware),
        skipping UTCDateTime's per-value conversion, which SQLite's naive strings need."""
        columns = [table.c[name] for name in names]
        if not self._postgresql:
            return columns
        return [
            type_coerce(c, DateTime(timezone=True)).label(c.name) if isinstance(c.type, UTCDateTime) else c
            for c in columns
        ]

    def debtor_id_range(self, creditor_id: int | None) -> tuple[int, int] | None:
        """The lowest and highest debtor id (of one creditor when given), None when there are none."""
        query = select(func.min(debtors.c.id), func.max(debtors.c.id))
        if creditor_id is not None:
            query = query.where(debtors.c.creditor_id == creditor_id)
        low, high = self._connection.execute(query).one()
        return None if low is None else (int(low), int(high))

    def cases(
        self,
        after_debtor_id: int,
        limit: int,
        creditor_id: int | None,
        since: datetime,
        until_debtor_id: int | None = None,
    ) -> tuple[list[PlanningCase], int | None]:
        """The next `limit` debtors after `after_debtor_id` (of one creditor when given) with their accounts
        and contact history since `since`; returns the cases and the last debtor id read (None at the end)."""
        d = debtors
        query = select(*self._columns(d, _DEBTOR_COLUMNS)).where(d.c.id > after_debtor_id)
        query = query.order_by(d.c.id).limit(limit)
        if creditor_id is not None:
            query = query.where(d.c.creditor_id == creditor_id)
        if until_debtor_id is not None:
            query = query.where(d.c.id <= until_debtor_id)
        debtor_rows = self._connection.execute(query).all()
        if not debtor_rows:
            return [], None
        first, last = debtor_rows[0].id, debtor_rows[-1].id

        # The page is a contiguous id range: range conditions use the debtor_id indexes best.
        def in_page(column: Any) -> Any:
            return and_(column >= first, column <= last)

        cases = self._cases(debtor_rows, in_page, since)
        return [case for case in cases if case.accounts], last

    def cases_of(self, debtor_ids: Collection[int], since: datetime) -> list[PlanningCase]:
        """These debtors (those that exist), by id, with their accounts (none is possible) and contact history
        since `since`, read as `cases` reads a page."""
        ids = sorted(set(debtor_ids))
        if not ids:
            return []
        d = debtors
        query = select(*self._columns(d, _DEBTOR_COLUMNS)).where(d.c.id.in_(ids)).order_by(d.c.id)
        debtor_rows = self._connection.execute(query).all()

        def listed(column: Any) -> Any:
            return column.in_(ids)

        return self._cases(debtor_rows, listed, since)

    def _cases(
        self, debtor_rows: Sequence[Any], within: _DebtorFilter, since: datetime
    ) -> list[PlanningCase]:
        """A case per debtor row; `within(column)` restricts a debtor_id column to these debtors."""
        a = accounts
        account_query = select(*self._columns(a, _ACCOUNT_COLUMNS)).where(within(a.c.debtor_id))
        account_rows = self._connection.execute(account_query.order_by(a.c.debtor_id, a.c.id)).all()
        invoice_rows = self._invoices(within)
        histories = self._histories(within, since)
        by_debtor: dict[int, list[Any]] = defaultdict(list)
        for row in account_rows:
            by_debtor[row[2]].append(row)  # debtor_id
        cases: list[PlanningCase] = []
        for row in debtor_rows:
            debtor_id = row[0]
            account_list = [_account(a, invoice_rows.get(a[0], ())) for a in by_debtor.get(debtor_id, ())]
            history = histories.get(debtor_id, _NO_HISTORY)
            cases.append(PlanningCase(row[1], _debtor(row), tuple(account_list), history))
        return cases

    def _invoices(self, within: _DebtorFilter) -> dict[int, list[tuple[Any, ...]]]:
        i = invoices
        query = (
            select(
                i.c.account_id,
                i.c.reference,
                i.c.currency,
                i.c.amount_minor,
                i.c.outstanding_minor,
                i.c.due_date,
                i.c.payment_link,
                i.c.status,
                i.c.settled_at,
            )
            .join(accounts, accounts.c.id == i.c.account_id)
            .where(within(accounts.c.debtor_id))
        )
        grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in self._connection.execute(query).all():
            grouped[row[0]].append(tuple(row))
        return grouped

    def _histories(self, within: _DebtorFilter, since: datetime) -> dict[int, ContactHistory]:
        c = contact_decisions
        o = outbox
        m = whatsapp_messages
        records: dict[int, list[ContactRecord]] = defaultdict(list)
        # A planned send stands where its outbox row stands: its message's status once sent, "failed" when
        # the pipeline gave up on it, and not at all when withdrawn (it never reached the debtor).
        # The row has its decision's debtor and was created when it was decided (so after `since`): saying
        # so lets the database read the page's rows by ix_outbox_debtor_created instead of the whole outbox.
        sent_as = and_(o.c.decision_id == c.c.id, within(o.c.debtor_id), o.c.created_at >= since)
        planned = (
            select(
                c.c.debtor_id,
                c.c.decided_at,
                c.c.kind,
                c.c.stage,
                c.c.account_id,
                o.c.id.label("outbox_id"),
                o.c.state,
                m.c.status,
                m.c.status_at,
            )
            .select_from(c.outerjoin(o, sent_as).outerjoin(m, m.c.wamid == o.c.wamid))
            .where(
                within(c.c.debtor_id),
                c.c.action == Action.SEND.value,
                c.c.decided_at >= since,
                or_(o.c.state.is_(None), o.c.state.not_in(_WITHDRAWN)),
            )
        )
        for row in self._connection.execute(planned).all():
            records[row.debtor_id].append(_sent_record(row, row.decided_at, row.stage))
        # Templates sent outside the planner (the demo's first message, an agent's template) count too;
        # free-form replies inside the service window do not (the gate does not cap them either).
        unplanned = select(m.c.debtor_id, m.c.occurred_at, m.c.status, m.c.status_at).where(
            within(m.c.debtor_id),
            m.c.direction == "out",
            m.c.type == "template",
            m.c.occurred_at >= since,
            ~select(o.c.id).where(o.c.wamid == m.c.wamid).exists(),
        )
        for row in self._connection.execute(unplanned).all():
            records[row.debtor_id].append(
                ContactRecord(
                    at=row.occurred_at,
                    kind=MessageKind.COLLECTION,
                    status=row.status,
                    read_at=row.status_at if row.status == "read" else None,
                )
            )
        # Templates the conversations wrote whole (an opt-out confirmation, a receipt, a promise follow-up, an
        # instalment reminder, an agent's follow-up: outbox rows with no decision) count like planned sends;
        # the bot's free-form replies inside the window do not.
        prepared = (
            select(
                o.c.debtor_id,
                o.c.created_at,
                o.c.kind,
                o.c.account_id,
                o.c.id.label("outbox_id"),
                o.c.state,
                m.c.status,
                m.c.status_at,
            )
            .select_from(o.outerjoin(m, m.c.wamid == o.c.wamid))
            .where(
                within(o.c.debtor_id),
                o.c.decision_id.is_(None),
                o.c.template.isnot(None),
                o.c.created_at >= since,
                o.c.state.not_in(_WITHDRAWN),
            )
        )
        for row in self._connection.execute(prepared).all():
            records[row.debtor_id].append(_sent_record(row, row.created_at, None))
        # An unanswered right-party check is remembered whatever its age: the planner waits for the answer
        # instead of asking again once the check leaves the history window. One that never reached the
        # debtor (withdrawn or failed) asks nothing.
        asked = (
            select(c.c.debtor_id, func.max(c.c.decided_at).label("asked_at"))
            .where(
                within(c.c.debtor_id),
                c.c.action == Action.SEND.value,
                c.c.kind == MessageKind.RIGHT_PARTY_CHECK.value,
                c.c.decided_at < since,
                ~select(o.c.id).where(o.c.decision_id == c.c.id, o.c.state.in_(_NEVER_REACHED)).exists(),
            )
            .group_by(c.c.debtor_id)
        )
        for row in self._connection.execute(asked).all():
            records[row.debtor_id].append(
                ContactRecord(at=row.asked_at, kind=MessageKind.RIGHT_PARTY_CHECK, stage="right_party_check")
            )
        inbound = (
            select(m.c.debtor_id, func.max(m.c.occurred_at).label("last_in"))
            .where(within(m.c.debtor_id), m.c.direction == "in")
            .group_by(m.c.debtor_id)
        )
        last_inbound = {row.debtor_id: row.last_in for row in self._connection.execute(inbound).all()}
        histories: dict[int, ContactHistory] = {}
        for debtor_id in set(records) | set(last_inbound):
            outbound = tuple(sorted(records.get(debtor_id, ()), key=lambda r: r.at))
            last_in = last_inbound.get(debtor_id)
            latest_out = outbound[-1].at if outbound else None
            replied = (
                last_in if last_in is not None and (latest_out is None or last_in > latest_out) else None
            )
            histories[debtor_id] = ContactHistory(
                outbound=outbound, last_inbound_at=last_in, replied_since=replied
            )
        return histories

    def add_decisions(self, decisions: Sequence[StoredDecision]) -> int:
        """Stores the decisions whose idempotency key is not taken, and an outbox row (`planned`, keyed like
        its decision) for each stored send, in this transaction; returns how many decisions it stored.

        On PostgreSQL the page is copied (`COPY`) into a session-local staging table and moved with one
        statement: `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING` into contact_decisions, whose
        returned sends feed the outbox `INSERT ... SELECT` in the same statement. COPY is about 2.4 times
        faster than one JSON parameter through `json_to_recordset`, and far faster than a long multi-row
        VALUES list, which psycopg re-parses for every page (bench/plan.py). SQLite takes the decisions as
        executemany parameters, then one `INSERT ... SELECT` writes the outbox rows of the sends it stored.
        """
        if not decisions:
            return 0
        if self._postgresql:
            return self._copy_decisions(decisions)
        dialect_name = self._connection.dialect.name
        stored = self._connection.execute(
            _insert_statement(dialect_name), [_decision_row(d) for d in decisions]
        ).all()
        sends = [row.id for row in stored if row.action == Action.SEND.value]
        if sends:
            self._connection.execute(_sqlite_outbox_statement(), {"ids": _json.encode(sends).decode()})
        return len(stored)

    def _copy_decisions(self, decisions: Sequence[StoredDecision]) -> int:
        cursor = self._connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(_PG_STAGE)
            with cursor.copy(_PG_COPY) as copy:
                for decision in decisions:
                    copy.write_row(_decision_values(decision))
            cursor.execute(_PG_MOVE)
            row = cursor.fetchone()
            stored = int(row[0]) if row else 0
            cursor.execute("TRUNCATE contact_decisions_stage")
        finally:
            cursor.close()
        return stored


_COLUMNS = (
    "idempotency_key", "creditor_id", "account_id", "debtor_id", "decided_at", "local_date", "action", "kind",
    "stage", "segments", "template", "language", "not_before", "rules", "reason", "jurisdiction",
    "rules_version", "inputs",
)  # fmt: skip
# An outbox row per stored send: keyed like its decision, due when the decision allows (not_before) or at
# once, sent from the creditor's own number (NULL: the configured default).
_OUTBOX_COLUMNS = (
    "idempotency_key", "decision_id", "creditor_id", "debtor_id", "account_id", "phone_number_id", "kind",
    "stage", "template", "language", "state", "due_at", "attempts", "created_at", "updated_at",
)  # fmt: skip
_PG_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS contact_decisions_stage AS "
    f"SELECT {', '.join(_COLUMNS)} FROM contact_decisions WITH NO DATA"
)
_PG_COPY = f"COPY contact_decisions_stage ({', '.join(_COLUMNS)}) FROM STDIN"
_PG_MOVE = (
    f"WITH stored AS (INSERT INTO contact_decisions ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} "
    "FROM contact_decisions_stage ON CONFLICT (idempotency_key) DO NOTHING "
    "RETURNING id, idempotency_key, creditor_id, debtor_id, account_id, action, kind, stage, template, "
    "language, not_before, decided_at), "
    f"queued AS (INSERT INTO outbox ({', '.join(_OUTBOX_COLUMNS)}) "
    "SELECT s.idempotency_key, s.id, s.creditor_id, s.debtor_id, s.account_id, c.whatsapp_phone_number_id, "
    f"s.kind, s.stage, s.template, s.language, '{OutboxState.PLANNED.value}', "
    "COALESCE(s.not_before, s.decided_at), 0, s.decided_at, s.decided_at "
    f"FROM stored s JOIN creditors c ON c.id = s.creditor_id WHERE s.action = '{Action.SEND.value}' "
    "ORDER BY s.idempotency_key ON CONFLICT (idempotency_key) DO NOTHING) "
    "SELECT count(*) FROM stored"
)
_json = msgspec.json.Encoder()


def _decision_values(decision: StoredDecision) -> tuple[Any, ...]:
    """One decision as a COPY row, in _COLUMNS order, JSON columns encoded."""
    p = decision.planned
    inputs = {**p.inputs, "strategy_rules": list(p.strategy_rules)} if p.strategy_rules else p.inputs
    return (
        p.idempotency_key(), p.account.creditor_id, p.account.id, p.debtor.id, decision.decided_at,
        p.local_date, p.action.value, p.kind.value, p.stage, _json.encode(list(p.segments)).decode(),
        p.template, p.language, p.not_before, _json.encode(list(p.rules)).decode(), p.reason,
        p.jurisdiction or "", p.rules_version or "", _json.encode(inputs).decode(),
    )  # fmt: skip


@cache
def _insert_statement(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = contact_decisions
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id, table.c.action)
    )


@cache
def _sqlite_outbox_statement() -> Any:
    """The outbox rows of the sends whose decision ids are in the JSON array `ids` (SQLite)."""
    c, cr = contact_decisions.c, creditors.c
    stored_ids = select(func.json_each(bindparam("ids")).table_valued("value").c.value).scalar_subquery()
    rows = (
        select(
            c.idempotency_key,
            c.id,
            c.creditor_id,
            c.debtor_id,
            c.account_id,
            cr.whatsapp_phone_number_id,
            c.kind,
            c.stage,
            c.template,
            c.language,
            literal(OutboxState.PLANNED.value),
            func.coalesce(c.not_before, c.decided_at),
            literal(0),
            c.decided_at,
            c.decided_at,
        )
        .join(creditors, cr.id == c.creditor_id)
        .where(c.id.in_(stored_ids))
        .order_by(c.idempotency_key)
    )
    return (
        sqlite.insert(outbox)
        .from_select(list(_OUTBOX_COLUMNS), rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )


def _decision_row(decision: StoredDecision) -> dict[str, Any]:
    p = decision.planned
    return {
        "idempotency_key": p.idempotency_key(),
        "creditor_id": p.account.creditor_id,
        "account_id": p.account.id,
        "debtor_id": p.debtor.id,
        "decided_at": decision.decided_at,
        "local_date": p.local_date,
        "action": p.action.value,
        "kind": p.kind.value,
        "stage": p.stage,
        "segments": list(p.segments),
        "template": p.template,
        "language": p.language,
        "not_before": p.not_before,
        "rules": list(p.rules),
        "reason": p.reason,
        "jurisdiction": p.jurisdiction or "",
        "rules_version": p.rules_version or "",
        "inputs": {**p.inputs, "strategy_rules": list(p.strategy_rules)} if p.strategy_rules else p.inputs,
    }


def _debtor(row: Any) -> DebtorContext:
    # Positional unpacking in _DEBTOR_COLUMNS order: several times faster than Row attribute access, and
    # this runs once per debtor in every planning run.
    (
        id_, _, phone, country, language, time_zone, candidates, region, consent_method, consent_at,
        consent_source, consent_scope, opted_out_at, opt_out_scope, opt_out_source, wrong_number_at,
        right_party_confirmed_at,
    ) = row  # fmt: skip
    zones = tuple(dict.fromkeys((time_zone, *candidates.split())))
    consent = None
    if consent_method:
        consent = Consent(
            given_at=consent_at,
            method=_CONSENT_METHOD[consent_method],
            source=consent_source or "",
            scope=consent_scope or "collections",
        )
    opt_out = None
    if opted_out_at is not None:
        opt_out = OptOut(at=opted_out_at, scope=opt_out_scope or "channel", source=opt_out_source or "")
    return DebtorContext(
        id=id_,
        phone=phone,
        country=country,
        language=language,
        time_zones=zones,
        region=region,
        consent=consent,
        opt_out=opt_out,
        wrong_number_at=wrong_number_at,
        right_party_confirmed_at=right_party_confirmed_at,
    )


def _account(row: Any, invoice_rows: Sequence[tuple[Any, ...]]) -> AccountContext:
    # Positional, in _ACCOUNT_COLUMNS order (see _debtor).
    (
        id_, creditor_id, _, reference, currency, disputed_at, hardship_at, promise_until, promise_broken_at,
        plan_status,
    ) = row  # fmt: skip
    scale = _scale(currency)
    outstanding = billed = late = count = 0
    oldest: tuple[Any, ...] | None = None
    # Invoice tuples: account_id, reference, currency, amount, outstanding, due_date, payment_link, status,
    # settled_at. One pass: this runs once per account in every planning run.
    for invoice in invoice_rows:
        if invoice[7] == "open":
            count += 1
            outstanding += invoice[4]
            billed += invoice[3]
            if oldest is None or (invoice[5], invoice[1]) < (oldest[5], oldest[1]):
                oldest = invoice
        elif invoice[8] is not None and invoice[8].date() > invoice[5]:  # settled after its due date
            late += 1
    return AccountContext(
        id=id_,
        reference=reference,
        creditor_id=creditor_id,
        outstanding=Money(Decimal(outstanding) * scale, currency),
        oldest_due_date=oldest[5] if oldest else None,
        open_invoices=count,
        invoice_reference=oldest[1] if oldest else None,
        payment_link=oldest[6] if oldest else None,
        original_amount=Money(Decimal(billed) * scale, currency),
        paid_late_before=late,
        disputed_at=disputed_at,
        hardship_at=hardship_at,
        promise_until=promise_until,
        promise_broken_at=promise_broken_at,
        plan_status=_PLAN_STATUS[plan_status or "none"],
    )


_NO_HISTORY = ContactHistory()  # immutable, so one shared instance serves every debtor without contacts
_CONSENT_METHOD = {method.value: method for method in ConsentMethod}
_PLAN_STATUS = {status.value: status for status in PlanStatus}


@cache
def _scale(currency: str) -> Decimal:
    found = find_currency(currency)
    return found.quantum() if found else Decimal("0.01")


def _sent_record(row: Any, at: datetime, stage: str | None) -> ContactRecord:
    """A send in the history as its outbox row stands: its message's status once sent, "failed" when the
    pipeline gave up on it."""
    status = row.status or (OutboxState.FAILED.value if row.state == OutboxState.FAILED else None)
    return ContactRecord(
        at=at,
        kind=MessageKind(row.kind),
        stage=stage,
        account_id=row.account_id,
        status=status,
        read_at=row.status_at if status == "read" else None,
        outbox_id=row.outbox_id,
    )
