"""`cobro templates`: the template catalogue, its wording linter, and its sync to the WhatsApp account."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from cobro.domain.errors import CobroError, InvalidInput
from cobro.entrypoints.cli.context import container, out

app = typer.Typer(
    help="The message template catalogue: lint it, sync it to the WhatsApp account, see each status.",
    no_args_is_help=True,
)


class TemplateSyncFailed(CobroError):
    """The WhatsApp account refused a call the whole sync depends on (token, transport, ...)."""


class WordingBlocked(CobroError):
    """The linted text holds phrases that block a template's submission."""


@app.command("sync")
def sync(
    wait: bool = typer.Option(
        False, "--wait/--no-wait", help="Wait for Meta's review of the templates submitted now."
    ),
    names: list[str] = typer.Option([], "--name", help="Only this template (repeat for several)."),
    timeout: float = typer.Option(600.0, "--timeout", help="Longest wait for the reviews, in seconds."),
    poll_every: float = typer.Option(10.0, "--poll-every", help="Seconds between review checks."),
) -> None:
    """Lints the catalogue, submits what the account lacks, records every status; exits 1 when a template
    is blocked, changed, refused or rejected."""
    import anyio

    from cobro.adapters.whatsapp import WhatsAppClient, WhatsAppError
    from cobro.adapters.whatsapp.template_account import GraphTemplateAccount
    from cobro.app.sync_templates import SyncAction, sync_templates
    from cobro.domain.template_catalogue import load_catalogue

    c = container()
    uow_factory = c.uow_factory

    async def run():  # type: ignore[no-untyped-def]
        async with WhatsAppClient.from_settings(c.settings) as client:
            return await sync_templates(
                uow_factory,
                c.clock,
                GraphTemplateAccount(client),
                load_catalogue(),
                waba_id=c.settings.whatsapp_waba_id,
                wait=wait,
                names=names or None,
                review_timeout=timeout,
                poll_every=poll_every,
            )

    try:
        report = anyio.run(run)
    except WhatsAppError as exc:
        raise TemplateSyncFailed(f"{c.settings.whatsapp_api_base} refused: {exc}") from exc
    finally:
        c.close()
    table = Table("name", "language", "action", "status", "reason")
    for r in report.results:
        table.add_row(r.name, r.language, r.action.value, r.status, r.reason)
    out.print(table)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.by_status().items()))
    out.print(
        f"{len(report.results)} template(s): {counts}; {report.count(SyncAction.SUBMITTED)} submitted now"
    )
    for r in report.results:
        for warning in r.warnings:
            out.print(f"warning: {r.name} ({r.language}) {warning}", markup=False)
    troubled = [
        r
        for r in report.results
        if r.action in (SyncAction.LINT_BLOCKED, SyncAction.CHANGED, SyncAction.REFUSED)
        or r.status == "REJECTED"
    ]
    if troubled:
        raise typer.Exit(1)


@app.command("list")
def list_templates() -> None:
    """Every catalogue entry with the status and reason recorded for the configured WhatsApp account."""
    from cobro.app.sync_templates import recorded_templates
    from cobro.domain.template_catalogue import load_catalogue

    c = container()
    try:
        stored = recorded_templates(c.uow_factory, c.settings.whatsapp_waba_id)
    finally:
        c.close()
    table = Table("name", "language", "kind", "status", "reason")
    for entry in load_catalogue():
        row = stored.get(entry.key)
        table.add_row(
            entry.name,
            entry.language,
            entry.kind.value,
            row.status if row else "not synced",
            (row.reason or "") if row else "",
        )
    out.print(table)


@app.command("lint")
def lint(
    file: Path | None = typer.Option(
        None, "--file", help="Lint this text file ('-' for standard input) instead of the catalogue."
    ),
    language: str | None = typer.Option(None, "--language", help="The text's language: es, en, pt, it."),
) -> None:
    """Runs the wording linter on the catalogue, or on any text; exits 1 on a blocking finding."""
    from cobro.domain.template_catalogue import load_catalogue
    from cobro.domain.wording import WordingFinding, lint_macro, lint_template

    findings: list[tuple[str, WordingFinding]] = []
    if file is None:
        if language is not None:
            raise InvalidInput("--language goes with --file (the catalogue's entries carry their own)")
        for entry in load_catalogue():
            findings.extend((f"{entry.name} ({entry.language})", f) for f in lint_template(entry))
        checked = "the catalogue"
    else:
        if language is None:
            raise InvalidInput("--file needs --language (es, en, pt or it)")
        text = sys.stdin.read() if str(file) == "-" else _read(file)
        try:
            findings.extend((str(file), f) for f in lint_macro(text, language))
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        checked = str(file)
    table = Table("text", "where", "category", "severity", "phrase", "reason")
    for source, f in findings:
        table.add_row(source, f.where, f.category.value, f.severity.value, f.phrase, f.reason)
    if findings:
        out.print(table)
    blocking = sum(1 for _, f in findings if f.blocks)
    out.print(f"{checked}: {blocking} blocking, {len(findings) - blocking} warning(s)")
    if blocking:
        raise WordingBlocked(f"{blocking} blocking phrase(s): rewrite them before submitting")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc
