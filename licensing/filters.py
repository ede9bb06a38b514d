"""Filters of licensing's lists (licenses, cost centers, catalog, purchases), each shared by its
page and the API: one FilterSet serves both, the page dropping its empty fields first
(``compact_query``)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from msp_portal.api.filters import StrictFilterSet
from msp_portal.tenancy.models import Organisation

from . import selectors
from .choices import BillingType, Program
from .models import CostCenter, License, Product, Purchase

NO_COST_CENTER = "none"


class LicenseFilter(StrictFilterSet):
    """``q`` searches the assignee (name, e-mail, extension), the product name, the SKU and the
    cost center code; ``cost_center`` takes several ids, and ``none`` for licenses without one.
    Choices come from the organisation (passed in, or the request's tenant for the API)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    cost_center = django_filters.MultipleChoiceFilter(
        method="filter_cost_center",
        label=_("Cost centers"),
        help_text=_("Cost center ids; 'none' for licenses without a cost center."),
    )
    subscription = django_filters.ChoiceFilter(
        field_name="subscription_id", label=_("Subscription"), empty_label=_("All subscriptions")
    )
    state = django_filters.ChoiceFilter(
        method="filter_state",
        choices=[("assigned", _("Assigned")), ("free", _("Free"))],
        label=_("State"),
        empty_label=_("Assigned and free"),
    )

    class Meta:
        model = License
        fields = ["q", "cost_center", "subscription", "state"]

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = getattr(self.request, "tenant", None)
        organisation = organisation or (tenant.organisation if tenant is not None else None)
        self.cost_centers = (
            selectors.cost_center_choices(organisation=organisation) if organisation is not None else []
        )
        self.filters["cost_center"].extra["choices"] = [(NO_COST_CENTER, _("No cost center"))] + [
            (str(cc.pk), f"{cc.code} · {cc.name}") for cc in self.cost_centers
        ]
        subscriptions = (
            selectors.subscription_choices(organisation=organisation) if organisation is not None else []
        )
        self.filters["subscription"].extra["choices"] = [(str(s.pk), s.product.name) for s in subscriptions]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(assignee_name__icontains=value)
            | Q(assignee_email__icontains=value)
            | Q(assignee_extension__icontains=value)
            | Q(subscription__product__name__icontains=value)
            | Q(subscription__product__sku_code__icontains=value)
            | Q(cost_center__code__icontains=value)
        )

    def filter_state(self, queryset, name, value):
        # An assigned license is one with an assignment moment; a free one has none.
        return queryset.filter(assigned_at__isnull=value != "assigned")

    def filter_cost_center(self, queryset, name, value):
        ids = [int(v) for v in value if v != NO_COST_CENTER]
        condition = Q(cost_center_id__in=ids)
        if NO_COST_CENTER in value:
            condition |= Q(cost_center__isnull=True)
        return queryset.filter(condition)


class CostCenterFilter(StrictFilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label=_("Search"), help_text=_("Text in the code or name.")
    )

    class Meta:
        model = CostCenter
        fields = ["q"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class CatalogFilter(StrictFilterSet):
    """The catalog's filters. The page offers the publishers of the catalog shown in a select
    (``selectors.catalog_publishers``); the API takes any name (case ignored)."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("Text in the name, publisher, product id or SKU id."),
    )
    publisher = django_filters.CharFilter(field_name="publisher", lookup_expr="iexact", label=_("Publisher"))
    billing_type = django_filters.ChoiceFilter(
        choices=BillingType.choices, label=_("Billing type"), empty_label=_("All billing types")
    )
    program = django_filters.ChoiceFilter(
        choices=Program.choices, label=_("Program"), empty_label=_("All programs")
    )

    class Meta:
        model = Product
        fields = ["q", "publisher", "billing_type", "program"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, form_field in self.form.fields.items():
            form_field.widget.attrs.setdefault("aria-label", str(form_field.label))
            if name == "q":
                form_field.widget.input_type = "search"
                form_field.widget.attrs["placeholder"] = _("Search name, publisher or SKU")

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(publisher__icontains=value)
            | Q(product_code__icontains=value)
            | Q(sku_code__icontains=value)
        )


class PurchaseFilter(StrictFilterSet):
    """``q`` finds a purchase by its number, its buyer's e-mail, or the name or SKU id of a
    product it bought."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("Text in the purchase number, the buyer's e-mail, or a product's name or SKU id."),
    )

    class Meta:
        model = Purchase
        fields = ["q"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.form.fields["q"]
        field.widget.input_type = "search"
        field.widget.attrs.update(
            {"aria-label": str(field.label), "placeholder": _("Search number, buyer, product or SKU")}
        )

    def filter_q(self, queryset, name, value):
        # The list is grouped by purchase (its line count): a purchase matching through two of
        # its lines is still one row.
        return queryset.filter(
            Q(number__icontains=value)
            | Q(created_by__email__icontains=value)
            | Q(lines__product__name__icontains=value)
            | Q(lines__product__sku_code__icontains=value)
        )
