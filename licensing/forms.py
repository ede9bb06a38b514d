"""Forms of the licensing pages. They parse what a person typed; licensing.services decides
(who may be assigned, how many licenses can be removed, whether a cost center code is free)."""

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.models import Organisation

from .bulk import MAX_BYTES
from .filters import NO_COST_CENTER
from .models import CostCenter, License, LicensingSettings
from .services.settings import ALERT_UNITS_MAX, NEAR_CAPACITY_MAX, NEAR_CAPACITY_MIN


def cost_center_choices(organisation: Organisation, *, blank_label) -> list[tuple[str, str]]:
    """The organisation's cost centers as choices, after an option meaning "none"."""
    centers = CostCenter.objects.for_tenant(organisation).only("pk", "code", "name").order_by("code")
    return [("", blank_label)] + [(str(cc.pk), f"{cc.code} · {cc.name}") for cc in centers]


class AssignForm(forms.Form):
    """Who gets a license: a name, an e-mail address or an extension (at least one), and
    optionally the cost center to charge it to."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    # As long as the column it is saved to (a longer address would be a database error).
    email = forms.EmailField(
        label=_("E-mail"), max_length=License._meta.get_field("assignee_email").max_length, required=False
    )
    extension = forms.CharField(label=_("Extension"), max_length=20, required=False)
    cost_center = forms.ChoiceField(label=_("Cost center"), required=False)

    def __init__(
        self, *args, organisation: Organisation, cost_center_options=None, compact: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if cost_center_options is None:
            cost_center_options = cost_center_choices(organisation, blank_label="")[1:]
        self.fields["cost_center"].choices = [("", _("Keep its current cost center"))] + list(
            cost_center_options
        )
        for name in ("name", "email", "extension"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        if compact:
            # Inside a table row the labels are for screen readers only: placeholders show them.
            self.fields["name"].widget.attrs["placeholder"] = _("Name")
            self.fields["email"].widget.attrs["placeholder"] = _("E-mail")
            self.fields["extension"].widget.attrs["placeholder"] = _("Ext.")


class MoveForm(forms.Form):
    """The cost center to move licenses to (``none`` takes them off any cost center)."""

    cost_center = forms.ChoiceField(
        label=_("Move to cost center"),
        error_messages={"required": _("Choose the cost center to move the licenses to.")},
    )

    def __init__(self, *args, organisation: Organisation, cost_center_options=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cost_center_options is None:
            cost_center_options = cost_center_choices(organisation, blank_label="")[1:]
        self.fields["cost_center"].choices = [(NO_COST_CENTER, _("No cost center"))] + list(
            cost_center_options
        )

    def cost_center_id(self) -> int | None:
        value = self.cleaned_data["cost_center"]
        return None if value == NO_COST_CENTER else int(value)


class IdListField(forms.Field):
    """Several ids sent under one name (checked boxes); duplicates are dropped."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Reload the list: a selected license is not valid.")}

    def to_python(self, value):
        if not value:
            return []
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class BulkMoveForm(MoveForm):
    license_ids = IdListField(
        label=_("Licenses"), error_messages={"required": _("Select the licenses to move first.")}
    )


class RemoveForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity to remove"), min_value=1, initial=1)

    def __init__(self, *args, can_be_removed: int, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser stops at the limit; the service refuses anything above it all the same.
        self.fields["quantity"].widget.attrs.update({"max": can_be_removed, "step": 1})


class CostCenterForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.ChoiceField(label=_("Parent"), required=False)

    def __init__(self, *args, organisation: Organisation, exclude_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = cost_center_choices(organisation, blank_label=_("No parent (top level)"))
        self.fields["parent"].choices = [c for c in choices if c[0] != str(exclude_id)]
        self.fields["code"].widget.attrs["placeholder"] = _("Unique code, e.g. SALES-FR")
        self.fields["name"].widget.attrs["placeholder"] = _("e.g. Sales France")


class LicensingSettingsForm(forms.Form):
    """The two thresholds as typed; licensing.services checks their range, the browser is told
    the limits to stop at them first."""

    # The model's wording, already translated: "Near capacity from (%)", "E-mail when …".
    near_capacity_percent = forms.IntegerField(
        label=capfirst(LicensingSettings._meta.get_field("near_capacity_percent").verbose_name),
        help_text=_("A subscription is near capacity once this share of the licenses you own is assigned."),
    )
    overallocation_alert_units = forms.IntegerField(
        label=capfirst(LicensingSettings._meta.get_field("overallocation_alert_units").verbose_name),
        help_text=LicensingSettings._meta.get_field("overallocation_alert_units").help_text,
        required=False,
    )
    several_seats_per_person = forms.BooleanField(
        label=capfirst(LicensingSettings._meta.get_field("several_seats_per_person").verbose_name),
        help_text=_(
            "Off: assigning a license to an e-mail address that already holds one of the same subscription is refused."
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["near_capacity_percent"].widget.attrs.update(
            {"min": NEAR_CAPACITY_MIN, "max": NEAR_CAPACITY_MAX, "step": 1}
        )
        self.fields["overallocation_alert_units"].widget.attrs.update(
            {"min": 0, "max": ALERT_UNITS_MAX, "step": 1}
        )


class BulkAssignForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 CSV with a header row, at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name or "").suffix.lower() not in (".csv", ".txt"):
            raise ValidationError(
                _("%(name)s is not a CSV file. Save the sheet as CSV (UTF-8) and upload that file.")
                % {"name": upload.name}
            )
        if upload.size > MAX_BYTES:
            raise ValidationError(
                _("%(name)s is larger than the limit of %(max)s. Split it into several files.")
                % {"name": upload.name, "max": filesizeformat(MAX_BYTES)}
            )
        return upload
