"""`cobro demo seed` run again (the next day): the collection states are set again, nothing is duplicated."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cobro.adapters.db import tables as t
from cobro.demo.collection_states import apply_collection_states
from cobro.demo.seed import seed_demo


def _old_invoices(engine):
    with engine.connect() as connection:
        query = select(t.invoices.c.reference, t.invoices.c.status).where(
            t.invoices.c.reference.like("OLD-%")
        )
        return sorted(connection.execute(query).all())


def _opted_out(engine):
    with engine.connect() as connection:
        query = select(func.count()).select_from(t.debtors).where(t.debtors.c.opted_out_at.is_not(None))
        return connection.execute(query).scalar_one()


def test_seeding_the_demo_again_sets_the_same_states_and_adds_nothing(engine, uow_factory, clock):
    seed_demo(uow_factory, clock, debtors=60)
    first = apply_collection_states(engine, clock.now())
    old = _old_invoices(engine)
    clock.set(clock.now() + timedelta(days=1))
    seed_demo(uow_factory, clock, debtors=60)
    second = apply_collection_states(engine, clock.now())
    assert second == first
    assert old
    assert _old_invoices(engine) == old
    assert _opted_out(engine) == first["opted_out"] > 0
