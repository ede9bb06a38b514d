"""The Exports page and the download of a finished export (docs/exports.md)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from msp_portal.csv_export import csv_file_response
from msp_portal.tenancy.views_base import TenantViewMixin

from . import selectors
from .models import ExportState
from .registry import export_kind
from .services import export_file_path


class ExportListView(TenantViewMixin, TemplateView):
    template_name = "exports/export_list.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["exports/_export_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        exports = selectors.export_list(tenant=self.tenant)
        busy = any(e.state in (ExportState.QUEUED, ExportState.RUNNING) for e in exports)
        return super().get_context_data(exports=exports, busy=busy, now=timezone.now(), **kwargs)


class ExportDownloadView(TenantViewMixin, View):
    """The file, for members of its organisation allowed its kind, until it expires."""

    def load_objects(self):
        self.export = selectors.export_get(
            organisation=self.tenant.organisation, export_id=self.kwargs["export_id"]
        )

    def get(self, request, *args, **kwargs):
        if not self.tenant.can(export_kind(self.export.kind).perm):
            raise PermissionDenied
        path = export_file_path(self.export)
        expired = self.export.expires_at < timezone.now() or self.export.state == ExportState.EXPIRED
        if self.export.state not in (ExportState.DONE, ExportState.EXPIRED) or (
            not expired and not path.exists()
        ):
            return render(request, "exports/not_ready.html", {"export": self.export}, status=409)
        if expired:
            return render(request, "exports/expired.html", {"export": self.export}, status=410)
        return csv_file_response(path, self.export.file_name)
