"""An MSP's purchases: the list (with its CSV) and the printable statement of one."""

from django.core.paginator import Paginator
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from msp_portal.csv_export import csv_response
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from .. import selectors
from ..cart import display_price

PURCHASES_PER_PAGE = 25


class PurchaseAccessMixin(TenantViewMixin):
    """Purchases are read by whoever reads the MSP's licenses."""

    required_kind = OrganisationKind.MSP
    required_perm = Perm.VIEW_LICENSING


class PurchaseListView(PurchaseAccessMixin, TemplateView):
    template_name = "licensing/purchase_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        if request.GET.get("format") == "csv":
            return self.csv()
        page = Paginator(selectors.purchase_list(organisation), PURCHASES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        return self.render_to_response(
            self.get_context_data(
                page_obj=page, purchases=list(page), can_buy=self.tenant.can(Perm.MANAGE_LICENSING)
            )
        )

    def csv(self):
        organisation = self.tenant.organisation
        header = [
            _("Purchase"),
            _("Confirmed"),
            _("By"),
            _("Product id"),
            _("SKU id"),
            _("Product"),
            _("Quantity"),
            _("Unit price"),
            _("Line total"),
            _("Currency"),
            _("Cost centers"),
        ]
        lines = selectors.purchase_export_lines(organisation)

        def allocation_text(line):
            return "; ".join(
                f"{a.cost_center.code if a.cost_center else _('none')}: {a.quantity}"
                for a in line.allocations.all()
            )

        rows = (
            [
                line.purchase.number,
                f"{line.purchase.created_at:%Y-%m-%d %H:%M}",
                line.purchase.created_by.email,
                line.product.product_code,
                line.product.sku_code,
                line.product.name,
                line.quantity,
                line.unit_price,
                line.total,
                line.purchase.currency,
                allocation_text(line),
            ]
            for line in lines
        )
        return csv_response(f"purchases-{organisation.slug}.csv", header, rows)


class PurchaseDetailView(PurchaseAccessMixin, TemplateView):
    """The printable statement of a purchase."""

    template_name = "licensing/purchase_detail.html"

    def load_objects(self):
        organisation = self.tenant.organisation
        self.purchase = selectors.purchase_get(organisation, self.kwargs["purchase_id"])
        if self.purchase is None:
            raise Http404

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
