"""What the person at a debtor's phone told Cobro, kept on the debtor: opt-out, wrong number, right party.

Written inside the webhook's transaction, so the flag is stored with the message that set it or not at all.
Rows are read `FOR UPDATE` in id order on PostgreSQL (SQLite has one writer), so two deliveries about the same
debtor neither lose a widening nor deadlock.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from cobro.adapters.db.tables import debtors
from cobro.domain.accounts import OptOut
from cobro.domain.compliance.opt_out import OptOutEffect, merge_opt_out
from cobro.domain.messaging import DebtorLink


class SqlDebtorFlags:
    """Opt-out, wrong-number and right-party flags in the debtors table."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def debtors_by_phone(self, phones: Collection[str]) -> dict[str, list[DebtorLink]]:
        """Every debtor (of any creditor) at each E.164 phone, by phone, lowest id first."""
        d = debtors.c
        found: dict[str, list[DebtorLink]] = {}
        wanted = sorted(set(phones))
        if not wanted:
            return found
        query = select(d.phone, d.id, d.creditor_id).where(d.phone.in_(wanted)).order_by(d.phone, d.id)
        for phone, debtor_id, creditor_id in self._connection.execute(query):
            found.setdefault(phone, []).append(DebtorLink(debtor_id=debtor_id, creditor_id=creditor_id))
        return found

    def record_opt_out(
        self, debtor_ids: Collection[int], opt_out: OptOut, now: datetime
    ) -> dict[int, OptOutEffect]:
        """Stores the opt-out on each debtor: set when none, widened when narrower, else kept as it is."""
        d = debtors.c
        ids = sorted(set(debtor_ids))
        if not ids:
            return {}
        query = (
            select(d.id, d.opted_out_at, d.opt_out_scope, d.opt_out_source)
            .where(d.id.in_(ids))
            .order_by(d.id)
            .with_for_update()
        )
        effects: dict[int, OptOutEffect] = {}
        changes: list[dict[str, object]] = []
        for row in self._connection.execute(query):
            current = None
            if row.opted_out_at is not None:
                current = OptOut(row.opted_out_at, row.opt_out_scope or "channel", row.opt_out_source or "")
            merged, effect = merge_opt_out(current, opt_out)
            effects[row.id] = effect
            if merged != current:
                changes.append(
                    {"debtor": row.id, "at": merged.at, "scope": merged.scope, "source": merged.source[:200]}
                )
        if changes:
            self._connection.execute(
                update(debtors)
                .where(d.id == bindparam("debtor"))
                .values(
                    opted_out_at=bindparam("at"),
                    opt_out_scope=bindparam("scope"),
                    opt_out_source=bindparam("source"),
                    updated_at=now,
                ),
                changes,
            )
        return effects

    def record_wrong_number(self, debtor_ids: Collection[int], at: datetime, now: datetime) -> set[int]:
        """Marks each debtor's phone as not theirs (the first report is kept); returns those newly marked."""
        return self._set_once("wrong_number_at", debtor_ids, at, now)

    def confirm_right_party(self, debtor_ids: Collection[int], at: datetime, now: datetime) -> set[int]:
        """Records that the debtor confirmed being the person addressed; returns those newly confirmed."""
        return self._set_once("right_party_confirmed_at", debtor_ids, at, now)

    def _set_once(self, column: str, debtor_ids: Collection[int], at: datetime, now: datetime) -> set[int]:
        ids = sorted(set(debtor_ids))
        if not ids:
            return set()
        d = debtors.c
        target = d[column]
        result = self._connection.execute(
            update(debtors)
            .where(d.id.in_(ids), target.is_(None))
            .values({target: at, d.updated_at: now})
            .returning(d.id)
        )
        return {row[0] for row in result}
