"""An MSP's purchases: the list (with its CSV) and the printable statement of one."""

from django.core.paginator import Paginator
from django.views.generic import TemplateView

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from .. import selectors, tables
from ..cart import display_price
from ..filters import PurchaseFilter
from ..url_objects import load_url_objects

PURCHASES_PER_PAGE = 25


class PurchaseAccessMixin(TenantViewMixin):
    """Purchases are read by whoever reads the MSP's licenses."""

    required_kind = OrganisationKind.MSP
    required_perm = Perm.VIEW_LICENSING


class PurchaseListView(PurchaseAccessMixin, TemplateView):
    """The MSP's purchases, searched with the API's filter set; ``?format=csv`` downloads the
    purchases the search selects, one row per line (licensing/tables.py)."""

    template_name = "licensing/purchase_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        data = compact_query(request.GET)
        purchases = selectors.purchase_list(organisation=organisation)
        filters = PurchaseFilter(data, queryset=purchases)
        selected = filters.qs if filters.is_valid() else purchases.none()
        if request.GET.get("format") == "csv":
            lines = selectors.purchase_export_lines(organisation=organisation, purchases=selected)
            return csv_response(
                f"purchases-{organisation.slug}.csv",
                tables.PURCHASES.csv_header(),
                tables.PURCHASES.csv_rows(lines),
            )
        page = Paginator(selected, PURCHASES_PER_PAGE).get_page(request.GET.get("page"))
        return self.render_to_response(
            self.get_context_data(
                filters=filters,
                page_obj=page,
                purchases=list(page),
                table_columns=tables.PURCHASES.page_columns,
                is_filtered="q" in data,
                can_buy=self.tenant.can(Perm.MANAGE_LICENSING),
            )
        )


class PurchaseDetailView(PurchaseAccessMixin, TemplateView):
    """The printable statement of a purchase."""

    template_name = "licensing/purchase_detail.html"

    def load_objects(self):
        # NotFound (the 404 page) for a purchase that is not this MSP's.
        load_url_objects(self)

    def get(self, request, *args, **kwargs):
        lines = list(selectors.purchase_lines_of(self.tenant.organisation, self.purchase))
        for line in lines:
            line.allocation_pairs = [(a.cost_center, a.quantity) for a in line.allocations.all()]
            line.display_price = display_price(line.unit_price)
        return self.render_to_response(
            self.get_context_data(
                purchase=self.purchase,
                lines=lines,
                license_count=sum(line.quantity for line in lines),
                can_buy=self.tenant.can(Perm.MANAGE_LICENSING),
            )
        )
