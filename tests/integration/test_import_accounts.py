"""Account import against a real database, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from cobro.adapters.db.tables import accounts, audit_events, debtors, invoices
from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from tests.factories import account_row


@pytest.fixture
def acme(uow_factory, clock):
    return add_creditor(uow_factory, clock, slug="acme", name="Acme", country="ES", currency="EUR")


def run(uow_factory, clock, rows, **options):
    raw = [(line, row) for line, row in enumerate(rows, start=2)]
    return import_accounts(uow_factory, clock, raw, creditor_slug="acme", source_name="f.csv", **options)


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def snapshot(engine):
    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(r) for r in connection.execute(select(table)))
            for table in (debtors, accounts, invoices)
        }


GOOD = [
    account_row(1),
    account_row(1, invoice_ref="INV-1b", amount="30"),
    account_row(2, phone="+52 55 1234 5678", country="MX", currency="MXN", timezone="America/Mexico_City"),
]


def test_a_good_file_creates_debtors_accounts_and_invoices(engine, uow_factory, clock, acme):
    outcome = run(uow_factory, clock, GOOD)
    assert outcome.stored
    n = outcome.counts
    assert (n.debtors_created, n.accounts_created, n.invoices_created) == (2, 2, 3)
    with engine.connect() as connection:
        debtor = (
            connection.execute(select(debtors).where(debtors.c.phone == "+525512345678")).mappings().one()
        )
        invoice = connection.execute(select(invoices).where(invoices.c.reference == "INV-1")).mappings().one()
    assert (debtor["time_zone"], debtor["consent_method"]) == ("America/Mexico_City", "imported")
    assert (invoice["amount_minor"], invoice["outstanding_minor"], invoice["currency"]) == (
        12050,
        12050,
        "EUR",
    )
    assert invoice["due_date"] == date(2026, 11, 10)
    assert invoice["created_at"] == datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_reimporting_the_same_file_changes_nothing(engine, uow_factory, clock, acme):
    run(uow_factory, clock, GOOD)
    before = snapshot(engine)
    clock.set(datetime(2026, 11, 24, 12, tzinfo=UTC))
    outcome = run(uow_factory, clock, GOOD)
    n = outcome.counts
    assert (n.debtors_created, n.debtors_updated, n.accounts_created, n.accounts_updated) == (0, 0, 0, 0)
    assert (n.invoices_created, n.invoices_updated, n.invoices_unchanged) == (0, 0, 3)
    assert snapshot(engine) == before


def test_a_newer_file_updates_amounts_and_due_dates(engine, uow_factory, clock, acme):
    run(uow_factory, clock, GOOD)
    newer = [account_row(1, amount="99.99", due_date="2026-12-01"), *GOOD[1:]]
    outcome = run(uow_factory, clock, newer)
    assert (outcome.counts.invoices_updated, outcome.counts.invoices_unchanged) == (1, 2)
    with engine.connect() as connection:
        row = connection.execute(select(invoices).where(invoices.c.reference == "INV-1")).mappings().one()
    assert (row["outstanding_minor"], row["due_date"]) == (9999, date(2026, 12, 1))


def test_missing_invoices_are_settled_only_with_a_full_snapshot(engine, uow_factory, clock, acme):
    run(uow_factory, clock, GOOD)
    assert run(uow_factory, clock, GOOD[:1]).counts.invoices_settled == 0
    outcome = run(uow_factory, clock, GOOD[:1], full_snapshot=True)
    assert outcome.counts.invoices_settled == 2
    with engine.connect() as connection:
        statuses = dict(connection.execute(select(invoices.c.reference, invoices.c.status)).all())
        settled_events = connection.execute(
            select(func.count()).where(audit_events.c.kind == "invoice.settled")
        ).scalar_one()
    assert statuses == {"INV-1": "open", "INV-1b": "settled", "INV-2": "settled"}
    assert settled_events == 2


def test_a_bad_file_stores_nothing_and_names_every_bad_row(engine, uow_factory, clock, acme):
    rows = [
        account_row(1),
        account_row(2, phone="+34 1"),
        account_row(3, amount="-4"),
        account_row(4, invoice_ref="INV-1"),
        account_row(1, invoice_ref="INV-9", currency="USD"),
        account_row(5, due_date="2026-13-01"),
    ]
    outcome = run(uow_factory, clock, rows)
    assert not outcome.stored
    assert [(p.line, p.column) for p in outcome.problems] == [
        (3, "phone"),
        (4, "amount"),
        (5, "invoice_ref"),
        (6, "currency"),
        (7, "due_date"),
    ]
    assert "invoice 'INV-1' is also in row 2" in str(outcome.problems[2])
    assert "USD differs from the account's currency (EUR in row 2)" in str(outcome.problems[3])
    assert (count(engine, debtors), count(engine, accounts), count(engine, invoices)) == (0, 0, 0)


def test_a_currency_other_than_the_stored_accounts_is_refused(engine, uow_factory, clock, acme):
    run(uow_factory, clock, GOOD)
    before = snapshot(engine)
    outcome = run(uow_factory, clock, [account_row(1, invoice_ref="INV-new", currency="USD")])
    assert [str(p) for p in outcome.problems] == [
        "row 2, column currency: USD differs from the account's stored currency (EUR)"
    ]
    assert snapshot(engine) == before


def test_one_phone_for_two_people_is_refused(engine, uow_factory, clock, acme):
    rows = [account_row(1), account_row(2, phone=account_row(1)["phone"], debtor_name="Pedro Ruiz")]
    outcome = run(uow_factory, clock, rows)
    assert [str(p) for p in outcome.problems] == [
        "row 3, column debtor_name: another debtor name has the same phone in row 2 "
        "(a number must reach one person)"
    ]


def test_an_invoice_cannot_move_to_another_account(engine, uow_factory, clock, acme):
    run(uow_factory, clock, GOOD)
    outcome = run(uow_factory, clock, [account_row(7, invoice_ref="INV-1")])
    assert [str(p) for p in outcome.problems] == [
        "row 2, column invoice_ref: invoice 'INV-1' is stored under another account ('ACC-1')"
    ]


def test_a_dry_run_reports_counts_and_stores_nothing(engine, uow_factory, clock, acme):
    outcome = run(uow_factory, clock, GOOD, dry_run=True)
    assert outcome.counts.invoices_created == 3
    assert count(engine, invoices) == 0


def test_consent_on_record_is_not_erased_by_a_file_without_it(engine, uow_factory, clock, acme):
    run(uow_factory, clock, [account_row(1)])
    run(uow_factory, clock, [account_row(1, consent="", consent_at="")])
    with engine.connect() as connection:
        assert connection.execute(select(debtors.c.consent_method)).scalar_one() == "imported"


def test_validation_on_several_processes_gives_the_same_result(engine, uow_factory, clock, acme):
    rows = [account_row(n, phone=f"+34 612 {n:06d}") for n in range(1, 2_500)] + [
        account_row(9_999, phone="+34 699 000 001", amount="x")
    ]
    outcome = run(uow_factory, clock, rows, workers=2)
    assert [str(p) for p in outcome.problems] == ["row 2501, column amount: not a number ('•')"]
    assert count(engine, invoices) == 0


def test_the_same_rows_from_a_renamed_file_change_nothing(engine, uow_factory, clock, acme):
    run(uow_factory, clock, GOOD)
    before = snapshot(engine)
    raw = [(line, row) for line, row in enumerate(GOOD, start=2)]
    outcome = import_accounts(uow_factory, clock, raw, creditor_slug="acme", source_name="renamed.csv")
    assert (outcome.counts.debtors_updated, outcome.counts.invoices_updated) == (0, 0)
    assert snapshot(engine) == before
