"""Assigning licenses from a CSV file (all rows or none), and the template file."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from msp_portal.csv_export import csv_response
from msp_portal.tenancy.choices import Perm

from .. import selectors, services
from ..bulk import KNOWN_COLUMNS
from ..forms import BulkAssignForm
from .licenses import LicensingViewMixin


class BulkAssignView(LicensingViewMixin, TemplateView):
    """Assign many licenses from a CSV file: all rows or none, with the failing rows explained."""

    template_name = "licensing/license_bulk_assign.html"
    required_perm = Perm.MANAGE_LICENSING

    def get(self, request, *args, **kwargs):
        return self.page(BulkAssignForm(), status=200)

    def post(self, request, *args, **kwargs):
        form = BulkAssignForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(form, status=400)
        upload = form.cleaned_data["file"]
        result = services.licenses_bulk_assign(
            tenant=self.tenant, acting_user=request.user, raw=upload.read()
        )
        if result.errors:
            return self.page(form, status=400, errors=result.errors, filename=upload.name)
        messages.success(
            request,
            ngettext(
                "%(count)d license assigned from %(file)s.",
                "%(count)d licenses assigned from %(file)s.",
                result.applied,
            )
            % {"count": result.applied, "file": upload.name},
        )
        return redirect(self.list_url())

    def page(self, form, *, status: int, errors=None, filename: str = ""):
        organisation = self.tenant.organisation
        context = self.get_context_data(
            form=form,
            row_errors=errors or [],
            filename=filename,
            columns=KNOWN_COLUMNS,
            statuses=selectors.subscription_statuses(organisation=organisation),
            cost_centers=self.cost_centers(),
        )
        return render(self.request, self.template_name, context, status=status)


class BulkAssignTemplateView(LicensingViewMixin, View):
    """The CSV to fill in: the header row only, so an unchanged upload assigns nothing."""

    required_perm = Perm.MANAGE_LICENSING

    def get(self, request, *args, **kwargs):
        return csv_response("bulk-assign-template.csv", list(KNOWN_COLUMNS), [])
