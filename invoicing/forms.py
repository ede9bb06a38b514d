"""Forms of the distributor's invoicing pages: a credit note against an invoice, a tax setting.
They only parse: credit_note_issue and tax_setting_save check everything, and their refusals are
put back on these fields (``place_credit_errors``, ``msp_portal.exceptions.apply_to_form``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from msp_portal.exceptions import apply_to_form

from .choices import TaxMethodChoice
from .services import CreditRequest
from .services.credit_notes import REASON_MAX

WHOLE = "whole"
CHOSEN = "lines"


class CreditNoteForm(forms.Form):
    """The whole invoice, or chosen lines each whole (amount left blank) or for an amount.
    ``lines`` are the invoice lines with something left to credit (each with ``left``)."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The MSP reads it on the credit note."),
    )
    scope = forms.ChoiceField(
        label=_("Credit"),
        choices=[(WHOLE, _("Everything left on the invoice")), (CHOSEN, _("The lines chosen below"))],
        initial=WHOLE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.BooleanField(label=line.description, required=False)
            self.fields[f"amount_{line.pk}"] = forms.CharField(
                label=_("Amount to credit"),
                required=False,
                max_length=20,
                help_text=_("Blank: all that is left (%(left)s).") % {"left": line.left},
            )

    def rows(self):
        """(line, its check box, its amount field), for the template's table."""
        return [(line, self[f"line_{line.pk}"], self[f"amount_{line.pk}"]) for line in self.lines]

    def requests(self) -> list[CreditRequest] | None:
        """None for the whole invoice; else the chosen lines, in the invoice's order."""
        if self.cleaned_data["scope"] == WHOLE:
            return None
        return [
            CreditRequest(line.pk, self.cleaned_data[f"amount_{line.pk}"].strip() or None)
            for line in self.chosen_lines()
        ]

    def chosen_lines(self):
        return [line for line in self.lines if self.cleaned_data.get(f"line_{line.pk}")]

    def place_errors(self, exc) -> None:
        """Put the service's refusal on the fields it names: ``lines.N.amount`` is the amount
        of the N-th chosen line (counted from 1), ``lines`` the choice of lines."""
        chosen = self.chosen_lines() if self.cleaned_data.get("scope") == CHOSEN else []
        placed = False
        for key, messages in (getattr(exc, "field_errors", None) or {}).items():
            field = {"reason": "reason", "lines": "scope"}.get(key)
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
                number = int(parts[1])
                if 1 <= number <= len(chosen):
                    prefix = "amount" if parts[2] == "amount" else "line"
                    field = f"{prefix}_{chosen[number - 1].pk}"
            if field:
                for message in messages:
                    self.add_error(field, str(message))
                placed = True
        if not placed:
            apply_to_form(self, exc)


class TaxSettingForm(forms.Form):
    country = forms.CharField(
        label=_("Country"), max_length=2, help_text=_("Two-letter ISO code of the MSPs' country, such as FR.")
    )
    rate_percent = forms.CharField(label=_("Tax rate (%)"), max_length=12, help_text=_("From 0 to 100."))
    method = forms.ChoiceField(
        label=_("Tax method"), choices=TaxMethodChoice.choices, initial=TaxMethodChoice.ON_TOTAL
    )

    def __init__(self, *args, fixed_country: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_country:
            self.fields["country"].disabled = True
            self.fields["country"].initial = fixed_country
