"""Builders for test data: account rows and CSV files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from cobro.domain.imports import CANONICAL_COLUMNS


def account_row(n: int = 1, **overrides: Any) -> dict[str, str]:
    """A valid canonical row for a Spanish debtor; overrides replace any column."""
    row = dict.fromkeys(CANONICAL_COLUMNS, "")
    row.update(
        account_ref=f"ACC-{n}",
        debtor_name=f"María López {n}",
        phone=f"+34 612 345 {n:03d}",
        country="ES",
        invoice_ref=f"INV-{n}",
        amount="120.50",
        currency="EUR",
        due_date="2026-11-10",
        language="es",
        consent="yes",
        consent_at="2025-01-10T09:00:00+00:00",
    )
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    delimiter: str = ",",
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> Path:
    """Writes rows under a header (the canonical columns unless given)."""
    columns = columns or list(CANONICAL_COLUMNS)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
