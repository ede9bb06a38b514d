"""Filter sets whose parameters mean what they say: a parameter sent with an empty value is
refused (400, naming it) rather than silently ignored. Pages drop their empty form fields with
``compact_query`` before filtering, so the same FilterSet serves both."""

import django_filters
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _


class StrictFilterSet(django_filters.FilterSet):
    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self._empty = [
            name for name in self.filters if data is not None and name in data and data.get(name) == ""
        ]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name in self._empty:
            if name not in self.form.errors:
                self.form.add_error(name, _("Give a value, or leave the parameter out."))
        return valid and not self._empty


def compact_query(query: QueryDict) -> QueryDict:
    """The query string without the parameters a form sent empty."""
    compact = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [value for value in values if value != ""]
        if kept:
            compact.setlist(key, kept)
    return compact
