"""Reads a messy CSV export (any of , ; tab; UTF-8, UTF-8 with BOM, Windows-1252/Latin-1) as canonical rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cobro.domain.errors import InvalidInput
from cobro.domain.imports import CANONICAL_COLUMNS, REQUIRED_COLUMNS, RowProblem

_CHUNK = 1 << 20
_DELIMITERS = ",;\t|"


class CsvFileError(InvalidInput):
    """The file as a whole cannot be read as an account export."""


@dataclass
class CsvAccountsFile:
    """An opened account export: its encoding, delimiter, and the mapping from its columns to ours."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    columns: dict[int, str]  # position in the file -> canonical column
    ignored: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, Mapping[str, str] | RowProblem]]:
        """Each data row as (line number, canonical column -> text); line 1 is the header."""
        width = len(self.header)
        with self.path.open(encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            next(reader)
            start = reader.line_num + 1
            for record in reader:
                line, start = start, reader.line_num + 1
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != width:
                    yield line, RowProblem(line, "*", f"has {len(record)} fields, the header has {width}")
                    continue
                yield line, {name: record[i] for i, name in self.columns.items()}


def open_accounts_csv(path: Path, mapping: Path | None = None, max_bytes: int = 1 << 30) -> CsvAccountsFile:
    """Opens and sniffs an export; raises CsvFileError with what to fix when it cannot be used at all."""
    if not path.is_file():
        raise CsvFileError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise CsvFileError(f"{path}: the file is empty")
    if size > max_bytes:
        raise CsvFileError(
            f"{path}: {size / 1e9:.1f} GB is over the import limit of {max_bytes / 1e9:.1f} GB "
            "(COBRO_IMPORT_MAX_BYTES); split the file or raise the limit"
        )
    encoding = _sniff_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(64 * 1024)
    first_line = sample.splitlines()[0] if sample.strip() else ""
    if not first_line.strip():
        raise CsvFileError(f"{path}: the first line is empty; it must be the header")
    delimiter = _sniff_delimiter(sample, first_line)
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    renames = _load_mapping(mapping) if mapping else {}
    columns, ignored = _map_header(path, header, renames)
    return CsvAccountsFile(path, encoding, delimiter, header, columns, ignored)


def _sniff_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else Windows-1252, else Latin-1."""
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(0)
        utf8 = codecs.getincrementaldecoder("utf-8")()
        cp1252_ok = True
        utf8_ok = True
        offset = 0
        while chunk := handle.read(_CHUNK):
            nul = chunk.find(b"\0")
            if nul >= 0:
                raise CsvFileError(f"{path}: not a text CSV file (binary content at byte {offset + nul})")
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            if not utf8_ok and cp1252_ok:
                try:
                    chunk.decode("cp1252")
                except UnicodeDecodeError:
                    cp1252_ok = False
            offset += len(chunk)
    if utf8_ok:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    return "cp1252" if cp1252_ok else "latin-1"


def _sniff_delimiter(sample: str, first_line: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best] == 0:
            raise CsvFileError(
                "the header has a single column: separate columns with ',', ';' or tabs"
            ) from None
        return best


def _normalise(name: str) -> str:
    return "_".join(name.strip().strip("\ufeff").lower().replace("-", " ").split())


def _load_mapping(path: Path) -> dict[str, str]:
    """A YAML mapping from the file's column names to Cobro's ('Nº cliente: account_ref')."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CsvFileError(f"mapping file {path}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise CsvFileError(f"mapping file {path}: expected 'their column: our column' lines")
    unknown = sorted(v for v in data.values() if _normalise(v) not in CANONICAL_COLUMNS)
    if unknown:
        raise CsvFileError(
            f"mapping file {path}: unknown target column(s) {', '.join(unknown)}; "
            f"known: {', '.join(CANONICAL_COLUMNS)}"
        )
    return {_normalise(k): _normalise(v) for k, v in data.items()}


def _map_header(path: Path, header: list[str], renames: dict[str, str]) -> tuple[dict[int, str], list[str]]:
    columns: dict[int, str] = {}
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(header):
        name = renames.get(_normalise(raw), _normalise(raw))
        if name not in CANONICAL_COLUMNS:
            ignored.append(raw.strip())
            continue
        if name in seen:
            raise CsvFileError(f"{path}: columns {seen[name]!r} and {raw.strip()!r} both give {name}")
        seen[name] = raw.strip()
        columns[position] = name
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        shown = ", ".join(h.strip() for h in header[:12]) + (", ..." if len(header) > 12 else "")
        raise CsvFileError(
            f"{path}: the header lacks required column(s) {', '.join(missing)} (found: {shown}); "
            "rename them or pass --mapping FILE"
        )
    return columns, ignored
