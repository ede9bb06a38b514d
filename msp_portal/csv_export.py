"""CSV downloads: the one writer of the project (docs/exports.md). Streamed, UTF-8 with a BOM so
spreadsheet programs read accents right, and every text cell neutralised so that a value typed
by one organisation can never run as a formula in the spreadsheet of another."""

import csv
import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

# OWASP's list (CSV injection): a spreadsheet reads a cell starting with one of these as a
# formula, or (tab, carriage return) strips it and reads what follows as one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# A signed decimal such as "-5" or "-12.50" (what Decimal amounts become as text): spreadsheets
# read it as a number, so it is left alone. ASCII digits only: "\d" would also let other
# scripts' digits through, which spreadsheets do not read as numbers.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def is_plain_number(text: str) -> bool:
    return _PLAIN_NUMBER.fullmatch(text) is not None


def neutralise_text(text: str) -> str:
    """The text as a cell that no spreadsheet evaluates: a leading ``'`` (which spreadsheets
    hide and take as "this is text") when it starts with a formula trigger and is not a plain
    number; otherwise unchanged."""
    if text.startswith(FORMULA_TRIGGERS) and not is_plain_number(text):
        return "'" + text
    return text


def csv_cell(value):
    """One value as it goes to the writer. Integers and dates stay as they are; a Decimal (money)
    or a float is written in plain positional notation ("-12.50", never "-1.25E+1"), so it is
    always a plain number; None is an empty cell; anything else (str, lazy translations, any
    other object) is text, neutralised. A non-finite number ("-Infinity") starts with a trigger
    without being a number a spreadsheet reads, so it is text too."""
    if value is None:
        return ""
    if isinstance(value, int | dt.date | dt.time):
        return value
    if isinstance(value, float) and math.isfinite(value):
        value = Decimal(repr(value))
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return neutralise_text(str(value))


class _Echo:
    def write(self, value):
        return value


def csv_write(file, header: Sequence, rows: Iterable[Sequence], on_row=None) -> int:
    """The same CSV into an open text file (an export built by a worker); returns the number
    of rows written. ``on_row(count)`` is called after each row (for progress)."""
    writer = csv.writer(file)
    file.write("\ufeff")
    writer.writerow([csv_cell(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        count += 1
        if on_row is not None:
            on_row(count)
    return count


def csv_response(filename: str, header: Sequence, rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A CSV download. Every cell, header included, goes through ``csv_cell``."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([csv_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    # Filenames carry typed values (a SKU): Django quotes them and encodes non-ASCII ones.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def csv_file_response(path, filename: str) -> FileResponse:
    """A CSV this writer already wrote to a file (an export built by a worker), as a download."""
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=filename)  # noqa: SIM115 (closed by Django)
    response["Content-Type"] = "text/csv; charset=utf-8"
    return response
