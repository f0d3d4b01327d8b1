"""Gives the demo accounts the collection states a real portfolio has, so `cobro plan` shows every segment
and every block: confirmed and unconfirmed debtors, disputes, hardship, promises kept and broken, plans
current and broken, partial and habitual late payers, opt-outs, wrong numbers and a Massachusetts debtor.

Deterministic: the same seed gives the same states, chosen by account id order.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Table, insert, select, update

from cobro.adapters.db import tables as t

DEMO_SLUG = "demo"


def apply_collection_states(engine: Engine, now: datetime, seed: int = 7) -> dict[str, int]:
    """Sets the demo creditor's account and debtor states; returns how many of each it set."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        creditor_id = connection.execute(
            select(t.creditors.c.id).where(t.creditors.c.slug == DEMO_SLUG)
        ).scalar_one_or_none()
        if creditor_id is None:
            return counts
        debtor_rows = connection.execute(
            select(t.debtors.c.id, t.debtors.c.country)
            .where(t.debtors.c.creditor_id == creditor_id)
            .order_by(t.debtors.c.id)
        ).all()
        debtor_ids = [r.id for r in debtor_rows]
        # Most debtors gave this number themselves and confirmed it; a fifth are not confirmed yet.
        confirmed = [d for d in debtor_ids if rng.random() < 0.8]
        _set(connection, t.debtors, confirmed, right_party_confirmed_at=now - timedelta(days=200))
        counts["right_party_confirmed"] = len(confirmed)
        rest = [d for d in debtor_ids if d not in set(confirmed)]
        _set(connection, t.debtors, rest[:3], wrong_number_at=now - timedelta(days=2))
        counts["wrong_number"] = len(rest[:3])
        opted = confirmed[:4]
        _set(
            connection,
            t.debtors,
            opted,
            opted_out_at=now - timedelta(days=1),
            opt_out_scope="channel",
            opt_out_source="demo: replied STOP",
        )
        counts["opted_out"] = len(opted)
        us = [r.id for r in debtor_rows if r.country == "US"][:3]
        _set(connection, t.debtors, us, region="MA")
        counts["us_ma"] = len(us)

        account_ids = list(
            connection.execute(
                select(t.accounts.c.id)
                .where(t.accounts.c.creditor_id == creditor_id, t.accounts.c.debtor_id.not_in(opted))
                .order_by(t.accounts.c.id)
            ).scalars()
        )
        picks = iter(rng.sample(account_ids, min(len(account_ids), 48)))

        def take(n: int) -> list[int]:
            return [next(picks) for _ in range(n)]

        today = now.date()
        states: list[tuple[str, list[int], dict[str, object]]] = [
            ("disputed", take(4), {"disputed_at": now - timedelta(days=3)}),
            ("hardship", take(3), {"hardship_at": now - timedelta(days=6)}),
            ("promise_pending", take(4), {"promise_until": today + timedelta(days=5)}),
            (
                "promise_broken",
                take(4),
                {"promise_until": today - timedelta(days=2), "promise_broken_at": now - timedelta(days=1)},
            ),
            ("plan_current", take(4), {"plan_status": "current"}),
            ("plan_broken", take(3), {"plan_status": "broken"}),
        ]
        for name, ids, values in states:
            _set(connection, t.accounts, ids, **values)
            counts[name] = len(ids)
        # Partial payers: half of the oldest open invoice paid.
        partial = take(6)
        for account_id in partial:
            connection.execute(
                update(t.invoices)
                .where(t.invoices.c.account_id == account_id, t.invoices.c.status == "open")
                .values(outstanding_minor=t.invoices.c.amount_minor / 2)
            )
        counts["partial_payer"] = len(partial)
        # Habitual late payers: two earlier invoices, settled after their due dates.
        habitual = take(6)
        for account_id in habitual:
            currency = connection.execute(
                select(t.accounts.c.currency).where(t.accounts.c.id == account_id)
            ).scalar_one()
            for months in (2, 3):
                due = today - timedelta(days=30 * months)
                reference = f"OLD-{account_id}-{months}"
                if connection.execute(
                    select(t.invoices.c.id).where(
                        t.invoices.c.creditor_id == creditor_id, t.invoices.c.reference == reference
                    )
                ).first():
                    continue
                connection.execute(
                    insert(t.invoices).values(
                        creditor_id=creditor_id,
                        account_id=account_id,
                        reference=reference,
                        currency=currency,
                        amount_minor=5000,
                        outstanding_minor=0,
                        due_date=due,
                        status="paid",
                        settled_at=datetime.combine(
                            due + timedelta(days=12), datetime.min.time(), now.tzinfo
                        ),
                        created_at=now,
                        updated_at=now,
                    )
                )
        counts["habitual_late"] = len(habitual)
    return counts


def _set(connection: Connection, table: Table, ids: list[int], **values: object) -> None:
    if ids:
        connection.execute(update(table).where(table.c.id.in_(ids)).values(**values))
