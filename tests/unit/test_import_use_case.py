import pytest

from cobro.app.creditors import add_creditor
from cobro.app.import_accounts import import_accounts
from cobro.domain.errors import NotFound
from cobro.domain.events import EventKind
from cobro.domain.imports import RowProblem
from tests.factories import account_row
from tests.unit.fakes import FakeUnitOfWorkFactory


@pytest.fixture
def uow_factory(clock):
    factory = FakeUnitOfWorkFactory()
    add_creditor(factory, clock, slug="acme", name="Acme", country="ES", currency="EUR")
    return factory


def run(uow_factory, clock, rows, **options):
    raw = [(line, row) for line, row in enumerate(rows, start=2)]
    return import_accounts(uow_factory, clock, raw, creditor_slug="acme", source_name="t.csv", **options)


def test_a_good_file_is_stored_and_logged(uow_factory, clock):
    outcome = run(uow_factory, clock, [account_row(1), account_row(2)])
    assert outcome.ok
    assert outcome.stored
    assert len(uow_factory.store.imported_rows) == 2
    assert uow_factory.store.events.recent(EventKind.IMPORT_COMPLETED)[0].data["rows"] == 2


def test_one_bad_row_stores_nothing_and_names_the_row(uow_factory, clock):
    outcome = run(uow_factory, clock, [account_row(1), account_row(2, amount="-5"), account_row(3)])
    assert not outcome.stored
    assert [str(p) for p in outcome.problems] == ["row 3, column amount: must be greater than zero ('••')"]
    assert uow_factory.store.imported_rows == []
    assert uow_factory.store.events.recent(EventKind.IMPORT_REJECTED)[0].data == {
        "source": "t.csv",
        "problems": 1,
    }


def test_problems_across_rows_also_stop_the_import(uow_factory, clock):
    uow_factory.store.cross_row_problems = [RowProblem(3, "invoice_ref", "invoice 'INV-1' is also in row 2")]
    outcome = run(uow_factory, clock, [account_row(1), account_row(2)])
    assert not outcome.stored
    assert uow_factory.store.imported_rows == []


def test_a_dry_run_counts_but_stores_nothing(uow_factory, clock):
    outcome = run(uow_factory, clock, [account_row(1)], dry_run=True)
    assert outcome.ok
    assert not outcome.stored
    assert outcome.counts.rows == 1
    assert uow_factory.store.imported_rows == []


def test_an_empty_file_is_a_problem(uow_factory, clock):
    outcome = run(uow_factory, clock, [])
    assert [str(p) for p in outcome.problems] == ["the file has a header but no rows"]


def test_reading_stops_after_too_many_problems(uow_factory, clock):
    rows = [account_row(n, phone="1") for n in range(1, 50)]
    outcome = run(uow_factory, clock, rows, max_problems=10)
    assert len(outcome.problems) == 10
    assert outcome.more_problems > 0


def test_an_unknown_creditor_is_named(uow_factory, clock):
    with pytest.raises(NotFound, match="no creditor 'nope' \\(known: acme\\)"):
        import_accounts(uow_factory, clock, [], creditor_slug="nope", source_name="t.csv")


def test_rows_from_a_country_with_several_zones_get_a_note(uow_factory, clock):
    outcome = run(uow_factory, clock, [account_row(1), account_row(2)])
    (note,) = outcome.zone_notes
    assert (note.country, note.zone, note.rows, note.first_line) == ("ES", "Europe/Madrid", 2, 2)
