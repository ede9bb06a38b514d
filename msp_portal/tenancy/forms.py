"""Forms of the members pages; choices come from the organisation's kind."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from .choices import ROLES_BY_KIND, Role
from .models import Organisation, User
from .services import password_reset_email_add


def role_choices(organisation: Organisation) -> list[tuple[str, str]]:
    return [(role.value, role.label) for role in ROLES_BY_KIND[organisation.kind]]


class MemberInviteForm(forms.Form):
    # As long as the column it is saved to (a longer address would be a database error).
    email = forms.EmailField(label=_("E-mail address"), max_length=User._meta.get_field("email").max_length)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(organisation)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(organisation)


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, its e-mail written to the outbox instead of sent during the request
    (docs/notifications.md): a mail server that is down no longer fails the page."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        password_reset_email_add(
            user=context["user"],
            to=to_email,
            context=context,
            subject_template=subject_template_name,
            body_template=email_template_name,
        )
