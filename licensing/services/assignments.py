"""Assigning licenses to people, returning them to the pool, and removing unassigned ones."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from msp_portal.errors import Conflict, Invalid, NotFound
from msp_portal.notifications.services import notify
from msp_portal.tenancy.choices import Perm, Role
from msp_portal.tenancy.models import User
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import users_with_roles

from .. import notifications, selectors
from ..choices import HistoryKind
from ..models import (
    AssignmentEvent,
    CostCenter,
    License,
    Subscription,
)
from ._common import _cost_center, _counts, _lock_subscription, _record, _require


@dataclass(frozen=True)
class Assignee:
    name: str = ""
    email: str = ""
    extension: str = ""

    def cleaned(self) -> "Assignee":
        assignee = Assignee(self.name.strip(), self.email.strip().lower(), self.extension.strip())
        if not (assignee.name or assignee.email or assignee.extension):
            raise Invalid(
                _("Say who gets the license: a name, an e-mail address or a phone extension."),
                field_errors={"name": [_("Give a name, an e-mail address or an extension.")]},
            )
        if assignee.email:
            try:
                validate_email(assignee.email)
            except ValidationError as exc:
                raise Invalid(
                    _("%(email)s is not an e-mail address.") % {"email": assignee.email},
                    field_errors={"email": [_("Enter a valid e-mail address.")]},
                ) from exc
        if len(assignee.name) > 200 or len(assignee.extension) > 20:
            raise Invalid(_("The name holds at most 200 characters and the extension 20."))
        return assignee

    def label(self) -> str:
        return " · ".join(part for part in (self.name, self.email, self.extension) if part)


def _assign_locked(
    subscription: Subscription, *, assignee: Assignee, actor, cost_center: CostCenter | None, license_id=None
) -> License:
    """Assign one license of a subscription the caller has locked."""
    organisation = subscription.organisation
    owned, assigned = _counts(subscription)
    licenses = License.objects.for_tenant(organisation).filter(subscription=subscription)
    settings = selectors.licensing_settings(organisation=organisation)  # read once, for both rules
    _refuse_a_second_seat(subscription, licenses, assignee, settings)
    if license_id is not None:
        license = licenses.filter(pk=license_id).first()
        if license is None:
            raise NotFound
        if license.is_assigned:
            raise Conflict(
                _("This license is already assigned to %(who)s.")
                % {"who": license.assignee_name or license.assignee_email},
                code="already_assigned",
            )
    else:
        license = licenses.filter(is_overage=False, assigned_at__isnull=True).order_by("pk").first()
    if license is None:
        if not subscription.product.allows_overallocation:
            raise Conflict(
                _(
                    "No free license of %(product)s is left (%(owned)s owned, all assigned), and its program "
                    "does not allow over-allocation. Buy more licenses or unassign one first."
                )
                % {"product": subscription.product.name, "owned": owned},
                code="no_free_license",
            )
        license = License(organisation=organisation, subscription=subscription, is_overage=True)
    now = timezone.now()
    license.assignee_name, license.assignee_email, license.assignee_extension = (
        assignee.name,
        assignee.email,
        assignee.extension,
    )
    license.assigned_at = now
    if cost_center is not None:
        license.cost_center = cost_center
    license.save()
    _record(
        subscription,
        kind=HistoryKind.ASSIGNED,
        delta=1,
        owned_after=owned,
        actor=actor,
        license=license,
        assignee=assignee.label(),
        at=now,
    )
    _alert_overallocation(subscription, settings, owned=owned, before=assigned, after=assigned + 1)
    return license


def _refuse_a_second_seat(subscription: Subscription, licenses, assignee: Assignee, settings) -> None:
    """One license of a subscription per e-mail address, unless the MSP allows several
    (docs/licensing.md): a second seat for the same person would count twice in the peaks."""
    if not assignee.email:
        return
    if settings.several_seats_per_person:
        return
    if licenses.filter(assigned_at__isnull=False, assignee_email__iexact=assignee.email).exists():
        raise Conflict(
            _("%(email)s already holds a license of %(product)s: one per person.")
            % {"email": assignee.email, "product": subscription.product.name},
            code="already_holds_one",
            field_errors={"email": [_("This person already holds a license of this subscription.")]},
        )


def _alert_overallocation(
    subscription: Subscription, settings, *, owned: int, before: int, after: int
) -> None:
    """E-mail the MSP admins when a subscription's over-allocation passes the organisation's threshold."""
    threshold = settings.overallocation_alert_units
    if threshold is None:
        return
    if max(before - owned, 0) <= threshold < max(after - owned, 0):
        organisation = subscription.organisation
        notify(
            organisation=organisation,
            recipients=users_with_roles(organisation=organisation, roles=[Role.MSP_ADMIN]),
            kind=notifications.OVERALLOCATED,
            params={"product": subscription.product.name, "excess": after - owned, "threshold": threshold},
            url="",
        )


@transaction.atomic
def license_assign(
    *,
    tenant: TenantContext,
    acting_user: User,
    subscription_id: int,
    assignee: Assignee,
    cost_center_id=None,
    license_id: int | None = None,
) -> License:
    """Assign a license (a given one, or the first free one) to a person. Without a free
    license, programs that allow over-allocation add an over-allocated seat; the others refuse
    (409). Concurrent requests for the last free license are served one after the other."""
    _require(tenant, Perm.MANAGE_LICENSING)
    assignee = assignee.cleaned()
    cost_center = _cost_center(tenant.organisation, cost_center_id)
    subscription = _lock_subscription(tenant.organisation, subscription_id)
    return _assign_locked(
        subscription, assignee=assignee, actor=acting_user, cost_center=cost_center, license_id=license_id
    )


@transaction.atomic
def license_unassign(*, tenant: TenantContext, acting_user: User, license_id: int) -> None:
    """Return a license to the pool (an over-allocated seat, never owned, goes away). The peak
    already reached stays in the history."""
    _require(tenant, Perm.MANAGE_LICENSING)
    found = (
        License.objects.for_tenant(tenant.organisation)
        .filter(pk=license_id)
        .values_list("subscription_id", flat=True)
        .first()
    )
    if found is None:
        already_left = (
            AssignmentEvent.objects.for_tenant(tenant.organisation)
            .filter(license_ref=license_id, kind=HistoryKind.UNASSIGNED)
            .exists()
        )
        if already_left:
            return  # an over-allocated seat unassigned a moment ago: a repeated click changes nothing
        raise NotFound
    subscription = _lock_subscription(tenant.organisation, found)
    license = License.objects.for_tenant(tenant.organisation).get(pk=license_id)
    if not license.is_assigned:
        return  # already free: a repeated click changes nothing
    owned, _assigned = _counts(subscription)
    label = Assignee(license.assignee_name, license.assignee_email, license.assignee_extension).label()
    license_ref = license.pk  # kept for the history: delete() below clears it
    if license.is_overage:
        license.delete()
    else:
        _free_owned(license, subscription)
    AssignmentEvent.objects.create(
        organisation_id=subscription.organisation_id,
        subscription=subscription,
        kind=HistoryKind.UNASSIGNED,
        assigned_delta=-1,
        owned_after=owned,
        license_ref=license_ref,
        assignee=label[:300],
        actor=acting_user,
        at=timezone.now(),
    )


def _free_owned(license: License, subscription: Subscription) -> None:
    """Free an owned license of a locked subscription."""
    overage_seat = (
        License.objects.for_tenant(subscription.organisation)
        .filter(subscription=subscription, is_overage=True)
        .order_by("pk")
        .first()
    )
    if overage_seat is not None:
        # Someone holds an over-allocated seat: it takes the place of the owned license freed
        # here (same cost center and purchase), so "free" keeps meaning "can be assigned
        # without over-allocating", and each person keeps their own license.
        overage_seat.is_overage = False
        overage_seat.cost_center_id = license.cost_center_id
        overage_seat.purchase_id = license.purchase_id
        overage_seat.save(update_fields=["is_overage", "cost_center", "purchase"])
        license.delete()
    else:
        license.assignee_name = license.assignee_email = license.assignee_extension = ""
        license.assigned_at = None
        license.save(update_fields=["assignee_name", "assignee_email", "assignee_extension", "assigned_at"])


@transaction.atomic
def licenses_remove(*, tenant: TenantContext, acting_user: User, subscription_id: int, quantity: int) -> int:
    """Remove ``quantity`` unassigned licenses (never an assigned one); refuses more than can be removed."""
    _require(tenant, Perm.MANAGE_LICENSING)
    subscription = _lock_subscription(tenant.organisation, subscription_id)
    free = License.objects.for_tenant(tenant.organisation).filter(
        subscription=subscription, is_overage=False, assigned_at__isnull=True
    )
    can_be_removed = free.count()
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or quantity < 1
        or quantity > can_be_removed
    ):
        raise Invalid(
            _(
                "You can remove from 1 to %(max)s licenses of %(product)s: only unassigned licenses can be removed."
            )
            % {"max": can_be_removed, "product": subscription.product.name},
            field_errors={"quantity": [_("At most %(max)s.") % {"max": can_be_removed}]},
        )
    ids = list(free.order_by("-pk").values_list("pk", flat=True)[:quantity])
    License.objects.for_tenant(tenant.organisation).filter(pk__in=ids).delete()
    owned, _assigned = _counts(subscription)
    _record(subscription, kind=HistoryKind.REMOVED, delta=0, owned_after=owned, actor=acting_user)
    return quantity
