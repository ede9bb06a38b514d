"""Filters of report lists, shared by the pages and the API."""

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.api.filters import StrictFilterSet, compact_query
from msp_portal.calendar import add_months
from msp_portal.numbers import whole_number
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.selectors import served_msp_list

from .choices import ReportState, SubmissionKind
from .models import UsageReport


def twelve_months_ago(today: dt.date | None = None) -> dt.date:
    """First day of the month twelve months before this one: the last 12 cycles, rolling. The
    running month never has a report yet (a cycle opens once its month has ended), so the 12
    cycles that can have one are the twelve months before this one."""
    return add_months(today or timezone.now().date(), -12)


def validate_period(value: str) -> None:
    value = (value or "").strip().lower()
    year = whole_number(value)
    if value in ("", "last12", "all") or (year is not None and 2000 <= year <= 2100):
        return
    raise ValidationError(_("Use 'last12', 'all' or a year such as 2025."))


class UsageReportFilter(StrictFilterSet):
    period = django_filters.CharFilter(
        method="filter_period",
        validators=[validate_period],
        label=_("Period"),
        help_text=_(
            "'last12' (default: the last 12 months, rolling), 'all', or a calendar year such as 2025."
        ),
    )
    state = django_filters.MultipleChoiceFilter(choices=ReportState.choices, label=_("State"))
    cycle = django_filters.DateFilter(field_name="cycle", label=_("Cycle (first day of the month)"))
    msp = django_filters.CharFilter(method="filter_msp", label=_("MSP (slug)"))
    submission_kind = django_filters.ChoiceFilter(
        choices=SubmissionKind.choices, label=_("How submitted"), empty_label=_("Any way of submitting")
    )

    class Meta:
        model = UsageReport
        fields = ["period", "state", "cycle", "msp", "submission_kind"]

    def filter_queryset(self, queryset):
        # The default period applies even when the caller sent no filter at all.
        if not self.form.cleaned_data.get("period"):
            queryset = queryset.filter(cycle__gte=twelve_months_ago())
        return super().filter_queryset(queryset)

    def filter_period(self, queryset, name, value):
        value = value.strip().lower()
        if value in ("", "last12"):
            return queryset.filter(cycle__gte=twelve_months_ago())
        if value == "all":
            return queryset
        return queryset.filter(cycle__year=int(value))

    def filter_msp(self, queryset, name, value):
        return queryset.filter(organisation__slug=value)

    def chosen_period(self) -> str:
        """The period the page shows: 'last12' (the default, also when a filter is refused),
        'all' or a year."""
        if not self.is_valid():
            return "last12"
        return (self.form.cleaned_data.get("period") or "last12").strip().lower()


def filtered(filters: django_filters.FilterSet) -> QuerySet:
    """What a page lists: the filtered rows, or none while a filter is refused (the page shows
    why next to its filters; the API answers 400 instead)."""
    return filters.qs if filters.is_valid() else filters.queryset.none()


def report_list_query(query: QueryDict, *, is_distributor: bool) -> QueryDict:
    """The list page's filters from its query string: fields the form sent empty dropped, and a
    distributor's queue showing the reports under review unless the person asked for a state or
    for every state. The API has no such default: a program asks for what it wants."""
    data = compact_query(query)
    if is_distributor and "state" not in data and not data.get("all_states"):
        data.setlist("state", [ReportState.UNDER_REVIEW])
    return data


def msp_choices(distributor: Organisation) -> list[tuple[str, str]]:
    """(slug, name) of the MSPs the distributor serves, for the queue's MSP filter."""
    return list(served_msp_list(distributor=distributor).values_list("slug", "name"))
