"""The `cobro` command as a person runs it: real processes, real exit codes, real output."""

import os

import pytest

from tests.factories import account_row, write_csv


def test_import_a_good_file_then_again_and_nothing_changes(cobro, tmp_path):
    assert (
        cobro("creditor", "add", "acme", "--name", "Acme", "--country", "ES", "--currency", "EUR").returncode
        == 0
    )
    path = write_csv(tmp_path / "overdue.csv", [account_row(1), account_row(2)], delimiter=";")
    first = cobro("import", "accounts", str(path), "--creditor", "acme")
    assert first.returncode == 0, first.stderr
    assert "debtors   created 2, updated 0" in first.stdout
    assert "invoices  created 2, updated 0, unchanged 0, settled 0" in first.stdout
    again = cobro("import", "accounts", str(path), "--creditor", "acme")
    assert "invoices  created 0, updated 0, unchanged 2, settled 0" in again.stdout


def test_a_bad_file_exits_1_lists_each_bad_row_masked_and_imports_nothing(cobro, tmp_path):
    cobro("creditor", "add", "acme", "--name", "Acme", "--country", "ES", "--currency", "EUR")
    rows = [account_row(1), account_row(2, phone="+34 91"), account_row(3, amount="-120.50")]
    result = cobro("import", "accounts", str(write_csv(tmp_path / "bad.csv", rows)), "--creditor", "acme")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "row 3, column phone: not a valid phone number for ES ('+34•91')"
    assert lines[1].startswith("row 4, column amount: must be greater than zero ('-")
    assert "120.50" not in result.stderr
    assert lines[-1] == "nothing was imported: 2 problem(s) in bad.csv"
    assert "Traceback" not in result.stderr
    good = cobro("import", "accounts", str(write_csv(tmp_path / "ok.csv", rows[:1])), "--creditor", "acme")
    assert "debtors   created 1" in good.stdout  # the first, rejected file left nothing behind


def test_junk_gives_one_line_and_no_traceback(cobro, tmp_path):
    cobro("creditor", "add", "acme", "--name", "Acme", "--country", "ES", "--currency", "EUR")
    junk = tmp_path / "junk.csv"
    junk.write_bytes(os.urandom(4096).replace(b"\0", b"\1") + b"\0")
    result = cobro("import", "accounts", str(junk), "--creditor", "acme")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_creditor_is_one_line(cobro, tmp_path):
    path = write_csv(tmp_path / "a.csv", [account_row(1)])
    result = cobro("import", "accounts", str(path), "--creditor", "nobody")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: no creditor 'nobody' (known: none yet); add it with 'cobro creditor add'"
    )


def test_creditor_list_and_demo_seed_are_repeatable(cobro):
    first = cobro("demo", "seed", "--debtors", "40")
    assert first.returncode == 0, first.stderr
    second = cobro("demo", "seed", "--debtors", "40")
    assert "0 debtors, 0 accounts, 0 invoices created" in second.stdout
    assert "demo" in cobro("creditor", "list").stdout


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["db", "upgrade"],
        ["creditor", "add"],
        ["creditor", "list"],
        ["import", "accounts"],
        ["demo", "seed"],
        ["serve"],
    ],
)
def test_every_command_has_help(cobro, command):
    result = cobro(*command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_a_usage_error_is_a_usage_message_with_exit_code_2(cobro):
    result = cobro("import", "accounts")
    assert result.returncode == 2
    assert "Missing argument 'file'" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_locale_is_refused_before_reading(cobro, tmp_path):
    path = write_csv(tmp_path / "a.csv", [account_row(1)])
    result = cobro("import", "accounts", str(path), "--creditor", "acme", "--locale", "xx_YY")
    assert result.returncode == 2
    assert "unknown locale 'xx_YY'" in result.stderr
