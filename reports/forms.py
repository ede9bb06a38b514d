"""Forms of the report pages (the services do the rule checks)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import COMMENT_MAX


class SubmitForm(forms.Form):
    po_number = forms.CharField(label=_("PO number"), max_length=64, required=False)
    note = forms.CharField(
        label=_("Note to the distributor"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The MSP sees this reason with the report."),
    )
    line_ids = forms.TypedMultipleChoiceField(
        label=_("Lines at fault"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line_ids"].choices = [(line.pk, line.product_name) for line in lines]


COMMENT_MAX_LENGTH = COMMENT_MAX  # the service's limit, said before the service refuses


class CommentForm(forms.Form):
    # The textarea carries the same limit (and a counter); the server says it in words rather
    # than cutting a longer text.
    body = forms.CharField(
        label=_("Comment"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Write a comment before sending it."),
            "max_length": _("A comment holds at most %(limit_value)d characters (yours has %(show_value)d)."),
        },
    )
