"""The page of an MSP's licensing thresholds (near capacity, over-allocation e-mail), for those
who manage licensing. Views parse, call one service or selector, and render."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from msp_portal.exceptions import DomainError, apply_to_form
from msp_portal.tenancy.choices import Perm

from .. import selectors, services
from ..forms import LicensingSettingsForm
from .licenses import LicensingViewMixin


class LicensingSettingsView(LicensingViewMixin, TemplateView):
    """Change the thresholds; the page shows the current ones (the defaults before any save)."""

    template_name = "licensing/settings_form.html"
    # The page only holds the form, so reading it is for those who may save it.
    required_perm = Perm.MANAGE_LICENSING

    def get(self, request, *args, **kwargs):
        current = selectors.licensing_settings(organisation=self.tenant.organisation)
        initial = {
            "near_capacity_percent": current.near_capacity_percent,
            "overallocation_alert_units": current.overallocation_alert_units,
            "several_seats_per_person": current.several_seats_per_person,
        }
        return self.page(LicensingSettingsForm(initial=initial), status=200)

    def post(self, request, *args, **kwargs):
        form = LicensingSettingsForm(data=request.POST)
        if form.is_valid():
            try:
                services.licensing_settings_update(
                    tenant=self.tenant,
                    acting_user=request.user,
                    near_capacity_percent=form.cleaned_data["near_capacity_percent"],
                    overallocation_alert_units=form.cleaned_data["overallocation_alert_units"],
                    several_seats_per_person=form.cleaned_data["several_seats_per_person"],
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(request, _("Licensing thresholds saved."))
                return redirect(self.list_url())
        return self.page(form, status=400)

    def page(self, form, *, status: int):
        action = reverse("licensing_licenses:settings", kwargs={"org_slug": self.tenant.organisation.slug})
        context = self.get_context_data(form=form, action_url=action, license_list_url=self.list_url())
        return render(self.request, self.template_name, context, status=status)
