"""Export requests (docs/exports.md, "Exports that run in a worker"): a large download is a row
written with the request, built into a file by a worker, and downloaded from the Exports page
by members of its organisation until it expires."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.models import TenantModel


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")  # its file is deleted; request it again


class ExportRequest(TenantModel):
    kind = models.CharField(_("kind"), max_length=64)  # a registered export (registry.py)
    title = models.CharField(_("export"), max_length=200)
    params = models.JSONField(default=dict)
    state = models.CharField(
        _("state"), max_length=16, choices=ExportState.choices, default=ExportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    size_bytes = models.BigIntegerField(_("size"), default=0)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="exports_due")]

    def __str__(self):
        return self.title
