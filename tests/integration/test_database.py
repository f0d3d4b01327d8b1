import pytest
from sqlalchemy import insert, inspect, text, update
from sqlalchemy.exc import DBAPIError

from cobro.adapters.db import migrate
from cobro.adapters.db.tables import audit_events
from cobro.app.creditors import add_creditor, list_creditors
from cobro.domain.errors import AlreadyExists, InvalidInput


def test_migrations_create_every_table_at_the_head_revision(engine, database_url):
    assert set(inspect(engine).get_table_names()) >= {
        "creditors", "debtors", "accounts", "invoices", "payments", "audit_events", "alembic_version",
    }  # fmt: skip
    assert migrate.current_revision(database_url) == migrate.head_revision()


def test_the_audit_trail_refuses_updates_and_deletes(engine, clock):
    with engine.begin() as connection:
        connection.execute(insert(audit_events).values(occurred_at=clock.now(), kind="x", actor="t", data={}))
    for statement in (update(audit_events).values(kind="changed"), audit_events.delete()):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(statement)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT kind FROM audit_events")).scalar_one() == "x"


def test_a_creditor_is_added_listed_and_its_creation_audited(uow_factory, clock):
    add_creditor(uow_factory, clock, slug="acme", name="Acme SA", country="mx", currency="mxn", language="es")
    (creditor,) = list_creditors(uow_factory)
    assert (creditor.slug, creditor.country, creditor.currency) == ("acme", "MX", "MXN")
    with uow_factory() as uow:
        assert uow.events.recent()[0].data == {"slug": "acme", "country": "MX", "currency": "MXN"}


def test_a_taken_slug_is_refused(uow_factory, clock):
    add_creditor(uow_factory, clock, slug="acme", name="Acme", country="ES", currency="EUR")
    with pytest.raises(AlreadyExists):
        add_creditor(uow_factory, clock, slug="acme", name="Other", country="ES", currency="EUR")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("currency", "EURO", "ISO 4217"), ("country", "XX", "ISO 3166"), ("slug", "Bad Slug", "lowercase")],
)
def test_a_creditor_with_bad_fields_is_refused(uow_factory, clock, field, value, message):
    fields = {"slug": "acme", "name": "Acme", "country": "ES", "currency": "EUR", field: value}
    with pytest.raises(InvalidInput, match=message):
        add_creditor(uow_factory, clock, **fields)
    assert list_creditors(uow_factory) == []


def test_an_account_cannot_point_at_another_creditors_debtor(engine, uow_factory, clock):
    from sqlalchemy.exc import IntegrityError

    from cobro.adapters.db.tables import accounts, debtors

    one = add_creditor(uow_factory, clock, slug="one", name="One", country="ES", currency="EUR")
    two = add_creditor(uow_factory, clock, slug="two", name="Two", country="ES", currency="EUR")
    now = clock.now()
    with engine.begin() as connection:
        debtor_id = connection.execute(
            insert(debtors)
            .values(
                creditor_id=one.id, name="Ana", phone="+34612345678", country="ES", language="es",
                time_zone="Europe/Madrid", time_zone_source="file", time_zone_candidates="Europe/Madrid",
                created_at=now, updated_at=now,
            )
            .returning(debtors.c.id)
        ).scalar_one()  # fmt: skip
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            insert(accounts).values(
                creditor_id=two.id,
                debtor_id=debtor_id,
                reference="A-1",
                currency="EUR",
                created_at=now,
                updated_at=now,
            )
        )
