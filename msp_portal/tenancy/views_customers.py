"""A distributor's customer page of one served MSP (summary and tabs, filled by the apps through
msp_portal/tenancy/customers.py), and adding, deactivating and reactivating an MSP. Views
parse, call one service or selector, and render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from msp_portal.exceptions import DomainError, apply_to_form, error_message

from . import selectors, services
from .choices import OrganisationKind, Perm
from .customers import customer_summary, customer_tab, customer_tabs
from .forms_customers import MspCreateForm
from .links import url_if_allowed
from .views_base import TenantViewMixin


class ServedMspMixin(TenantViewMixin):
    """Distributor pages about one served MSP: another distributor's MSP id (or an MSP's own
    member on these URLs) is a 404; reviewers and admins read."""

    required_kind = OrganisationKind.DISTRIBUTOR
    required_perm = Perm.VIEW_SERVED_REPORTS

    def load_objects(self):
        self.msp = selectors.served_msp_by_id(
            distributor=self.tenant.organisation, msp_id=self.kwargs["msp_id"]
        )


class CustomerView(ServedMspMixin, TemplateView):
    """The summary of one MSP, and one tab (``?tab=``) rendered by the app that owns it."""

    template_name = "tenancy/customer_detail.html"

    def get_context_data(self, **kwargs):
        tabs = customer_tabs(self.tenant)
        key = self.request.GET.get("tab", "")
        current = None
        if key:
            current = customer_tab(key)
            if current is None:
                raise Http404
            if current not in tabs:
                raise PermissionDenied
        render_panel = self._render
        return super().get_context_data(
            msp=self.msp,
            summary=[render_panel(panel) for panel in customer_summary(self.tenant, self.msp)],
            tabs=tabs,
            current_tab=current,
            tab_html=render_panel(current.render(self.tenant, self.msp)) if current else "",
            active_url=url_if_allowed(self.tenant, "tenancy:msp-active", msp_id=self.msp.pk),
            **kwargs,
        )

    def _render(self, panel) -> str:
        context = {
            **panel.context,
            "tenant": self.tenant,
            "organisation": self.tenant.organisation,
            "msp": self.msp,
        }
        return render_to_string(panel.template, context, self.request)


class MspCreateView(TenantViewMixin, TemplateView):
    """Add an MSP served by this distributor and invite its first admin (distributor admins)."""

    template_name = "tenancy/msp_create.html"
    required_kind = OrganisationKind.DISTRIBUTOR
    required_perm = Perm.MANAGE_ACCOUNTS

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=MspCreateForm()))

    def post(self, request, *args, **kwargs):
        form = MspCreateForm(request.POST)
        if form.is_valid():
            try:
                msp = services.msp_create(
                    tenant=self.tenant,
                    acting_user=request.user,
                    base_url=request.build_absolute_uri("/")[:-1],
                    **form.cleaned_data,
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("%(msp)s was added; %(email)s has been invited as its admin.")
                    % {"msp": msp.name, "email": form.cleaned_data["admin_email"]},
                )
                return redirect("tenancy:customer", org_slug=self.tenant.organisation.slug, msp_id=msp.pk)
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


class MspActiveView(ServedMspMixin, View):
    """Deactivate or reactivate a served MSP (distributor admins; confirmed in a dialog)."""

    required_perm = Perm.MANAGE_ACCOUNTS

    def post(self, request, *args, **kwargs):
        active = request.POST.get("active") == "1"
        try:
            msp = services.msp_set_active(tenant=self.tenant, msp=self.msp, active=active)
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            text = _("%(msp)s is active again.") if msp.is_active else _("%(msp)s is deactivated.")
            messages.success(request, text % {"msp": msp.name})
        return redirect("tenancy:customer", org_slug=self.tenant.organisation.slug, msp_id=self.msp.pk)
