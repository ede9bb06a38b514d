"""Writes of memberships (invite, change role, remove) and of a distributor's MSPs (add,
deactivate, reactivate). Each takes the acting tenant context."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from msp_portal.errors import Conflict, Invalid, NotAllowed, NotFound
from msp_portal.notifications.models import OutboxEmail
from msp_portal.notifications.outbox import email_kind, outbox_emails_add

from .choices import ADMIN_ROLES, ROLES_BY_KIND, OrganisationKind, Perm, Role
from .models import TIMEZONE_CHOICES, Membership, Organisation, User
from .resolve import TenantContext
from .selectors import admin_count


def _require(tenant: TenantContext, perm: str) -> None:
    if not tenant.can(perm):
        raise NotAllowed()


def _check_role_fits(organisation: Organisation, role: str) -> None:
    allowed = ROLES_BY_KIND[organisation.kind]
    if role not in allowed:
        raise Invalid(
            _("This role does not exist in this kind of organisation. Choose one of: %(roles)s.")
            % {"roles": ", ".join(str(r.label) for r in allowed)},
            field_errors={"role": [_("Choose a role that fits this organisation.")]},
        )


def _lock_organisation_admins(organisation: Organisation) -> None:
    """Lock the organisation's membership rows, so two admins demoting each other at the same
    moment cannot leave the organisation without an admin."""
    list(Membership.objects.for_tenant(organisation).select_for_update().values_list("pk", flat=True))


@transaction.atomic
def membership_invite(
    *,
    tenant: TenantContext,
    acting_user: User,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    base_url: str = "",
) -> Membership:
    """Add ``email`` to the tenant's organisation with ``role``.

    A person without an account gets one with no usable password and an e-mail with a link to
    choose one; an existing user is told they were added (the e-mail is an outbox row of this
    transaction). Refuses a duplicate membership.
    """
    _require(tenant, Perm.MANAGE_MEMBERS)
    return _membership_add(
        organisation=tenant.organisation,
        acting_user=acting_user,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        base_url=base_url,
    )


def _membership_add(
    *,
    organisation: Organisation,
    acting_user: User,
    email: str,
    role: str,
    first_name: str,
    last_name: str,
    base_url: str,
) -> Membership:
    """The invitation itself, once the caller's right to invite into ``organisation`` is
    checked (a member admin of it, or the distributor adding the MSP): the membership and its
    e-mail in the outbox, in the caller's transaction."""
    _check_role_fits(organisation, role)
    email = User.objects.normalize_email(email).strip().lower()
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first_name, "last_name": last_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if Membership.objects.for_tenant(organisation).filter(user=user).exists():
        raise Conflict(
            _("%(email)s is already a member of %(organisation)s.")
            % {"email": email, "organisation": organisation.name},
            field_errors={"email": [_("This person is already a member.")]},
        )
    membership = Membership.objects.create(
        organisation=organisation, user=user, role=role, invited_by=acting_user
    )
    params = {
        "membership_id": membership.pk,
        "new_account": created,
        "base_url": base_url,
        # Written in the inviter's language: the invitee's own is not known yet.
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    outbox_emails_add([OutboxEmail(kind=INVITATION_EMAIL, to=user.email, params=params)])
    return membership


INVITATION_EMAIL = "invitation"


@email_kind(INVITATION_EMAIL)
def membership_invitation_render(email: OutboxEmail) -> EmailMessage | None:
    """The invitation of one membership, rendered when it is sent (so the link to choose a
    password is fresh); None when the membership was removed in the meantime."""
    params = email.params
    membership = (
        Membership.objects.with_scopes_disabled()
        .select_related("user", "organisation", "invited_by")
        .filter(pk=params["membership_id"])
        .first()
    )
    if membership is None:
        return None
    with translation.override(params["language"]):
        return _invitation_message(membership, params["new_account"], params["base_url"], to=email.to)


def _invitation_message(membership: Membership, new_account: bool, base_url: str, *, to: str) -> EmailMessage:
    user = membership.user
    context = {
        "organisation": membership.organisation,
        "role": membership.get_role_display(),
        "invited_by": membership.invited_by,
        "new_account": new_account,
        "portal_name": settings.PORTAL_NAME,
        "login_url": base_url + reverse("login"),
    }
    if new_account:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        context["set_password_url"] = base_url + reverse(
            "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
        )
    subject = _("You have been added to %(organisation)s") % {"organisation": membership.organisation.name}
    body = render_to_string("tenancy/email/invitation.txt", context)
    return EmailMessage(subject, body, None, [to])


PASSWORD_RESET_EMAIL = "password_reset"
# What Django's reset view gives its e-mail that may wait in a row: the link's uid and token are
# made again when the e-mail goes out, so no secret sits in the outbox table.
_RESET_CONTEXT_KEPT = ("domain", "site_name", "protocol", "portal_name")


def password_reset_email_add(
    *, user: User, to: str, context: dict, subject_template: str, body_template: str
) -> OutboxEmail:
    """Write the password-reset e-mail of ``user`` to the outbox (the reset form calls this
    instead of sending during the request)."""
    params = {key: context[key] for key in _RESET_CONTEXT_KEPT if key in context}
    params |= {
        "user_id": user.pk,
        "subject_template": subject_template,
        "body_template": body_template,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
    }
    (row,) = outbox_emails_add([OutboxEmail(kind=PASSWORD_RESET_EMAIL, to=to, params=params)])
    return row


@email_kind(PASSWORD_RESET_EMAIL)
def password_reset_render(email: OutboxEmail) -> EmailMessage | None:
    """The reset e-mail with a link made now; None when the account was deactivated meanwhile."""
    params = email.params
    user = User.objects.filter(pk=params["user_id"], is_active=True).first()
    if user is None:
        return None
    context = {key: params.get(key, "") for key in _RESET_CONTEXT_KEPT}
    context |= {
        "email": email.to,
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    with translation.override(params["language"]):
        subject = "".join(render_to_string(params["subject_template"], context).splitlines())
        body = render_to_string(params["body_template"], context)
    return EmailMessage(subject, body, None, [email.to])


@transaction.atomic
def membership_set_role(*, tenant: TenantContext, membership: Membership, role: str) -> Membership:
    """Change a member's role; refuses to leave the organisation without an admin."""
    _require(tenant, Perm.MANAGE_MEMBERS)
    _check_role_fits(tenant.organisation, role)
    _lock_organisation_admins(tenant.organisation)
    membership = Membership.objects.for_tenant(tenant.organisation).get(pk=membership.pk)
    if membership.role in ADMIN_ROLES and role not in ADMIN_ROLES:
        if admin_count(organisation=tenant.organisation) <= 1:
            raise Conflict(
                _("This is the organisation's last admin. Make another member admin first."),
                field_errors={"role": [_("The organisation needs at least one admin.")]},
            )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, tenant: TenantContext, membership: Membership) -> None:
    """Remove a member from the organisation (their account stays); never the last admin."""
    _require(tenant, Perm.MANAGE_MEMBERS)
    _lock_organisation_admins(tenant.organisation)
    membership = Membership.objects.for_tenant(tenant.organisation).get(pk=membership.pk)
    if membership.role in ADMIN_ROLES and admin_count(organisation=tenant.organisation) <= 1:
        raise Conflict(_("This is the organisation's last admin. Make another member admin first."))
    membership.delete()


_TIMEZONES = frozenset(name for name, _label in TIMEZONE_CHOICES)


def _msp_insert(*, distributor: Organisation, slug: str, **fields) -> Organisation:
    """The MSP row, or Conflict on the slug field when any organisation holds the slug. Read first
    to answer with the field; the unique index on slug is the final word when two admins add the
    same slug at the same moment (the savepoint keeps the caller's transaction usable)."""
    taken = Conflict(
        _("The slug %(slug)s is already taken.") % {"slug": slug},
        field_errors={"slug": [_("Choose another slug: this one is taken.")]},
    )
    if Organisation.objects.filter(slug=slug).exists():
        raise taken
    try:
        with transaction.atomic():
            return Organisation.objects.create(
                slug=slug, kind=OrganisationKind.MSP, distributor=distributor, **fields
            )
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
        if "slug" not in constraint:  # tenancy_organisation_slug_key
            raise
        raise taken from None


@transaction.atomic
def msp_create(
    *,
    tenant: TenantContext,
    acting_user: User,
    name: str,
    slug: str,
    country: str,
    timezone: str,
    currency: str,
    admin_email: str,
    admin_first_name: str = "",
    admin_last_name: str = "",
    base_url: str = "",
) -> Organisation:
    """A new MSP served by the tenant's distributor, and its first admin invited (an outbox
    e-mail): both or neither. Refuses a slug already taken by any organisation."""
    _require(tenant, Perm.MANAGE_ACCOUNTS)
    if not tenant.organisation.is_distributor:
        raise NotAllowed()
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Enter a name.")]
    if timezone not in _TIMEZONES:
        errors["timezone"] = [_("Choose a time zone from the list.")]
    if errors:
        raise Invalid(_("Check the highlighted fields."), field_errors=errors)
    msp = _msp_insert(
        distributor=tenant.organisation,
        name=name.strip(),
        slug=slug.strip().lower(),
        country=country.upper(),
        timezone=timezone,
        currency=currency.upper(),
    )
    _membership_add(
        organisation=msp,
        acting_user=acting_user,
        email=admin_email,
        role=Role.MSP_ADMIN,
        first_name=admin_first_name,
        last_name=admin_last_name,
        base_url=base_url,
    )
    return msp


@transaction.atomic
def msp_set_active(*, tenant: TenantContext, msp: Organisation, active: bool) -> Organisation:
    """Deactivate (its members can no longer open it; its rows stay) or reactivate an MSP the
    tenant's distributor serves."""
    _require(tenant, Perm.MANAGE_ACCOUNTS)
    msp = (
        Organisation.objects.select_for_update()
        .filter(pk=msp.pk, distributor=tenant.organisation, kind=OrganisationKind.MSP)
        .first()
    )
    if msp is None:
        raise NotFound()
    if msp.is_active == active:
        raise Conflict(
            _("%(msp)s is already active.") % {"msp": msp.name}
            if active
            else _("%(msp)s is already deactivated.") % {"msp": msp.name}
        )
    msp.is_active = active
    msp.save(update_fields=["is_active"])
    return msp
