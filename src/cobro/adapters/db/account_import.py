"""Account import on the database: stage rows in a temporary table, check them as a set, merge them at once.

Set-based SQL keeps memory flat whatever the file size and runs the same on SQLite and PostgreSQL
(both speak UPDATE ... FROM, INSERT ... SELECT ... WHERE NOT EXISTS and IS DISTINCT FROM). Everything happens in the caller's transaction,
so a rollback leaves no trace of a rejected file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text

from cobro.adapters.db.types import UTCDateTime
from cobro.domain.imports import AccountRow, ImportCounts, RowProblem

_COLUMNS = (
    "line", "account_ref", "debtor_name", "phone", "country", "invoice_ref", "amount_minor", "currency",
    "due_date", "language", "time_zone", "time_zone_source", "time_zone_candidates", "email", "issued_on",
    "payment_link", "consent_method", "consent_at", "consent_source", "national_id", "birth_date",
)  # fmt: skip

# SQLite's page cache for an import, in KiB (negative: a size, not a page count): about 64 MB for the staged
# rows and as much for the tables they merge into, well inside the import's memory budget.
_SQLITE_CACHE_KIB = -65536

_STAGING_DDL = """
CREATE TEMPORARY TABLE import_rows (
    line INTEGER PRIMARY KEY, account_ref VARCHAR(200) NOT NULL, debtor_name VARCHAR(200) NOT NULL,
    phone VARCHAR(20) NOT NULL, country VARCHAR(2) NOT NULL, invoice_ref VARCHAR(200) NOT NULL,
    amount_minor BIGINT NOT NULL, currency VARCHAR(3) NOT NULL, due_date DATE NOT NULL,
    language VARCHAR(2) NOT NULL, time_zone VARCHAR(64) NOT NULL, time_zone_source VARCHAR(16) NOT NULL,
    time_zone_candidates TEXT NOT NULL, email VARCHAR(254), issued_on DATE, payment_link TEXT,
    consent_method VARCHAR(32), consent_at {timestamp}, consent_source VARCHAR(200),
    national_id VARCHAR(64), birth_date DATE
) {on_commit}
"""

# (column, new value) per table; {new} is the staged row, {old} the stored one. The same list drives the
# UPDATE and the "did anything change" test, so a re-import of the same file writes nothing. A consent
# already on record is kept as first recorded (when, how, source); a file can add one, never rewrite it.
_DEBTOR_FIELDS = (
    ("name", "{new}.name"),
    ("country", "{new}.country"),
    ("language", "{new}.language"),
    ("time_zone", "{new}.time_zone"),
    ("time_zone_source", "{new}.time_zone_source"),
    ("time_zone_candidates", "{new}.time_zone_candidates"),
    ("email", "COALESCE({new}.email, {old}.email)"),
    ("national_id", "COALESCE({new}.national_id, {old}.national_id)"),
    ("birth_date", "COALESCE({new}.birth_date, {old}.birth_date)"),
    ("consent_method", "COALESCE({old}.consent_method, {new}.consent_method)"),
    ("consent_at", "COALESCE({old}.consent_at, {new}.consent_at)"),
    ("consent_source", "COALESCE({old}.consent_source, {new}.consent_source)"),
    ("consent_scope", "COALESCE({old}.consent_scope, {new}.consent_scope)"),
)
_ACCOUNT_FIELDS = (("debtor_id", "{new}.debtor_id"),)
_INVOICE_FIELDS = (
    ("account_id", "{new}.account_id"),
    ("amount_minor", "{new}.amount_minor"),
    ("outstanding_minor", "{new}.outstanding_minor"),
    ("issued_on", "COALESCE({new}.issued_on, {old}.issued_on)"),
    ("due_date", "{new}.due_date"),
    ("payment_link", "COALESCE({new}.payment_link, {old}.payment_link)"),
    ("status", "{new}.status"),
    ("settled_at", "{new}.settled_at"),
)

# The newest row of the file for each key wins (a debtor appears once per invoice).
_DEBTOR_SOURCE = """
SELECT s.phone, s.debtor_name AS name, s.country, s.language, s.time_zone, s.time_zone_source,
       s.time_zone_candidates, s.email, s.national_id, s.birth_date, s.consent_method, s.consent_at,
       s.consent_source, CASE WHEN s.consent_method IS NULL THEN NULL ELSE 'collections' END AS consent_scope
