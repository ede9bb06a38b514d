"""States of an outbox e-mail (docs/notifications.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
