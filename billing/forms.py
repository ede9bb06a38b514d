"""Billing's forms: the upload of a reconciliation file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .columns import FileKind

KIND_CHOICES = [
    (FileKind.DAILY_USAGE.value, _("Daily-rated usage")),
    (FileKind.INVOICE.value, _("Invoice reconciliation")),
]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of file"),
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("Daily-rated usage: the 50 columns of the vendor's daily usage export."),
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("The file as the vendor's portal exports it (UTF-8 CSV with its header row)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
