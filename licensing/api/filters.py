"""Query filters of the licensing API: the true-up charges', and the license list's filter set
of the pages with its parameters described for the schema. The catalog's, the cost centers' and
the purchases' filter sets are the pages' (licensing/filters.py), re-exported here."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from msp_portal.api.filters import StrictFilterSet

from ..filters import NO_COST_CENTER, CatalogFilter, CostCenterFilter, LicenseFilter, PurchaseFilter
from ..models import TrueUpCharge

__all__ = ["CatalogFilter", "CostCenterFilter", "LicenseAPIFilter", "PurchaseFilter", "TrueUpChargeFilter"]


class LicenseAPIFilter(LicenseFilter):
    """The license list's filter set (shared with the page), with ``cost_center`` described as
    what it takes: ids of the organisation's cost centers, or ``none``."""

    cost_center = extend_schema_field(
        {
            "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": [NO_COST_CENTER]}],
            "description": "Id of one of your cost centers, or 'none' for licenses without one; repeat "
            "the parameter for several (any of them matches). Another id is refused (400).",
        }
    )(django_filters.MultipleChoiceFilter(method="filter_cost_center", label=_("Cost centers")))


class IntegerFilter(django_filters.Filter):
    """A whole number within bounds (a decimal or an out-of-range id is refused, 400)."""

    field_class = forms.IntegerField


class TrueUpChargeFilter(StrictFilterSet):
    subscription = extend_schema_field(
        {
            "type": "integer",
            "minimum": 1,
            "maximum": 2**63 - 1,
            "description": "Id of a subscription: only its true-ups (another organisation's id finds none).",
        }
    )(
        IntegerFilter(
            field_name="subscription_id",
            min_value=1,
            max_value=2**63 - 1,
            label=_("Subscription"),
            help_text=_("Id of a subscription: only its true-ups."),
        )
    )
    year = extend_schema_field(
        {
            "type": "integer",
            "minimum": 2000,
            "maximum": 2100,
            "description": "Calendar year of the true-up date, such as 2026.",
        }
    )(
        IntegerFilter(
            field_name="true_up_date__year",
            min_value=2000,
            max_value=2100,
            label=_("Year"),
            help_text=_("Calendar year of the true-up date, such as 2026."),
        )
    )
    msp = django_filters.CharFilter(
        field_name="organisation__slug", label=_("MSP (slug)"), help_text=_("A distributor's MSP.")
    )

    class Meta:
        model = TrueUpCharge
        fields = ["subscription", "year", "msp"]
