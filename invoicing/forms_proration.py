"""The proration calculator's form (docs/invoicing.md, "Proration"): what a person types; the
change is checked against its cycle by ``proration.proration_quote``."""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_QUANTITY = 1_000_000_000  # far above any subscription; keeps the figures within the columns

QUANTITY_ERRORS = {
    "min_value": _("Enter a number of licenses, 0 or more."),
    "max_value": _("Enter at most %(limit_value)s licenses."),
    "invalid": _("Enter a whole number of licenses."),
}


def _date_field(label, help_text):
    return forms.DateField(
        label=label, help_text=help_text, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ProrationForm(forms.Form):
    # The unit price holds the places of a catalog price (4), so a price such as 12.335 is
    # prorated as it is billed, not rounded to the cent first.
    unit_price = forms.DecimalField(
        label=_("Monthly unit price"),
        max_digits=14,
        decimal_places=4,
        min_value=0,
        error_messages={
            "invalid": _("Enter a price in digits, such as 10.00."),
            "min_value": _("Enter a price of 0 or more."),
        },
    )
    cycle_start = _date_field(_("Cycle start"), _("The first day of the monthly charge cycle."))
    change_date = _date_field(_("Change date"), _("The day the license count changed, inside the cycle."))
    old_quantity = forms.IntegerField(
        label=_("Licenses before"), min_value=0, max_value=MAX_QUANTITY, error_messages=QUANTITY_ERRORS
    )
    new_quantity = forms.IntegerField(
        label=_("Licenses after"), min_value=0, max_value=MAX_QUANTITY, error_messages=QUANTITY_ERRORS
    )
