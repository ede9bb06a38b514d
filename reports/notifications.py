"""The texts of the notifications about usage reports."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from msp_portal.notifications.texts import register

REPORT_READY = "report_ready"
REPORT_SUBMITTED = "report_submitted"
REPORT_APPROVED = "report_approved"
REPORT_REJECTED = "report_rejected"
REPORT_REMINDER = "report_reminder"
REPORT_AUTO_SUBMITTED = "report_auto_submitted"
REPORT_AUTO_APPROVED = "report_auto_approved"
REPORTS_AUTO_SUBMITTED = "reports_auto_submitted"


def register_texts() -> None:
    register(
        REPORT_READY,
        _("Usage report for %(cycle)s is ready"),
        _(
            "Review the billable units of %(cycle)s, explain every discrepancy and submit before %(deadline)s."
        ),
    )
    register(
        REPORT_SUBMITTED,
        _("%(msp)s submitted the usage report for %(cycle)s"),
        _("The report is waiting in your review queue."),
    )
    register(
        REPORT_APPROVED,
        _("Usage report for %(cycle)s approved"),
        _("%(distributor)s approved your usage report for %(cycle)s."),
    )
    register(
        REPORT_REJECTED,
        _("Usage report for %(cycle)s rejected"),
        _(
            "%(distributor)s rejected your usage report for %(cycle)s. Reason: “%(reason)s”. "
            "Correct it and submit again before %(deadline)s."
        ),
    )
    register(
        REPORT_REMINDER,
        _("Reminder: submit the usage report for %(cycle)s before %(deadline)s"),
        _(
            "After the deadline the report is submitted automatically, and every discrepancy you "
            "have not explained in a comment is penalised (as it stands: %(amount)s %(currency)s)."
        ),
    )
    register(
        REPORT_AUTO_SUBMITTED,
        _("Usage report for %(cycle)s was submitted automatically"),
        ngettext_lazy(
            "Its deadline passed, so the report went to your distributor for review. Unexplained "
            "discrepancies penalised: %(penalties)s line, %(amount)s %(currency)s.",
            "Its deadline passed, so the report went to your distributor for review. Unexplained "
            "discrepancies penalised: %(penalties)s lines, %(amount)s %(currency)s.",
            "penalties",
        ),
    )
    register(
        REPORT_AUTO_APPROVED,
        _("Usage report for %(cycle)s was approved automatically"),
        _("The report had no discrepancy, and your account approves such reports without review."),
    )
    register(
        REPORTS_AUTO_SUBMITTED,
        _("Usage reports submitted automatically: %(count)s"),
        _(
            "Their deadlines passed: %(penalised)s of them carry penalties and may require review; "
            "%(approved)s had no discrepancy and were approved automatically."
        ),
    )
