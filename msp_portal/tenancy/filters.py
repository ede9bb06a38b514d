"""Filters shared by the HTML lists and the API (one FilterSet serves both)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from msp_portal.api.filters import StrictFilterSet

from .choices import ROLES_BY_KIND, Role
from .models import Membership, Organisation


class MembershipFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"), empty_label=_("All roles"))

    class Meta:
        model = Membership
        fields = ["q", "role"]

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = (
            organisation or getattr(self.request, "tenant", None) and self.request.tenant.organisation
        )
        if organisation is not None:
            self.filters["role"].extra["choices"] = [
                (r.value, r.label) for r in ROLES_BY_KIND[organisation.kind]
            ]

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(user__email__icontains=value)
            | Q(user__first_name__icontains=value)
            | Q(user__last_name__icontains=value)
        )


class ServedMspFilter(StrictFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    class Meta:
        model = Organisation
        fields = ["q"]

    def filter_q(self, queryset, name, value):
        # By name or slug: the top bar's customer search finds an MSP by either.
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))
