"""Reading messy real-world exports."""

from pathlib import Path

import pytest

from cobro.adapters.files.csv_accounts import CsvFileError, open_accounts_csv
from cobro.domain.imports import RowProblem
from tests.factories import account_row, write_csv


def rows(path: Path, **options):
    return list(open_accounts_csv(path, **options).rows())


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path, delimiter):
    path = write_csv(tmp_path / "a.csv", [account_row(1), account_row(2)], delimiter=delimiter)
    source = open_accounts_csv(path)
    assert source.delimiter == delimiter
    assert [line for line, _ in source.rows()] == [2, 3]


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")]
)
def test_the_encoding_is_sniffed_and_accents_survive(tmp_path, encoding, expected):
    path = write_csv(tmp_path / "a.csv", [account_row(1, debtor_name="Iñés Núñez €")], encoding=encoding)
    source = open_accounts_csv(path)
    assert source.encoding == expected
    ((_, row),) = source.rows()
    assert row["debtor_name"] == "Iñés Núñez €"
    assert row["account_ref"] == "ACC-1"  # a BOM does not stick to the first column name


def test_latin1_bytes_outside_windows_1252_still_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(
        ",".join(account_row(1)).encode()
        + b"\r\n"
        + ",".join(account_row(1).values()).encode("latin-1").replace(b"Mar", b"M\x81r")
        + b"\r\n"
    )
    assert open_accounts_csv(path).encoding == "latin-1"


def test_other_column_names_are_mapped_with_a_mapping_file(tmp_path):
    columns = ["Cliente", *list(account_row(1))[1:]]
    path = write_csv(tmp_path / "a.csv", [{"Cliente": "C-77", **account_row(1)}], columns=columns)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Cliente: account_ref\n", "utf-8")
    ((_, row),) = rows(path, mapping=mapping)
    assert row["account_ref"] == "C-77"


def test_unknown_columns_are_ignored_and_listed(tmp_path):
    columns = [*account_row(1), "Notas internas"]
    source = open_accounts_csv(write_csv(tmp_path / "a.csv", [account_row(1)], columns=columns))
    assert source.ignored == ["Notas internas"]


def test_a_row_with_the_wrong_number_of_fields_is_a_problem_with_its_line(tmp_path):
    path = tmp_path / "a.csv"
    header = ",".join(account_row(1))
    good = ",".join(account_row(1).values())
    path.write_text(
        f'{header}\n{good}\n"multi\nline",{",".join(list(account_row(2).values())[1:])}\nA,B\n', "utf-8"
    )
    found = rows(path)
    assert [line for line, _ in found] == [2, 3, 5]
    assert found[2][1] == RowProblem(5, "*", f"has 2 fields, the header has {len(account_row(1))}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV file (binary content at byte 8)"),
        (
            b"name,amount\nAna,10\n",
            "the header lacks required column(s) account_ref, debtor_name, phone, country, invoice_ref, currency, due_date (found: name, amount)",
        ),
        (b"\n\nfoo\n", "the first line is empty"),
    ],
)
def test_a_file_that_cannot_be_an_export_gets_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CsvFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_accounts_csv(path)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = write_csv(tmp_path / "a.csv", [account_row(1)])
    with pytest.raises(CsvFileError, match="over the import limit"):
        open_accounts_csv(path, max_bytes=100)
