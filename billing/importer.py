"""Loading a reconciliation file into PostgreSQL (docs/billing.md, "Imports").

The file streams through ``COPY`` into a temporary table of text columns (memory does not grow
with the file); every check then runs inside PostgreSQL over the whole table at once (one
statement per column, not one Python call per cell); the rows are typed and written to their
table by one ``INSERT … SELECT``. All of it is one transaction: a refused file leaves only its
import record and the list of its problems, and a worker killed half-way leaves nothing.

Line numbers count the header as line 1 (a row is line N + 1 of the COPY data).
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg2
from django.db import connection, transaction
from django.utils.translation import gettext as _

from . import rules
from .columns import Column, FileKind, Kind, columns_of, header_problems

MAX_PROBLEMS_STORED = 100_000  # the downloadable list; the page shows the first 100
PROGRESS_EVERY = 4 * 1024 * 1024

DECIMAL_PATTERN = r"^[+-]?[0-9]{1,28}(\.[0-9]{0,10})?$"
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?Z?)?$"
VENDOR_DATE_PATTERN = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$"


@dataclass
class Problem:
    line: int  # 0: the file as a whole
    column: str
    message: str


@dataclass
class Refused(Exception):
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Loaded:
    rows: int
    flagged: int
    period: object
    invoice_number: str


class HashingReader:
    """Reads a binary file for COPY, hashing and counting what passes, and telling progress."""

    def __init__(self, raw, on_progress: Callable[[int], None] | None = None):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0
        self._on_progress = on_progress
        self._next_report = PROGRESS_EVERY

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self._seen(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        chunk = self.raw.readline(size)
        self._seen(chunk)
        return chunk

    def _seen(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        self.bytes_read += len(chunk)
        if self._on_progress and self.bytes_read >= self._next_report:
            self._on_progress(self.bytes_read)
            self._next_report = self.bytes_read + PROGRESS_EVERY


def read_header(reader: HashingReader, kind: FileKind) -> list[Column]:
    """The header line, checked: the file's columns in its order, or Refused naming each
    missing, unknown (with the closest name) or repeated column."""
    import csv

    first = reader.readline()
    if not first.strip():
        raise Refused(
            [Problem(0, "", _("The file is empty: export the file again from the vendor's portal."))]
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(
            [Problem(1, "", _("The file is not UTF-8 text: save it as UTF-8 (with or without BOM)."))]
        ) from None
    header = next(csv.reader([text.rstrip("\r\n")]))
    found, problems = header_problems(kind, [name.strip() for name in header])
    if problems:
        raise Refused([Problem(1, p.column, _header_message(p)) for p in problems])
    return found


def _header_message(problem) -> str:
    if problem.reason == "missing":
        return _("The column %(column)s is missing from the header.") % {"column": problem.column}
    if problem.reason == "repeated":
        return _("The column %(column)s appears twice in the header.") % {"column": problem.column}
    if problem.closest:
        return _("Unknown column %(column)s: did you mean %(closest)s?") % {
            "column": problem.column,
            "closest": problem.closest,
        }
    return _("Unknown column %(column)s: remove it or use the vendor's header.") % {"column": problem.column}


def _staging(cursor, columns: list[Column]) -> None:
    names = ", ".join(f"{c.name} text" for c in columns)
    # Dropped at commit; dropped here too for a second file in the same transaction.
    cursor.execute("DROP TABLE IF EXISTS billing_staging")
    cursor.execute(f"CREATE TEMPORARY TABLE billing_staging (line bigserial, {names}) ON COMMIT DROP")


def _copy(cursor, reader: HashingReader, columns: list[Column]) -> None:
    names = ", ".join(c.name for c in columns)
    try:
        with transaction.atomic():  # a savepoint: the refusal is recorded after it
            cursor.cursor.copy_expert(
                f"COPY billing_staging ({names}) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')", reader
            )
    except psycopg2.DataError as error:  # the raw cursor's COPY: psycopg2's own error
        raise Refused([_copy_problem(error)]) from error


def _copy_problem(error: psycopg2.DataError) -> Problem:
    diag = getattr(error, "diag", None)
    context = (getattr(diag, "context", None) or "") if diag else ""
    primary = (getattr(diag, "message_primary", None) or str(error)) if diag else str(error)
    match = re.search(r"line (\d+)", context)
    line = int(match.group(1)) + 1 if match else 0
    if "invalid byte sequence" in primary:
        message = _("This line is not UTF-8 text: save the file as UTF-8 (with or without BOM).")
    elif "missing data for column" in primary:
        message = _("This line has fewer columns than the header: is the file cut short?")
    elif "extra data after last expected column" in primary:
        message = _("This line has more columns than the header: check its quotes and commas.")
    elif "unterminated CSV quoted field" in primary:
        message = _("A quoted value that starts here never ends: is the file cut short?")
    else:
        message = _("This line cannot be read as CSV (%(reason)s).") % {"reason": primary}
    return Problem(line, "", message)


def _cell_checks(columns: list[Column]) -> list[tuple[str, str, str]]:
    """(column header, SQL condition of a bad cell, message) for every check of every column."""
    checks = []
    for c in columns:
        if c.required:
            checks.append(
                (c.header, f"coalesce(btrim({c.name}), '') = ''", _("Empty: this column needs a value."))
            )
        if c.kind == Kind.DECIMAL:
            checks.append(
                (
                    c.header,
                    f"btrim({c.name}) <> '' AND btrim({c.name}) !~ '{DECIMAL_PATTERN}'",
                    _("Not a decimal number: write digits with a point, at most 10 decimals (e.g. 12.5)."),
                )
            )
        if c.kind == Kind.DATE:
            checks.append(
                (
                    c.header,
                    f"btrim({c.name}) <> '' AND btrim({c.name}) !~ '{ISO_DATE_PATTERN}' "
                    f"AND btrim({c.name}) !~ '{VENDOR_DATE_PATTERN}'",
                    _("Not a date: write 2025-07-01 or 7/1/2025 (month/day/year)."),
                )
            )
    if any(c.name == "partner_earned_credit_percentage" for c in columns):
        checks.append(
            (
                "PartnerEarnedCreditPercentage",
                f"btrim(partner_earned_credit_percentage) ~ '{DECIMAL_PATTERN}' "
                "AND btrim(partner_earned_credit_percentage)::numeric NOT IN (0, 15)",
                _("The partner earned credit is 0 or 15 (percent)."),
            )
        )
    return checks


def _check_cells(cursor, columns: list[Column]) -> None:
    """Every bad cell of the file, found in one scan of the staging table: each row is tested
    against every check at once, and the array says which ones failed (a scan per check cost
    twice as much: the time goes to the patterns, not to reading)."""
    checks = _cell_checks(columns)
    tests = ", ".join(f"coalesce(({condition}), false)" for _header, condition, _message in checks)
    anything = " OR ".join(f"({condition})" for _header, condition, _message in checks)
    cursor.execute(
        f"SELECT line + 1, ARRAY[{tests}] FROM billing_staging WHERE {anything} ORDER BY line LIMIT %s",
        [MAX_PROBLEMS_STORED],
    )
    problems = [
        Problem(line, checks[index][0], checks[index][2])
        for line, failed in cursor.fetchall()
        for index, bad in enumerate(failed)
        if bad
    ]
    if problems:
        raise Refused(problems[:MAX_PROBLEMS_STORED])


def typed(spec: Column, present: bool) -> str:
    """The SQL of a staging cell typed as its column; a column the file does not have (an
    optional one) is empty."""
    name = spec.name
    if not present:
        return "''" if spec.kind == Kind.TEXT else "NULL"
    if spec.kind == Kind.DECIMAL:
        return f"nullif(btrim({name}), '')::numeric(38, 10)"
    if spec.kind == Kind.DATE:
        return (
            f"CASE WHEN btrim({name}) ~ '{ISO_DATE_PATTERN}' THEN substr(btrim({name}), 1, 10)::date "
            f"WHEN btrim({name}) ~ '{VENDOR_DATE_PATTERN}' "
            f"THEN to_date(split_part(btrim({name}), ' ', 1), 'MM/DD/YYYY') END"
        )
    return f"coalesce({name}, '')"


def typed_rows(kind: FileKind, present: list[Column]) -> tuple[list[str], str]:
    """The column names of the kind, and the SQL of the staging rows with every column typed:
    used as a subquery, so the rows are typed once, while they are written (a typed copy of
    the table first cost a fifth of the import)."""
    required, optional = columns_of(kind)
    names = {c.name for c in present}
    all_columns = [*required, *optional]
    selects = ", ".join(f"{typed(c, c.name in names)} AS {c.name}" for c in all_columns)
    return [c.name for c in all_columns], f"SELECT line, {selects} FROM billing_staging"


def _impossible_dates(cursor, present: list[Column]) -> list[Problem]:
    """Where typing failed: the dates that match a pattern but name no day (31 June), found row
    by row in Python. Only a file that has one pays for this slow path."""
    import datetime as dt

    problems = []
    dates = [c for c in present if c.kind == Kind.DATE]
    names = ", ".join(c.name for c in dates)
    with connection.cursor() as rows:
        rows.execute(f"SELECT line + 1, {names} FROM billing_staging ORDER BY line")
        for line, *values in rows:
            for column, value in zip(dates, values, strict=True):
                text = (value or "").strip()
                if not text:
                    continue
                try:
                    if "/" in text:
                        dt.datetime.strptime(text.split(" ")[0], "%m/%d/%Y")
                    else:
                        dt.date.fromisoformat(text[:10])
                except ValueError:
                    problems.append(Problem(line, column.header, _("No such day: check the date.")))
    return problems


def load(cursor, *, kind: FileKind, reader: HashingReader) -> tuple[list[Column], list[str], str]:
    """Stage and check the file; returns its columns, the kind's column names and the SQL of
    its typed rows (see typed_rows), or raises Refused. A day that does not exist (31 June)
    passes the checks and fails when the rows are typed: see impossible_dates."""
    present = read_header(reader, kind)
    _staging(cursor, present)
    _copy(cursor, reader, present)
    cursor.execute("SELECT count(*) FROM billing_staging")
    if cursor.fetchone()[0] == 0:
        raise Refused([Problem(0, "", _("The file has a header but no rows."))])
    _check_cells(cursor, present)
    names, typed_sql = typed_rows(kind, present)
    return present, names, typed_sql


def impossible_dates(present: list[Column]) -> Refused:
    """The refusal of a file whose typing failed on a date."""
    return Refused(_impossible_dates(None, present) or [Problem(0, "", _("A date could not be read."))])


# The row rules, evaluated over the typed rows (billing/rules.py is their one home).
DAILY_USAGE_DERIVED = {
    "expected_pre_tax_total": rules.SQL_EXPECTED_PRE_TAX_TOTAL,
    "pre_tax_total_mismatch": rules.SQL_PRE_TAX_TOTAL_MISMATCH,
    "reseller_kind": rules.SQL_RESELLER_KIND,
}
INVOICE_DERIVED = {"reseller_kind": rules.SQL_RESELLER_KIND}
