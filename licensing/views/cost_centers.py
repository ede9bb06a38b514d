"""Pages of cost centers (docs/licensing.md): the list with license counts and its CSV, create and
edit. Views parse, call one service or selector, and render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form
from msp_portal.tenancy.choices import Perm

from .. import selectors, services, tables
from ..filters import CostCenterFilter
from ..forms import CostCenterForm
from .licenses import LicensingViewMixin

COST_CENTERS_PER_PAGE = 50


class CostCenterListView(LicensingViewMixin, TemplateView):
    """Every cost center of the MSP with its parent and how many licenses it carries."""

    template_name = "licensing/cost_center_list.html"

    def get(self, request, *args, **kwargs):
        centers = selectors.cost_center_list(organisation=self.tenant.organisation)
        # PostgreSQL cannot compare text holding NUL; no one types it, so it is dropped.
        search = (request.GET.get("q") or "").replace("\x00", "").strip()
        # The API's filter set: the page gives it the cleaned search, or nothing.
        centers = CostCenterFilter({"q": search} if search else {}, queryset=centers).qs
        if request.GET.get("format") == "csv":
            return csv_response(
                f"cost-centers-{self.tenant.organisation.slug}.csv",
                tables.COST_CENTERS.csv_header(),
                tables.COST_CENTERS.csv_rows(centers.iterator(chunk_size=500)),
            )
        page = Paginator(centers, COST_CENTERS_PER_PAGE).get_page(request.GET.get("page"))
        context = self.get_context_data(
            page_obj=page,
            cost_centers=list(page),
            search=search,
            table_headers=tables.COST_CENTERS.page_headers,
            can_manage=self.can_manage,
            create_form=CostCenterForm(organisation=self.tenant.organisation) if self.can_manage else None,
            license_list_url=self.list_url(),
        )
        return self.render_to_response(context)


class CostCenterFormView(LicensingViewMixin, TemplateView):
    """Create a cost center (no id in the URL) or change one's code, name and parent."""

    template_name = "licensing/cost_center_form.html"
    required_perm = Perm.MANAGE_LICENSING

    def get(self, request, *args, **kwargs):
        return self.page(self.make_form(initial=self.initial()), status=200)

    def post(self, request, *args, **kwargs):
        form = self.make_form(data=request.POST)
        if form.is_valid():
            try:
                cost_center = services.cost_center_save(
                    tenant=self.tenant,
                    code=form.cleaned_data["code"],
                    name=form.cleaned_data["name"],
                    parent_id=form.cleaned_data["parent"] or None,
                    cost_center_id=self.editing.pk if self.editing else None,
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                text = (
                    _("Cost center %(code)s saved.") if self.editing else _("Cost center %(code)s created.")
                ) % {"code": cost_center.code}
                messages.success(request, text)
                return redirect("licensing_licenses:cost-center-list", org_slug=self.tenant.organisation.slug)
        return self.page(form, status=400)

    @property
    def editing(self):
        return getattr(self, "cost_center", None)

    def initial(self) -> dict:
        if not self.editing:
            return {}
        return {
            "code": self.editing.code,
            "name": self.editing.name,
            "parent": str(self.editing.parent_id or ""),
        }

    def make_form(self, **kwargs) -> CostCenterForm:
        return CostCenterForm(
            organisation=self.tenant.organisation,
            exclude_id=self.editing.pk if self.editing else None,
            **kwargs,
        )

    def page(self, form, *, status: int):
        organisation = self.tenant.organisation
        if self.editing:
            action = reverse(
                "licensing_licenses:cost-center-edit",
                kwargs={"org_slug": organisation.slug, "cost_center_id": self.editing.pk},
            )
        else:
            action = reverse("licensing_licenses:cost-center-create", kwargs={"org_slug": organisation.slug})
        context = self.get_context_data(form=form, cost_center=self.editing, action_url=action)
        return render(self.request, self.template_name, context, status=status)
