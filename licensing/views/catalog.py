"""Catalog pages: an MSP browses its distributor's catalog (and its admins add to the cart); a
distributor browses its own, and its admins create and change products. Views parse, call one
service or selector, and render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form, error_message
from msp_portal.money import sale_refusal
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from .. import selectors, services, tables
from ..cart import Cart, display_price
from ..choices import BillingType
from ..filters import CatalogFilter
from ..forms_purchase import AddToCartForm, ProductForm
from ..models import Product
from ..url_objects import load_url_objects

PRODUCTS_PER_PAGE = 25


def can_manage_catalog(tenant) -> bool:
    """Distributor admins manage their own catalog (the service checks it again)."""
    return tenant.organisation.is_distributor and tenant.can(Perm.MANAGE_ACCOUNTS)


def can_buy(tenant) -> bool:
    return tenant.organisation.is_msp and tenant.can(Perm.MANAGE_LICENSING)


def catalog_table(organisation):
    """The catalog's columns: a distributor's include each product's status (on sale or
    withdrawn); an MSP only ever sees products on sale."""
    return tables.CATALOG if organisation.is_distributor else tables.CATALOG_OF_MSP


class CatalogView(TenantViewMixin, TemplateView):
    """Every member reads the catalog: an MSP its distributor's products on sale, a distributor
    all of its own (on sale or not). ``?format=csv`` exports what the filters select, with the
    page's columns in the page's order (licensing/tables.py)."""

    template_name = "licensing/catalog_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        products = selectors.catalog_list(organisation=organisation)
        data = compact_query(request.GET)
        filters = CatalogFilter(data, queryset=products)
        selected = filters.qs if filters.is_valid() else products.none()
        table = catalog_table(organisation)
        if request.GET.get("format") == "csv":
            return csv_response(
                f"catalog-{organisation.slug}.csv",
                table.csv_header(),
                table.csv_rows(selected.iterator(chunk_size=500)),
            )
        page = Paginator(selected, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
        cart = Cart.load(request.session, organisation.pk) if can_buy(self.tenant) else None
        context = self.get_context_data(
            filters=filters,
            publishers=selectors.catalog_publishers(products=products),
            selected_publisher=data.get("publisher", ""),
            page_obj=page,
            products=self.rows(list(page), cart),
            table_columns=table.page_columns,
            is_filtered=any(key in data for key in ("q", "publisher", "billing_type", "program")),
            can_buy=can_buy(self.tenant),
            can_manage=can_manage_catalog(self.tenant),
            cart=cart,
            usage_based=BillingType.USAGE,
            catalog_owner=organisation if organisation.is_distributor else organisation.distributor,
            add_form=AddToCartForm(),
        )
        return self.render_to_response(context)

    def rows(self, products: list, cart: Cart | None) -> list:
        """The page's products with what their cells show besides the model's fields."""
        organisation = self.tenant.organisation
        for product in products:
            product.display_price = display_price(product.unit_price)
            product.in_cart = cart.items.get(product.pk, 0) if cart else 0
            # Shown, but not offered, to an MSP billed in another currency (docs/currency.md).
            product.sale_refusal = (
                sale_refusal(product=product, msp=organisation) if organisation.is_msp else ""
            )
        return products


class ProductFormView(TenantViewMixin, TemplateView):
    """Create (no ``product_id``) or change a product of the distributor's own catalog."""

    template_name = "licensing/product_form.html"
    required_kind = OrganisationKind.DISTRIBUTOR
    required_perm = Perm.MANAGE_ACCOUNTS

    def load_objects(self):
        self.product = None  # a new product
        # NotFound (the 404 page) for a product that is not in this distributor's catalog.
        load_url_objects(self)

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
                # A taken SKU comes back on its field ("sku_code"), as in the API, and the
                # sentence of the refusal above the form.
                apply_to_form(form, exc)
                if isinstance(exc, DomainError) and not form.non_field_errors():
                    form.add_error(None, error_message(exc))
            else:
                if self.product is None:
                    messages.success(
                        request, _("%(product)s was added to the catalog.") % {"product": product}
                    )
                else:
                    messages.success(request, _("%(product)s was saved.") % {"product": product})
                return redirect("licensing_purchase:catalog", org_slug=self.tenant.organisation.slug)
        return self.render_to_response(self.get_context_data(form=form, product=self.product), status=400)
