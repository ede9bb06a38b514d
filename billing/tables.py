"""The column descriptions of billing's lists, shared by each page and its CSV download
(msp_portal/tables.py)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.tables import Column, Table


def _moment(moment):
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _by(record):
    return record.created_by.email if record.created_by else ""


IMPORTS = Table(
    (
        Column("file", _("File"), lambda r: r.file_name),
        Column("kind", _("Kind"), lambda r: r.get_kind_display()),
        Column("period", _("Period"), lambda r: f"{r.period:%Y-%m}" if r.period else ""),
        Column("invoice", _("Invoice"), lambda r: r.invoice_number),
        Column("state", _("State"), lambda r: r.get_state_display()),
        Column("rows", _("Rows"), lambda r: r.row_count, css="num"),
        Column("flagged", _("Flagged"), lambda r: r.flagged_count, css="num"),
        Column("problems", _("Problems"), lambda r: r.problem_count, css="num"),
        Column("uploaded", _("Uploaded"), lambda r: _moment(r.created_at)),
        Column("by", _("By"), _by),
    )
)

# Why a file was refused: line (the header is line 1), column, problem.
PROBLEMS = Table(
    (
        Column("line", _("Line"), lambda p: p.line, css="num"),
        Column("column", _("Column"), lambda p: p.column),
        Column("problem", _("Problem"), lambda p: p.message),
    )
)
