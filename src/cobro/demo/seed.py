"""`cobro demo seed`: the demo creditor and a few hundred debtors that exercise every escalation stage."""

from __future__ import annotations

import contextlib

from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import ImportOutcome, RawRow, import_accounts
from cobro.app.uow import UnitOfWorkFactory
from cobro.demo.accounts import AccountRowGenerator
from cobro.domain.clock import Clock
from cobro.domain.errors import AlreadyExists, InvalidInput

DEMO_SLUG = "demo"


def seed_demo(
    uow_factory: UnitOfWorkFactory, clock: Clock, *, debtors: int = 300, seed: int = 7
) -> ImportOutcome:
    """Creates (or refreshes) the demo creditor's accounts; due dates are relative to today."""
    with contextlib.suppress(AlreadyExists):
        add_creditor(
            uow_factory,
            clock,
            slug=DEMO_SLUG,
            name="Cobro Demo Collections",
            country="ES",
            currency="EUR",
            language="es",
            actor="demo",
        )
    today = clock.now().date()
    generator = AccountRowGenerator(seed=seed, today=today)
    rows: list[RawRow] = [
        (line, row) for line, row in enumerate(generator.debtors(debtors, prefix="D"), start=2)
    ]
    outcome = import_accounts(
        uow_factory, clock, rows, creditor_slug=DEMO_SLUG, source_name=f"demo-seed-{seed}", actor="demo"
    )
    if not outcome.ok:
        raise InvalidInput("demo data did not validate: " + "; ".join(map(str, outcome.problems[:5])))
    return outcome
