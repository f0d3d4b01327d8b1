"""`cobro nlu`: classify debtors' messages from stdin, or evaluate the reader on a labelled TSV file."""

from __future__ import annotations

import sys

import typer

from cobro.entrypoints.cli.context import err

app = typer.Typer(
    no_args_is_help=True,
    help="Read debtors' messages: intent and language, offline (the model trains in about a second).",
)


@app.command("classify")
def classify(
    language: str | None = typer.Option(
        None,
        "--language",
        "-l",
        help="The debtor's stored language (es, en, pt, it): used for one-word or ambiguous messages.",
    ),
) -> None:
    """Reads messages from stdin, one a line, and prints `language<TAB>intent<TAB>confidence` for each
    (blank lines are skipped)."""
    from cobro.adapters.nlu import default_reader
    from cobro.domain.conversation.intents import LANGUAGES

    if language is not None and language not in LANGUAGES:
        raise typer.BadParameter(
            f"{language!r} is not one of {', '.join(LANGUAGES)}", param_hint="--language"
        )
    reader = default_reader()
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        reading = reader.read(text, language)
        typer.echo(f"{reading.language}\t{reading.intent.value}\t{reading.confidence:.3f}")


@app.command("eval")
def evaluate(
    path: str = typer.Argument(
        ..., metavar="FILE.tsv", help="Labelled messages: a header line, then lang<TAB>intent<TAB>text."
    ),
    min_f1: float | None = typer.Option(
        None,
        "--min-f1",
        min=0.0,
        max=1.0,
        help="Exit 1 when the macro-F1, overall or of any language, is below this.",
    ),
) -> None:
    """Prints intent accuracy and macro-F1 (overall and per language), language accuracy, the confidence
    thresholds and the confusion matrix of the reader on FILE.tsv."""
    from cobro.adapters.nlu.classifier import CorpusError, read_examples
    from cobro.adapters.nlu.evaluation import evaluate as run_evaluation
    from cobro.adapters.nlu.evaluation import format_report

    try:
        examples = read_examples(path)
    except CorpusError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    report = run_evaluation(examples)
    typer.echo(format_report(report))
    if min_f1 is not None:
        figures = [("overall", report.macro_f1)] + [(f.language, f.macro_f1) for f in report.by_language]
        below = [(name, value) for name, value in figures if value < min_f1]
        if below:
            names = ", ".join(f"{name} {value:.3f}" for name, value in below)
            err.print(f"macro-F1 below {min_f1:.3f}: {names}", markup=False)
            raise typer.Exit(1)
