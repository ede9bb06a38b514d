"""Filters of the license list and of the cost centers, each shared by its page and the API (one
FilterSet serves both)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from msp_portal.api.filters import StrictFilterSet
from msp_portal.tenancy.models import Organisation

from .models import CostCenter, License, Subscription

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
            list(CostCenter.objects.for_tenant(organisation).only("pk", "code", "name").order_by("code"))
            if organisation is not None
            else []
        )
        self.filters["cost_center"].extra["choices"] = [(NO_COST_CENTER, _("No cost center"))] + [
            (str(cc.pk), f"{cc.code} · {cc.name}") for cc in self.cost_centers
        ]
        subscriptions = (
            Subscription.objects.for_tenant(organisation).select_related("product").order_by("product__name")
            if organisation is not None
            else []
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
