"""Whatever a file holds, validating a row answers with a row or with problems; it never crashes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cobro.app.account_rows import RowValidator
from cobro.domain.accounts import Creditor
from cobro.domain.imports import CANONICAL_COLUMNS, AccountRow
from tests.factories import account_row

CREDITOR = Creditor(id=1, slug="acme", name="Acme", country="ES", currency="EUR", language="es")
junk = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    column=st.sampled_from(CANONICAL_COLUMNS), value=junk, locale=st.sampled_from([None, "es_MX", "pt_BR"])
)
def test_any_text_in_any_column_gives_a_row_or_named_problems(column, value, locale):
    result = RowValidator(CREDITOR, locale=locale).validate(5, account_row(**{column: value}))
    if isinstance(result, AccountRow):
        assert result.amount_minor > 0
        assert result.phone.startswith("+")
    else:
        assert result
        assert all(p.line == 5 and p.column in CANONICAL_COLUMNS for p in result)


@settings(max_examples=200, deadline=None)
@given(cents=st.integers(min_value=1, max_value=10**12))
def test_an_amount_written_with_a_locale_reads_back_exactly(cents):
    from babel.numbers import format_decimal

    from cobro.domain.money import Currency, Money

    amount = Money.from_minor(cents, Currency("EUR", 2)).amount
    written = format_decimal(amount, format="#,##0.00", locale="es_ES")
    row = RowValidator(CREDITOR, locale="es_ES").validate(2, account_row(amount=written))
    assert isinstance(row, AccountRow), written
    assert row.amount_minor == cents
