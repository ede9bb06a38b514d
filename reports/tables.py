"""The column descriptions of reports' lists, shared by each page and its CSV download
(msp_portal/tables.py)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from msp_portal.tables import Column, Table

from .forms_accounts import reminder_days_text


def _moment(value):
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


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
