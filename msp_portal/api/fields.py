"""Serializer fields that refuse what DRF would silently coerce (a number where text is due)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictTextMixin:
    default_error_messages = {"not_text": _("Send this value as text (a JSON string).")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class StrictCharField(StrictTextMixin, serializers.CharField):
    pass


class StrictEmailField(StrictTextMixin, serializers.EmailField):
    pass


class StrictChoiceField(StrictTextMixin, serializers.ChoiceField):
    pass
