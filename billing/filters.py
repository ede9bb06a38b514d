"""The import list's filters, shared by its page and the API (one FilterSet; the page drops its
empty fields first with ``compact_query``)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from msp_portal.api.filters import StrictFilterSet

from .forms import KIND_CHOICES
from .models import ImportState, ReconciliationImport


class ImportFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=KIND_CHOICES, label=_("Kind"), empty_label=_("All kinds"))
    state = django_filters.ChoiceFilter(
        choices=ImportState.choices, label=_("State"), empty_label=_("All states")
    )

    class Meta:
        model = ReconciliationImport
        fields = ["kind", "state"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.form.fields.values():
            form_field.widget.attrs.setdefault("aria-label", str(form_field.label))
