"""Names and outcomes of the scheduled jobs (docs/jobs.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobName(models.TextChoices):
    OPEN_CYCLES = "open_cycles", _("Open cycles")
    SEND_REMINDERS = "send_reminders", _("Send reminders")
    AUTO_SUBMIT = "auto_submit", _("Auto-submit")
    RUN_TRUE_UP = "run_true_up", _("True-up")


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Finished with errors")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted")
