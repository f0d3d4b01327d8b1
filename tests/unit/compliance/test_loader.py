"""The rule table as data: the packaged table loads, a bad table is refused with the row and field named,
region rows overlay country rows, weak evidence falls back to the strict default, and a pending law is a row."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cobro.domain.compliance import (
    PACKAGED_TABLE,
    ComplianceGate,
    RuleTableError,
    load_rule_book,
    parse_rule_table,
)
from cobro.domain.contact import Verdict

from .builders import account, debtor, history, intent, local, wall

DAY = date(2026, 11, 24)


def packaged() -> dict[str, Any]:
    return tomllib.loads(PACKAGED_TABLE.read_text(encoding="utf-8"))


def test_packaged_table_has_a_version_and_every_jurisdiction_of_the_readme() -> None:
    book = load_rule_book()
    assert book.version == "2026-11-23.1"
    assert set(book.codes) >= {"US", "US-MA", "MX", "PE", "CO", "BR", "AR", "CL", "ES", "IT", "GB"}
    for code in book.codes:
        for row in book.rows(code):
            for part in (row.hours, row.holidays, row.right_party, row.limitation, *row.caps, *row.content):
                if part is not None:
                    assert part.rule.rule_id
                    assert part.rule.citation
                    assert part.rule.effective


def test_load_rule_book_reads_a_given_path(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(PACKAGED_TABLE.read_text(encoding="utf-8").replace("2026-11-23.1", "2027-01-01.1"))
    assert load_rule_book(path).version == "2027-01-01.1"


def test_region_row_overlays_its_country_row() -> None:
    book = load_rule_book()
    ma = book.rules_for("US", "MA", DAY)
    assert ma.code == "US-MA"
    assert ma.hours.rule.rule_id == "us.hours"
    assert [c.rule_id for c in ma.caps] == ["us-ma.frequency.2in7", "default.frequency.daily"]
    assert book.rules_for("US", "CA", DAY).code == "US"


def test_weak_or_missing_parts_fall_back_to_the_strict_default() -> None:
    book = load_rule_book()
    brazil = book.rules_for("BR", None, DAY)
    assert brazil.hours.rule.rule_id == "default.hours"  # CDC art. 71 sets no hours (confidence L)
    assert brazil.right_party.rule.rule_id == "br.right_party"  # H: kept
    assert "hours" in brazil.defaulted
    unknown = book.rules_for("DE", None, DAY)
    assert unknown.code == "default"
    assert [c.rule_id for c in unknown.caps] == ["default.frequency.daily", "default.frequency.2in7"]
    # Content and limitation only add care: kept even at confidence L.
    mexico = book.rules_for("MX", None, DAY)
    assert [c.rule.rule_id for c in mexico.content] == ["mx.agency_and_creditor"]
    assert mexico.limitation is not None
    assert mexico.limitation.years == 10


def test_before_a_row_takes_effect_the_strict_default_applies() -> None:
    book = load_rule_book()
    before = book.rules_for("CO", None, date(2023, 10, 9))
    assert before.code == "default"
    assert before.valid_until == date(2023, 10, 10)
    assert book.rules_for("CO", None, date(2023, 10, 10)).code == "CO"


def test_a_pending_law_is_a_new_row_and_the_gate_defers_under_the_rules_of_that_day() -> None:
    data = packaged()
    pending = {
        "code": "CO",
        "name": "Colombia",
        "effective_from": date(2026, 11, 30),
        "hours": {
            "id": "co.hours.2026",
            "citation": "A pending law",
            "effective": date(2026, 11, 30),
            "confidence": "H",
            **{day: ["10:00-12:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        },
    }
    data["jurisdiction"].append(pending)
    book = parse_rule_table(data)
    assert book.rules_for("CO", None, date(2026, 11, 29)).valid_until == date(2026, 11, 30)
    assert book.rules_for("CO", None, date(2026, 11, 30)).hours.rule.rule_id == "co.hours.2026"
    gate = ComplianceGate(book, type("NoHolidays", (), {"holiday_name": lambda *a: None})())
    saturday_night = local("America/Bogota", 2026, 11, 28, 20)
    decision = gate.check(debtor(), account(), intent(), saturday_night, history())
    assert decision.not_before is not None
    assert wall(decision.not_before, "America/Bogota") == "2026-11-30 10:00"  # not 07:00 under the old row
    assert gate.check(debtor(), account(), intent(), decision.not_before, history()).verdict is Verdict.ALLOW


def _broken(path: list[str | int], value: object) -> dict[str, Any]:
    data = packaged()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def _row(code: str) -> int:
    return next(i for i, row in enumerate(packaged()["jurisdiction"]) if row["code"] == code)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["jurisdiction", _row("CO"), "hours", "monday"],
            ["7-19"],
            "row 'CO' (effective 2023-10-10): field 'hours.monday'",
        ),
        (["jurisdiction", _row("CO"), "hours", "monday"], ["19:00-07:00"], "start must be before end"),
        (["jurisdiction", _row("CL"), "caps", 0, "kind"], "weekly", "field 'caps[0].kind' is 'weekly'"),
        (
            ["jurisdiction", _row("IT"), "hours", "confidence"],
            "high",
            "row 'IT' (effective 2005-11-30): field 'hours.confidence'",
        ),
        (
            ["jurisdiction", _row("US"), "hours", "mondya"],
            ["08:00-21:00"],
            "field 'hours.mondya' is not a known field",
        ),
        (["jurisdiction", _row("GB"), "limitation", "disclosures"], [], "field 'limitation.disclosures'"),
        (
            ["jurisdiction", _row("PE"), "effective_from"],
            "2010-10-02",
            "field 'effective_from' must be a date",
        ),
        (["jurisdiction", _row("MX"), "code"], "mexico", "field 'code' is 'mexico'"),
        (["default", "caps"], [], "row 'default': field 'caps'"),
        (["version"], "", "field 'version'"),
    ],
)
def test_a_bad_table_is_refused_naming_the_row_and_field(
    path: list[str | int], value: object, message: str
) -> None:
    with pytest.raises(RuleTableError) as error:
        parse_rule_table(_broken(path, value))
    assert message in str(error.value)


def test_two_rows_for_one_code_and_date_are_refused() -> None:
    data = packaged()
    data["jurisdiction"].append(dict(data["jurisdiction"][_row("PE")]))
    with pytest.raises(RuleTableError, match=r"row .PE. .* a second row for PE"):
        parse_rule_table(data)


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("version = \n")
    with pytest.raises(RuleTableError, match=r"bad\.toml: not valid TOML"):
        load_rule_book(path)
