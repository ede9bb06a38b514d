"""In-app notifications, and the outbox of e-mails (each notification is also e-mailed; see
docs/notifications.md)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.models import TenantModel

from .choices import EmailState


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


class OutboxEmail(models.Model):
    """One e-mail to send, written in the transaction of the change that causes it; a worker
    sends it and marks it sent only once the mail server accepted it.

    Its text is rendered when it is sent, by the function registered for its ``kind``
    (:func:`msp_portal.notifications.outbox.email_kind`), from ``params`` or its notification.
    Not tenant-owned: the worker reads every organisation's, and only operators see the list.
    """

    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # One e-mail per notification at most: the database refuses a second.
    notification = models.OneToOneField(
        Notification,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="email",
        verbose_name=_("notification"),
    )
    to = models.EmailField(_("to"), max_length=254)
    state = models.CharField(
        _("state"), max_length=16, choices=EmailState.choices, default=EmailState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox e-mail")
        verbose_name_plural = _("outbox e-mails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweep's question: which rows are due or stuck? Sent rows, the bulk, stay out.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=[EmailState.PENDING, EmailState.SENDING]),
                name="outbox_email_due",
            )
        ]

    def __str__(self):
        return f"{self.kind} → {self.to} ({self.get_state_display()})"
