"""Serializer fields that refuse what DRF would silently coerce (a number where text is due)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictTextMixin:
    default_error_messages = {"not_text": _("Send this value as text (a JSON string).")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        # Measured as sent: trimming must not let an over-long value through.
        max_length = getattr(self, "max_length", None)
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)
        return super().to_internal_value(data)


class StrictCharField(StrictTextMixin, serializers.CharField):
    pass


class StrictEmailField(StrictTextMixin, serializers.EmailField):
    pass


class StrictChoiceField(StrictTextMixin, serializers.ChoiceField):
    pass
