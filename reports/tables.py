"""The column descriptions of reports' lists, shared by each page and its CSV download
(msp_portal/tables.py)."""

import datetime as dt
from dataclasses import replace

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from msp_portal.money import round_money
from msp_portal.tables import Column, Table

from .forms_accounts import reminder_days_text
from .selectors import line_amount


def _moment(value):
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


def _utc(value):
    # The CSV of a distributor spans MSPs in several time zones: its times are all in UTC, and
    # their headers say so. Pages show each time in the organisation's own zone.
    return _moment(value.astimezone(dt.UTC)) if value else ""


# --- the report list: the MSP's reports and the distributor's review queue ---------------------
# One set of columns; each audience's table keeps its page's order (an MSP reads deadlines
# first, a distributor when each report was submitted) and its download follows that order,
# the columns the page does not show placed after their neighbours. Both downloads carry every
# column; only the distributor's page names the MSP of each report.

_MSP = Column("msp", _("MSP"), lambda report: report.organisation.name)
_CYCLE = Column("cycle", _("Cycle"), lambda report: f"{report.cycle:%Y-%m}")
_STATE = Column("state", _("State"), lambda report: report.get_state_display())
_DEADLINE = Column(
    "deadline", _("Deadline (UTC)"), lambda report: _utc(report.deadline), page_header=_("Deadline")
)
_SUBMITTED = Column("submitted", _("Submitted"), lambda report: _utc(report.submitted_at))
_HOW_SUBMITTED = Column(
    "submission_kind", _("How submitted"), lambda report: report.get_submission_kind_display(), page=False
)
_PO_NUMBER = Column("po_number", _("PO number"), lambda report: report.po_number, page=False)
_LINE_COUNT = Column("lines", _("Lines"), lambda report: report.line_count, css="num")
_DISCREPANCIES = Column(
    "discrepancies", _("Discrepancies"), lambda report: report.discrepancy_count, css="num"
)
# The sum of the lines' rounded amounts (selectors.with_totals), as the page shows it.
_AMOUNT = Column("amount", _("Amount"), lambda report: round_money(report.amount), css="num")
_CURRENCY = Column("currency", _("Currency"), lambda report: report.currency, page=False)

MSP_REPORTS = Table(
    (
        replace(_MSP, page=False),
        _CYCLE,
        _STATE,
        _DEADLINE,
        _LINE_COUNT,
        _DISCREPANCIES,
        _AMOUNT,
        _CURRENCY,
        _SUBMITTED,
        _HOW_SUBMITTED,
        _PO_NUMBER,
    )
)

REVIEW_QUEUE = Table(
    (
        _MSP,
        _CYCLE,
        _STATE,
        # The page's "Submitted" cell shows the deadline of a report not submitted yet.
        _SUBMITTED,
        _HOW_SUBMITTED,
        _PO_NUMBER,
        replace(_DEADLINE, page=False),
        replace(_LINE_COUNT, page=False),
        _DISCREPANCIES,
        _AMOUNT,
        _CURRENCY,
    )
)


def report_list_table(*, is_distributor: bool) -> Table:
    return REVIEW_QUEUE if is_distributor else MSP_REPORTS


# --- the lines of one report (its page's grid and its CSV) -------------------------------------

REPORT_LINES = Table(
    (
        Column("product_id", _("Product id"), lambda line: line.product_code, page=False),
        Column("sku", _("SKU"), lambda line: line.sku_code, page=False),
        # The page shows the product id and SKU under the product's name.
        Column("product", _("Product"), lambda line: line.product_name),
        Column("unit_type", _("Unit type"), lambda line: line.unit_type),
        Column("provided", _("Provided units"), lambda line: line.provided_units, css="num"),
        Column("used", _("Used units"), lambda line: line.used_units, css="num"),
        Column(
            "over_provisioned",
            _("Over-provisioned %"),
            lambda line: line.over_provisioned_percent,
            page_header=_("Over-provisioned"),
            css="num",
        ),
        Column("billable", _("Billable units"), lambda line: line.billable_units, css="num"),
        Column("unit_price", _("Unit price"), lambda line: line.unit_price, page=False),
        # Rounded half-up to the cent, line by line (docs/money.md).
        Column(
            "amount",
            _("Amount"),
            line_amount,
            page_header=_("Amount (%(currency)s)"),
            css="num",
        ),
        Column("currency", _("Currency"), lambda line: line.report.currency, page=False),
        # The page's comment button marks an unexplained discrepancy; the CSV says which lines the
        # MSP explained.
        Column(
            "explained",
            _("Explained"),
            lambda line: gettext("yes") if line.has_msp_comment else "",
            page_header=_("Comments"),
            css="actions",
        ),
    )
)


def report_line_page_columns(*, currency: str) -> list[Column]:
    """The report page's header cells: REPORT_LINES' page columns, the amount's naming the
    report's currency."""
    return [
        replace(column, page_header=str(column.page_header) % {"currency": currency})
        if column.key == "amount"
        else column
        for column in REPORT_LINES.page_columns
    ]


ACCOUNT_SETTINGS = Table(
    (
        Column("msp", _("MSP"), lambda row: row.msp.name),
        Column("slug", _("Slug"), lambda row: row.msp.slug, page=False),
        Column(
            "delay",
            _("Auto-submit delay (days)"),
            lambda row: row.settings.auto_submit_days,
            page_header=_("Auto-submit delay"),
            css="num",
        ),
        Column("penalty", _("Penalty surcharge"), lambda row: row.settings.get_penalty_kind_display()),
        Column("percent", _("Surcharge percentage"), lambda row: row.settings.penalty_percent, page=False),
        Column(
            "minimum", _("Minimum surcharge per line"), lambda row: row.settings.penalty_minimum, page=False
        ),
        Column(
            "surcharge_over_declared",
            _("Surcharge over-declared lines"),
            lambda row: gettext("yes") if row.settings.surcharge_over_declared else gettext("no"),
            page=False,
        ),
        Column(
            "auto_approve",
            _("Automatic approval"),
            lambda row: gettext("yes") if row.settings.auto_approve_clean else gettext("no"),
        ),
        Column(
            "reminders",
            _("Reminders (days before the deadline)"),
            lambda row: reminder_days_text(row.settings.reminder_days),
            page_header=_("Reminders"),
        ),
        Column("updated", _("Updated"), lambda row: _moment(row.settings.updated_at)),
        Column(
            "updated_by",
            _("Updated by"),
            lambda row: row.settings.updated_by.email if row.settings.updated_by else "",
            page=False,
        ),
    )
)
