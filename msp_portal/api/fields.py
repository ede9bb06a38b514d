"""Serializer fields that refuse what DRF would silently coerce (a number where text is due)."""

import re
from decimal import ROUND_HALF_UP

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
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


class StrictIntegerField(serializers.IntegerField):
    """A JSON whole number: "5", 5.0 and true are refused."""

    default_error_messages = {"not_integer": _("Send a whole number (a JSON integer).")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_integer")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only."""

    default_error_messages = {"not_boolean": _("Send true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("not_boolean")
        return data


class StrictDecimalField(serializers.DecimalField):
    """A decimal number written as text in plain digits ("12.50")."""

    default_error_messages = {"not_decimal_text": _('Send the amount as text in digits, such as "12.50".')}

    def to_internal_value(self, data):
        whole = self.max_digits - self.decimal_places
        pattern = rf"-?[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{self.decimal_places}}})?"
        if not isinstance(data, str) or not re.fullmatch(pattern, data):
            self.fail("not_decimal_text")
        return super().to_internal_value(data)


# --- money on the wire (docs/money.md) ----------------------------------------------------------


class MoneyField(serializers.DecimalField):
    """An amount of money in a response: a decimal string with a fixed number of places
    ("43.50"; unit prices "0.0500"), never a JSON number, so no client parses it into a float.

    Read-only. The value should arrive already rounded by the money rule of its step
    (``msp_portal.money``); if it does not, it is rounded half-up like those rules, never
    half-to-even (DRF's default)."""

    def __init__(self, *, max_digits: int = 20, decimal_places: int = 2, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(
            max_digits=max_digits,
            decimal_places=decimal_places,
            coerce_to_string=True,  # whatever COERCE_DECIMAL_TO_STRING says
            rounding=ROUND_HALF_UP,
            **kwargs,
        )


class UnitPriceField(MoneyField):
    """A unit price as stored: four places, since a price may hold fractions of a cent."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=4, **kwargs)


@extend_schema_field(MoneyField())
class MoneyMethodField(serializers.SerializerMethodField):
    """A SerializerMethodField whose method returns a Decimal amount: written as MoneyField
    writes it (DRF's JSON encoder would turn a bare Decimal into a float)."""

    def __init__(self, method_name=None, **kwargs):
        super().__init__(method_name, **kwargs)
        self.money = MoneyField()

    def to_representation(self, value):
        amount = super().to_representation(value)
        return None if amount is None else self.money.to_representation(amount)