FROM import_rows s JOIN (SELECT MAX(line) AS line FROM import_rows GROUP BY phone) last ON last.line = s.line
"""
_ACCOUNT_SOURCE = """
SELECT s.account_ref AS reference, s.currency, d.id AS debtor_id
FROM import_rows s
JOIN (SELECT MAX(line) AS line FROM import_rows GROUP BY account_ref) last ON last.line = s.line
JOIN debtors d ON d.creditor_id = :creditor AND d.phone = s.phone
"""
_INVOICE_SOURCE = """
SELECT s.invoice_ref AS reference, a.id AS account_id, s.currency, s.amount_minor,
       s.amount_minor AS outstanding_minor, s.issued_on, s.due_date, s.payment_link,
       'open' AS status, CAST(NULL AS {timestamp}) AS settled_at
FROM import_rows s JOIN accounts a ON a.creditor_id = :creditor AND a.reference = s.account_ref
"""


class SqlAccountImportBatch:
    """Stages, checks and merges one account import inside an open transaction."""

    def __init__(self, connection: Connection, creditor_id: int) -> None:
        self._connection = connection
        self._creditor_id = creditor_id
        self._postgres = connection.dialect.name == "postgresql"
        self._timestamp = "TIMESTAMPTZ" if self._postgres else "TIMESTAMP"
        self._indexed = False
        on_commit = "ON COMMIT DROP" if self._postgres else ""
        if not self._postgres:  # the set-based checks and merge read the staged rows many times: cache them
            connection.exec_driver_sql(f"PRAGMA temp.cache_size = {_SQLITE_CACHE_KIB}")
            connection.exec_driver_sql(f"PRAGMA main.cache_size = {_SQLITE_CACHE_KIB}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS import_rows")
        connection.exec_driver_sql(_STAGING_DDL.format(timestamp=self._timestamp, on_commit=on_commit))

    def row_encoder(self) -> Callable[[Sequence[AccountRow]], Any]:
        """The function that turns rows into what stage_encoded() writes (run it where rows are validated)."""
        return _copy_text if self._postgres else _sqlite_rows

    def stage_encoded(self, payload: Any) -> None:
        """Writes one chunk of rows made by row_encoder(): COPY text on PostgreSQL, parameter tuples on SQLite."""
        if self._postgres:
            raw = self._connection.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY import_rows ({', '.join(_COLUMNS)}) FROM STDIN") as copy,
            ):
                copy.write(payload)
            return
        marks = ", ".join("?" for _ in _COLUMNS)
        self._connection.exec_driver_sql(
            f"INSERT INTO import_rows ({', '.join(_COLUMNS)}) VALUES ({marks})", payload
        )

    def cross_row_problems(self, limit: int) -> list[RowProblem]:
        """Duplicates and mismatches across rows and against what is already stored."""
        self._index()
        problems: list[RowProblem] = []
        for column, sql, message in _CHECKS:
            for line, value, other in self._rows(sql, limit):
                problems.append(RowProblem(int(line), column, message.format(value=value, other=other)))
        problems.sort()
        return problems[:limit] if len(problems) > limit else problems

    def merge(self, full_snapshot: bool, at: datetime) -> ImportCounts:
        """Writes debtors, then accounts, then invoices (changed rows updated, new ones inserted); with a full
        snapshot settles the open invoices missing from the file."""
        self._index()
        rows = self._scalar("SELECT COUNT(*) FROM import_rows")
        debtors = self._upsert("debtors", ("phone",), _DEBTOR_SOURCE, _DEBTOR_FIELDS, at)
        accounts = self._upsert(
            "accounts", ("reference",), _ACCOUNT_SOURCE, _ACCOUNT_FIELDS, at, ("currency",)
        )
        invoice_source = _INVOICE_SOURCE.format(timestamp=self._timestamp)
        invoices = self._upsert(
            "invoices", ("reference",), invoice_source, _INVOICE_FIELDS, at, ("currency",)
        )
        settled = self._settle_missing(at) if full_snapshot else 0
        return ImportCounts(
            debtors_created=debtors[0],
            debtors_updated=debtors[1],
            accounts_created=accounts[0],
            accounts_updated=accounts[1],
            invoices_created=invoices[0],
            invoices_updated=invoices[1],
            invoices_unchanged=rows - invoices[0] - invoices[1],
            invoices_settled=settled,
            rows=rows,
        )

    def _upsert(
        self,
        table: str,
        key: tuple[str, ...],
        source: str,
        fields: tuple[tuple[str, str], ...],
        at: datetime,
        insert_only: tuple[str, ...] = (),
    ) -> tuple[int, int]:
        """Updates the stored rows where something differs, then inserts the new ones; (created, updated).

        Two plain statements instead of INSERT ... ON CONFLICT: PostgreSQL's speculative insertion costs
        about a third more per row. The unique constraints still guard against a concurrent import of the
        same keys: the later one fails on them and rolls back whole.
        """
        on = " AND ".join(f"t.{k} = n.{k}" for k in key)
        sets = ", ".join(f"{col} = {expr.format(new='n', old='t')}" for col, expr in fields)
        differs = " OR ".join(
            f"t.{col} IS DISTINCT FROM {expr.format(new='n', old='t')}" for col, expr in fields
        )
        updated = self._execute(
            f"UPDATE {table} AS t SET {sets}, updated_at = :now FROM ({source}) AS n "
            f"WHERE t.creditor_id = :creditor AND {on} AND ({differs})",
            at,
        ).rowcount
        columns = [*key, *insert_only, *(col for col, _ in fields)]
        created = self._execute(
            f"INSERT INTO {table} (creditor_id, {', '.join(columns)}, created_at, updated_at) "
            f"SELECT :creditor, {', '.join('n.' + c for c in columns)}, :now, :now FROM ({source}) AS n "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.creditor_id = :creditor AND {on})",
            at,
        ).rowcount
        return int(created), int(updated)

    def _settle_missing(self, at: datetime) -> int:
        """Marks open invoices missing from a full snapshot as settled outside Cobro, with an audit event each."""
        missing = (
            "FROM invoices i WHERE i.creditor_id = :creditor AND i.status = 'open' "
            "AND NOT EXISTS (SELECT 1 FROM import_rows s WHERE s.invoice_ref = i.reference)"
        )
        self._execute(
            "INSERT INTO audit_events (occurred_at, kind, actor, creditor_id, account_id, debtor_id, data) "
            "SELECT :now, 'invoice.settled', 'import', i.creditor_id, i.account_id, NULL, "
            f'\'{{"reason": "missing from full snapshot"}}\' {missing}',
            at,
        )
        result = self._execute(
            "UPDATE invoices SET status = 'settled', outstanding_minor = 0, settled_at = :now, updated_at = :now "
            "WHERE id IN (SELECT i.id " + missing + ")",
            at,
        )
        return int(result.rowcount)

    def _index(self) -> None:
        if self._indexed:
            return
        if self._postgres:  # hash joins need no index on the staged rows, only their statistics
            self._connection.exec_driver_sql("ANALYZE import_rows")
        else:
            for column in ("phone", "account_ref", "invoice_ref"):
                self._connection.exec_driver_sql(
                    f"CREATE INDEX import_rows_{column} ON import_rows ({column})"
                )
        self._indexed = True

    def _execute(self, sql: str, at: datetime | None = None) -> Any:
        statement = text(sql)
        params: dict[str, Any] = {"creditor": self._creditor_id}
        if at is not None:
            statement = statement.bindparams(bindparam("now", type_=UTCDateTime))
            params["now"] = at
        return self._connection.execute(statement, params)

    def _scalar(self, sql: str) -> int:
        return int(self._execute(sql).scalar_one())

    def _rows(self, sql: str, limit: int) -> list[tuple[Any, ...]]:
        statement = text(sql + " ORDER BY 1 LIMIT :limit")
        return [
            tuple(r)
            for r in self._connection.execute(statement, {"creditor": self._creditor_id, "limit": limit})
        ]


# Joins each staged row s to the first row f of the file with the same key.
_FIRST_OF = (
    "FROM import_rows s JOIN (SELECT {key}, MIN(line) AS first FROM import_rows GROUP BY {key}) m "
    "ON m.{key} = s.{key} JOIN import_rows f ON f.line = m.first "
)

# Checks across rows: (column, SELECT line, value, other, message). Each names the later row of a pair.
_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "invoice_ref",
        "SELECT s.line, s.invoice_ref, f.first FROM import_rows s JOIN (SELECT invoice_ref, MIN(line) AS first "
        "FROM import_rows GROUP BY invoice_ref HAVING COUNT(*) > 1) f ON f.invoice_ref = s.invoice_ref "
        "WHERE s.line > f.first",
        "invoice {value!r} is also in row {other}",
    ),
    (
        "currency",
        "SELECT s.line, s.currency, f.currency || ' in row ' || CAST(f.line AS VARCHAR(12)) "
        + _FIRST_OF.format(key="account_ref")
        + "WHERE s.currency <> f.currency",
        "{value} differs from the account's currency ({other})",
    ),
    (
        "currency",
        "SELECT s.line, s.currency, a.currency FROM import_rows s JOIN accounts a "
        "ON a.creditor_id = :creditor AND a.reference = s.account_ref WHERE a.currency <> s.currency",
        "{value} differs from the account's stored currency ({other})",
    ),
    (
        "debtor_name",
        "SELECT s.line, '', f.line "
        + _FIRST_OF.format(key="phone")
        + "WHERE lower(s.debtor_name) <> lower(f.debtor_name)",
        "another debtor name has the same phone in row {other} (a number must reach one person)",
    ),
    (
        "phone",
        "SELECT s.line, '', f.line " + _FIRST_OF.format(key="account_ref") + "WHERE s.phone <> f.phone",
        "the same account has another phone in row {other}",
    ),
    (
        "invoice_ref",
        "SELECT s.line, s.invoice_ref, a.reference FROM import_rows s JOIN invoices i ON i.creditor_id = :creditor "
        "AND i.reference = s.invoice_ref JOIN accounts a ON a.id = i.account_id WHERE a.reference <> s.account_ref",
        "invoice {value!r} is stored under another account ({other!r})",
    ),
)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sqlite_rows(rows: Sequence[AccountRow]) -> list[tuple[Any, ...]]:
    """Parameter tuples for the staging INSERT, in _COLUMNS order (dates as ISO text, times as naive UTC)."""
    day = moment = _sqlite_value
    return [
        (
            r.line, r.account_ref, r.debtor_name, r.phone, r.country, r.invoice_ref, r.amount_minor, r.currency,
            day(r.due_date), r.language, r.time_zone, r.time_zone_source, r.time_zone_candidates, r.email,
            day(r.issued_on), r.payment_link, r.consent_method, moment(r.consent_at), r.consent_source,
            r.national_id, day(r.birth_date),
        )
        for r in rows
    ]  # fmt: skip


# COPY's text format: tab-separated, \N for NULL, backslash escapes for the characters that would break a line.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def _copy_text(rows: Sequence[AccountRow]) -> str:
    """The rows as COPY text lines, in _COLUMNS order (what psycopg's write_row would send)."""
    lines = []
    for r in rows:
        strings = (
            r.account_ref, r.debtor_name, r.phone, r.country, r.invoice_ref, r.currency, r.language, r.time_zone,
            r.time_zone_source, r.time_zone_candidates, r.email or "", r.payment_link or "",
            r.consent_method or "", r.consent_source or "", r.national_id or "",
        )  # fmt: skip
        if _COPY_SPECIAL.search("".join(strings)):  # rare: escape field by field
            lines.append("\t".join([_copy_field(getattr(r, name)) for name in _COLUMNS]))
            continue
        fields = [
            str(r.line), r.account_ref, r.debtor_name, r.phone, r.country, r.invoice_ref, str(r.amount_minor),
            r.currency, r.due_date.isoformat(), r.language, r.time_zone, r.time_zone_source,
            r.time_zone_candidates, r.email, r.issued_on, r.payment_link, r.consent_method, r.consent_at,
            r.consent_source, r.national_id, r.birth_date,
        ]  # fmt: skip
        for i in range(13, 21):  # the optional columns: NULL, text, date or time
            value = fields[i]
            if value is None:
                fields[i] = "\\N"
            elif not isinstance(value, str):
                fields[i] = value.isoformat()
        lines.append("\t".join(fields))  # type: ignore[arg-type]
    return "".join(line + "\n" for line in lines)


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
