"""Bulk assignment from a CSV file: parsing and checking every row before anything is applied
(pure: no ORM; licensing.services applies a file whose rows all passed)."""

import csv
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

KNOWN_COLUMNS = ("product", "sku", "name", "email", "extension", "cost_center")
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
# The columns the values are stored in (licensing.models.License; tests/test_no_500.py checks).
MAX_NAME, MAX_EMAIL, MAX_EXTENSION = 200, 254, 20
MAX_FIELD_CHARS = csv.field_size_limit()  # Python's limit on one value (131,072 characters)


@dataclass(frozen=True)
class BulkRow:
    line: int  # line number in the file (the header is line 1)
    sku: str
    product: str
    name: str
    email: str
    extension: str
    cost_center: str


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


def parse_assignment_csv(raw: bytes) -> tuple[list[BulkRow], list[RowError]]:
    """Rows of ``product,sku,name,email,extension,cost_center`` (header required, with a sku or
    a product column; the order of columns is free; at least one of name, email, extension per
    row; the product id is needed only where several products share a SKU). Returns the rows and every
    problem found, each with its line and column."""
    if len(raw) > MAX_BYTES:
        return [], [RowError(0, "", _("The file is larger than 2 MB: split it."))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [
            RowError(
                line,
                "",
                _("Line %(line)s is not UTF-8 text. Save the file as CSV UTF-8 and try again.")
                % {"line": line},
            )
        ]
    if "\x00" in text:
        # A NUL character cannot be stored in PostgreSQL text: the file is binary or damaged.
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [], [
            RowError(
                line,
                "",
                _("Line %(line)s holds a NUL character: this is not a CSV text file.") % {"line": line},
            )
        ]
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _read_rows(reader)
    except csv.Error:
        # Python's csv module refuses a value above its field limit; it stops on the line after
        # the last one it counted.
        line = reader.line_num + 1
        return [], [
            RowError(
                line,
                "",
                _(
                    "Line %(line)s could not be read: a value is longer than %(max)s characters "
                    "(a quote left open makes the rest of the file one value)."
                )
                % {"line": line, "max": f"{MAX_FIELD_CHARS:,}"},
            )
        ]


def _read_rows(reader: csv.DictReader) -> tuple[list[BulkRow], list[RowError]]:
    header = [(column or "").strip().lower() for column in (reader.fieldnames or [])]
    missing = [] if ("sku" in header or "product" in header) else ["sku", "product"]
    if missing:
        return [], [
            RowError(
                1,
                ", ".join(missing),
                _("The header must name the columns: %(columns)s.") % {"columns": ", ".join(KNOWN_COLUMNS)},
            )
        ]
    reader.fieldnames = header
    rows, errors = [], []
    for count, record in enumerate(reader, start=1):
        index = reader.line_num  # the file's own line (blank lines and quoted newlines count)
        if count > MAX_ROWS:
            errors.append(RowError(index, "", _("At most %(max)s rows per file.") % {"max": MAX_ROWS}))
            break
        values = {column: (record.get(column) or "").strip() for column in KNOWN_COLUMNS}
        if not any(values.values()):
            continue  # a blank line
        if not (values["sku"] or values["product"]):
            errors.append(
                RowError(index, "sku", _("Give the SKU (or the product id) of the license to assign."))
            )
        if not (values["name"] or values["email"] or values["extension"]):
            errors.append(RowError(index, "name", _("Give a name, an e-mail address or an extension.")))
        if values["email"]:
            try:
                validate_email(values["email"])
            except ValidationError:
                errors.append(
                    RowError(
                        index, "email", _("%(email)s is not an e-mail address.") % {"email": values["email"]}
                    )
                )
        if len(values["email"]) > MAX_EMAIL:
            errors.append(RowError(index, "email", _("At most %(max)s characters.") % {"max": MAX_EMAIL}))
        if len(values["name"]) > MAX_NAME:
            errors.append(RowError(index, "name", _("At most 200 characters.")))
        if len(values["extension"]) > MAX_EXTENSION:
            errors.append(RowError(index, "extension", _("At most 20 characters.")))
        rows.append(BulkRow(line=index, **{**values, "email": values["email"].lower()}))
    if not rows and not errors:
        errors.append(RowError(0, "", _("The file has no rows to assign.")))
    return rows, errors
