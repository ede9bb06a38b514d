"""Catalog pages: an MSP browses its distributor's catalog (and its admins add to the cart); a
distributor browses its own, and its admins create and change products. Views parse, call one
service or selector, and render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form
from msp_portal.money import sale_refusal
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from .. import selectors, services
from ..cart import Cart, display_price
from ..choices import BillingType
from ..forms_purchase import AddToCartForm, CatalogFilter, ProductForm
from ..models import Product

PRODUCTS_PER_PAGE = 25


def can_manage_catalog(tenant) -> bool:
    """Distributor admins manage their own catalog (the service checks it again)."""
    return tenant.organisation.is_distributor and tenant.can(Perm.MANAGE_ACCOUNTS)


def can_buy(tenant) -> bool:
    return tenant.organisation.is_msp and tenant.can(Perm.MANAGE_LICENSING)


class CatalogView(TenantViewMixin, TemplateView):
    """Every member reads the catalog: an MSP its distributor's products on sale, a distributor
    all of its own (on sale or not). ``?format=csv`` exports what the filters select."""

    template_name = "licensing/catalog_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        products = selectors.catalog_list(organisation=organisation)
        filters = CatalogFilter(compact_query(request.GET), queryset=products)
        selected = filters.qs if filters.is_valid() else products.none()
        if request.GET.get("format") == "csv":
            return self.csv(selected)
        page = Paginator(selected, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
        cart = Cart.load(request.session, organisation.pk) if can_buy(self.tenant) else None
        products = list(page)
        for product in products:
            product.display_price = display_price(product.unit_price)
            product.in_cart = cart.items.get(product.pk, 0) if cart else 0
            # Shown, but not offered, to an MSP billed in another currency (docs/currency.md).
            product.sale_refusal = (
                sale_refusal(product=product, msp=organisation) if organisation.is_msp else ""
            )
        context = self.get_context_data(
            filters=filters,
            page_obj=page,
            products=products,
            is_filtered=any(key in request.GET for key in ("q", "publisher", "billing_type", "program")),
            can_buy=can_buy(self.tenant),
            can_manage=can_manage_catalog(self.tenant),
            cart=cart,
            usage_based=BillingType.USAGE,
            catalog_owner=organisation if organisation.is_distributor else organisation.distributor,
            add_form=AddToCartForm(),
        )
        return self.render_to_response(context)

    def csv(self, products):
        header = [
            _("Product id"),
            _("SKU id"),
            _("Name"),
            _("Publisher"),
            _("Unit type"),
            _("Unit price"),
            _("Currency"),
            _("Billing type"),
            _("Program"),
            _("On sale"),
        ]
        rows = (
            [
                p.product_code,
                p.sku_code,
                p.name,
                p.publisher,
                p.unit_type,
                p.unit_price,
                p.currency,
                p.get_billing_type_display(),
                p.get_program_display(),
                _("yes") if p.is_active else _("no"),
            ]
            for p in products.iterator(chunk_size=500)
        )
        return csv_response(f"catalog-{self.tenant.organisation.slug}.csv", header, rows)


class ProductFormView(TenantViewMixin, TemplateView):
    """Create (no ``product_id``) or change a product of the distributor's own catalog."""

    template_name = "licensing/product_form.html"
    required_kind = OrganisationKind.DISTRIBUTOR
    required_perm = Perm.MANAGE_ACCOUNTS

    def load_objects(self):
        self.product = None
        if "product_id" in self.kwargs:
            self.product = (
                selectors.catalog_for(organisation=self.tenant.organisation)
                .filter(pk=self.kwargs["product_id"])
                .first()
            )
            if self.product is None:
                raise Http404

    def form(self, data=None):
        instance = self.product or Product(organisation=self.tenant.organisation)
        return ProductForm(data, instance=instance, organisation=self.tenant.organisation)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form(), product=self.product))

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                product = services.product_save(
                    tenant=self.tenant,
                    product_id=self.product.pk if self.product else None,
                    **form.cleaned_data,
                )
            except (DomainError, ValidationError) as exc:
                apply_to_form(form, exc)
            except IntegrityError:
                # Another admin saved the same product and SKU a moment earlier.
                form.add_error("sku_code", _("This product and SKU are already in the catalog."))
            else:
                if self.product is None:
                    messages.success(
                        request, _("%(product)s was added to the catalog.") % {"product": product}
                    )
                else:
                    messages.success(request, _("%(product)s was saved.") % {"product": product})
                return redirect("licensing_purchase:catalog", org_slug=self.tenant.organisation.slug)
        return self.render_to_response(self.get_context_data(form=form, product=self.product), status=400)
