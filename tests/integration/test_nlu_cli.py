"""`cobro nlu classify` and `cobro nlu eval` as a person runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cobro.adapters.nlu import default_reader
from cobro.adapters.nlu.classifier import DATA_DIR
from cobro.entrypoints.cli import app

EVAL_FILE = DATA_DIR / "eval.tsv"


@pytest.fixture(scope="session")
def cli() -> CliRunner:
    default_reader().warm_up()  # the process's models, trained once for every test here
    return CliRunner()


def test_classify_reads_stdin_one_message_a_line(cli: CliRunner) -> None:
    messages = "cuánto debo?\n\nok\nvc pode me mandar o boleto?\nho perso il lavoro\nI'll pay on Friday\n"
    result = cli.invoke(app, ["nlu", "classify", "--language", "pt"], input=messages)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5  # the blank line is skipped
    assert all(re.fullmatch(r"(es|en|pt|it)\t[a-z_]+\t[01]\.\d{3}", line) for line in lines)
    assert [tuple(line.split("\t")[:2]) for line in lines] == [
        ("es", "check_balance"),
        ("pt", "thanks"),  # one word: the stored language
        ("pt", "pay_now"),
        ("it", "hardship"),
        ("en", "promise_to_pay"),
    ]


def test_classify_without_a_stored_language_guesses(cli: CliRunner) -> None:
    result = cli.invoke(app, ["nlu", "classify"], input="grazie mille\n")
    assert result.exit_code == 0, result.output
    language, intent, confidence = result.stdout.strip().split("\t")
    assert (language, intent) == ("it", "thanks")
    assert 0.5 < float(confidence) <= 1.0


def test_classify_refuses_an_unknown_language(cli: CliRunner) -> None:
    result = cli.invoke(app, ["nlu", "classify", "--language", "fr"], input="bonjour\n")
    assert result.exit_code == 2
    assert "'fr' is not one of es, en, pt, it" in result.output


def test_eval_prints_the_figures(cli: CliRunner) -> None:
    result = cli.invoke(app, ["nlu", "eval", str(EVAL_FILE), "--min-f1", "0.95"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "messages: 840" in out
    assert float(re.search(r"intent macro-F1: (\d\.\d{3})", out).group(1)) >= 0.95  # type: ignore[union-attr]
    assert float(re.search(r"language accuracy: (\d\.\d{3})", out).group(1)) >= 0.97  # type: ignore[union-attr]
    per_language = re.findall(r"  (es|en|pt|it): 210 messages, accuracy \d\.\d{3}, macro-F1 (\d\.\d{3})", out)
    assert [lang for lang, _ in per_language] == ["es", "en", "pt", "it"]
    assert all(float(f1) >= 0.95 for _, f1 in per_language)
    assert re.search(
        r"^\s+BAL  PAY  PLN  TIM  PRM   PD  DSP  HRD  WRN  OPT  AGT   HI  THX  OTH$", out, re.MULTILINE
    )
    assert re.search(r"^  check_balance\s+\d+", out, re.MULTILINE)


def test_eval_min_f1_fails_when_a_language_is_below(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "small.tsv"
    path.write_text(
        "lang\tintent\ttext\n"
        "es\tcheck_balance\tcuanto debo?\n"
        "es\tpay_now\tpasame el link de pago\n"
        "en\tgreeting\tI lost my job\n",  # labelled wrong on purpose
        encoding="utf-8",
    )
    result = cli.invoke(app, ["nlu", "eval", str(path), "--min-f1", "0.95"])
    assert result.exit_code == 1
    assert "messages: 3" in result.stdout
    assert "macro-F1 below 0.950: overall" in result.stderr
    assert "en 0.000" in result.stderr
    assert cli.invoke(app, ["nlu", "eval", str(path)]).exit_code == 0  # without --min-f1 only figures


def test_eval_names_the_bad_line(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("lang\tintent\ttext\nes\tpay_now\tquiero pagar\nes\tpagar ya\n", encoding="utf-8")
    result = cli.invoke(app, ["nlu", "eval", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {path}: line 3: expected 3 tab-separated columns, found 2"


def test_eval_of_a_missing_file(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["nlu", "eval", str(tmp_path / "nope.tsv")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.tsv'}: no such file"
