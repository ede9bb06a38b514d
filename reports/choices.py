"""States, submission kinds and history kinds of usage reports (docs/reports.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReportState(models.TextChoices):
    MSP_PREPARATION = "msp_preparation", pgettext_lazy("report state", "MSP preparation")
    UNDER_REVIEW = "under_review", pgettext_lazy("report state", "Under review")
    APPROVED = "approved", pgettext_lazy("report state", "Approved")
    REJECTED = "rejected", pgettext_lazy("report state", "Rejected")


EDITABLE_STATES = (ReportState.MSP_PREPARATION, ReportState.REJECTED)
STATE_TONES = {
    ReportState.MSP_PREPARATION: "info",
    ReportState.UNDER_REVIEW: "warning",
    ReportState.APPROVED: "success",
    ReportState.REJECTED: "danger",
}


class SubmissionKind(models.TextChoices):
    MANUAL = "manual", _("Manual")
    AUTOMATIC = "automatic", _("Automatic, without penalties")
    AUTOMATIC_PENALISED = "automatic_penalised", _("Automatic, with penalties")


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    LINE_EDIT = "line_edit", _("Billable units changed")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PENALTY = "penalty", _("Penalty applied")


class PenaltyKind(models.TextChoices):
    """The surcharge an account's penalty policy adds to the reset of unexplained lines."""

    NONE = "none", _("None: the reset only")
    PERCENT = "percent", _("A percentage of the discrepancy's value")


class PenaltyReason(models.TextChoices):
    UNEXPLAINED = "unexplained_discrepancy", _("Discrepancy not explained by the deadline")


DEFAULT_REMINDER_DAYS = [7, 3, 1]
