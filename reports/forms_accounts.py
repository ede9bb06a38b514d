"""The form of an MSP account's settings. It only parses what was typed; the service
(reports.accounts.account_settings_update) checks the ranges and the rules, naming each field."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .choices import PenaltyKind
from .models import MspAccountSettings

DAYS = re.compile(r"[0-9]+")
# What Django's DecimalValidator says when a number has too many digits (in all, before or
# after the point).
DIGIT_ERRORS = ("max_digits", "max_whole_digits", "max_decimal_places")


def reminder_days_text(days) -> str:
    """``[7, 3, 1]`` → ``"7, 3, 1"`` (how the form shows and reads them)."""
    return ", ".join(str(day) for day in days)


def parse_reminder_days(text: str) -> list[int]:
    """``"7, 3, 1"`` → ``[7, 3, 1]``; an empty text is no reminder at all. Each entry must be a
    whole number written in digits (no signs, decimals or other separators)."""
    text = text.strip()
    if not text:
        return []
    days = []
    for entry in text.split(","):
        entry = entry.strip()
        if not DAYS.fullmatch(entry):
            raise ValidationError(
                _(
                    "Reminders: “%(entry)s” is not a whole number of days. Write the days before "
                    "the deadline separated by commas, for example 7, 3, 1."
                ),
                params={"entry": entry},
                code="invalid",
            )
        days.append(int(entry))
    return days


class AccountSettingsForm(forms.Form):
    auto_submit_days = forms.IntegerField(
        label=_("Auto-submit delay (days)"),
        help_text=_(
            "Days after a report opens (or is rejected) before it is submitted automatically: 1 to 90."
        ),
        error_messages={
            "required": _("Auto-submit delay: give a whole number of days from 1 to 90."),
            "invalid": _("Auto-submit delay: give a whole number of days from 1 to 90."),
        },
        widget=forms.NumberInput(attrs={"min": 1, "max": 90, "step": 1}),
    )
    penalty_kind = forms.ChoiceField(
        label=_("Penalty surcharge"),
        choices=PenaltyKind.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "At the deadline, unexplained lines go back to their provided units; a surcharge is "
            "charged on top of that reset."
        ),
        error_messages={
            "required": _("Penalty surcharge: choose one of the options."),
            "invalid_choice": _("Penalty surcharge: choose one of the options."),
        },
    )
    # Digits as in the columns (MspAccountSettings): 1e30 or 0.001 is an inline error here,
    # never a number the service or the database cannot hold.
    penalty_percent = forms.DecimalField(
        label=_("Surcharge percentage"),
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text=_("A share of each unexplained discrepancy's value, above 0 and at most 100."),
        error_messages={
            "invalid": _("Surcharge percentage: give a number, for example 5 or 7.5."),
            **dict.fromkeys(
                DIGIT_ERRORS,
                format_lazy(
                    "{}: {}",
                    _("Surcharge percentage"),
                    _(
                        "give a percentage above 0 and at most 100, with up to 2 decimals, or choose no surcharge."
                    ),
                ),
            ),
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.01"}),
    )
    penalty_minimum = forms.DecimalField(
        label=_("Minimum surcharge per line"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=_("Optional: the least surcharge on a penalised line, in the account's currency."),
        error_messages={
            "invalid": _("Minimum surcharge per line: give an amount, for example 25.00."),
            **dict.fromkeys(
                DIGIT_ERRORS,
                _(
                    "Minimum surcharge per line: give an amount from 0 to 9,999,999,999.99, with up to 2 decimals."
                ),
            ),
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": "9999999999.99", "step": "0.01"}),
    )
    surcharge_over_declared = forms.BooleanField(
        label=_("Surcharge over-declared lines too"),
        required=False,
        help_text=_(
            "Off: a line whose billable units are above the provided units is only reset, which "
            "lowers the bill, without a surcharge."
        ),
    )
    auto_approve_clean = forms.BooleanField(
        label=_("Approve reports without discrepancies automatically"), required=False
    )
    reminder_days = forms.CharField(
        label=_("Reminders (days before the deadline)"),
        required=False,
        max_length=200,
        help_text=_(
            "Separated by commas, for example 7, 3, 1: each reminder goes to the MSP admins once per "
            "deadline. Leave empty to send none."
        ),
        error_messages={"max_length": _("Reminders: set at most 10 reminders.")},
    )

    def __init__(self, *args, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reminder_days"].widget.attrs["placeholder"] = "7, 3, 1"
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    @classmethod
    def initial_from(cls, settings: MspAccountSettings) -> dict:
        return {
            "auto_submit_days": settings.auto_submit_days,
            "penalty_kind": settings.penalty_kind,
            "penalty_percent": settings.penalty_percent,
            "penalty_minimum": settings.penalty_minimum,
            "surcharge_over_declared": settings.surcharge_over_declared,
            "auto_approve_clean": settings.auto_approve_clean,
            "reminder_days": reminder_days_text(settings.reminder_days),
        }

    def clean_reminder_days(self) -> list[int]:
        return parse_reminder_days(self.cleaned_data["reminder_days"])
