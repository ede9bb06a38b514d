"""The texts of the notifications about usage reports."""

from django.utils.translation import gettext_lazy as _

from msp_portal.notifications.texts import register

REPORT_READY = "report_ready"
REPORT_SUBMITTED = "report_submitted"
REPORT_APPROVED = "report_approved"
REPORT_REJECTED = "report_rejected"


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
