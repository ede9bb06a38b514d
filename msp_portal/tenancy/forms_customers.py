"""The form of adding an MSP (a distributor admin's page). The service checks again what matters
(a free slug, a known time zone) and answers with the same field keys."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TIMEZONE_CHOICES, Organisation, User

# An MSP's country and currency as ISO codes; the API's serializer checks the same patterns.
COUNTRY_PATTERN = r"^[A-Za-z]{2}$"
CURRENCY_PATTERN = r"^[A-Za-z]{3}$"


class MspCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=Organisation._meta.get_field("name").max_length)
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=Organisation._meta.get_field("slug").max_length,
        help_text=_("Lower-case letters, digits and hyphens; part of the MSP's addresses in the portal."),
    )
    country = forms.RegexField(
        label=_("Country"),
        regex=COUNTRY_PATTERN,
        max_length=2,
        help_text=_("Two-letter ISO code, e.g. FR."),
        error_messages={"invalid": _("Enter a two-letter country code.")},
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES, initial="UTC")
    currency = forms.RegexField(
        label=_("Currency"),
        regex=CURRENCY_PATTERN,
        max_length=3,
        help_text=_("Three-letter ISO code, e.g. EUR."),
        error_messages={"invalid": _("Enter a three-letter currency code.")},
    )
    admin_email = forms.EmailField(
        label=_("First admin's e-mail address"), max_length=User._meta.get_field("email").max_length
    )
    admin_first_name = forms.CharField(label=_("First admin's first name"), max_length=150, required=False)
    admin_last_name = forms.CharField(label=_("First admin's last name"), max_length=150, required=False)
