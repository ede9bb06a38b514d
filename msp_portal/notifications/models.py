"""In-app notifications (each also sent by e-mail)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.models import TenantModel


class Notification(TenantModel):
    """Something a person should know about, in the organisation where it happened for them."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "organisation", "read_at"], name="notif_recipient_unread")
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        """The title in the active language (texts are rendered when shown, not when stored)."""
        from .texts import render

        return render(self.kind, self.params)[0]

    @property
    def body(self) -> str:
        from .texts import render

        return render(self.kind, self.params)[1]
