"""Helpers every licensing service shares: the role check, the subscription lock, counts and the
assignment history."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from msp_portal.errors import Invalid, NotAllowed, NotFound
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext

from ..models import (
    AssignmentEvent,
    CostCenter,
    License,
    Subscription,
)

MAX_QUANTITY = 10_000


def _require(tenant: TenantContext, perm: str) -> None:
    if not tenant.can(perm):
        raise NotAllowed()


def _lock_subscription(organisation: Organisation, subscription_id: int) -> Subscription:
    try:
        return (
            Subscription.objects.for_tenant(organisation)
            .select_for_update(of=("self",))
            .select_related("product", "organisation")
            .get(pk=subscription_id)
        )
    except Subscription.DoesNotExist as exc:
        raise NotFound from exc


def _counts(subscription: Subscription) -> tuple[int, int]:
    """(owned, assigned) of a locked subscription."""
    counts = (
        License.objects.for_tenant(subscription.organisation)
        .filter(subscription=subscription)
        .aggregate(
            owned=Count("pk", filter=Q(is_overage=False)),
            assigned=Count("pk", filter=Q(assigned_at__isnull=False)),
        )
    )
    return counts["owned"], counts["assigned"]


def _record(subscription, *, kind, delta, owned_after, actor, license=None, assignee="", at=None) -> None:
    AssignmentEvent.objects.create(
        organisation_id=subscription.organisation_id,
        subscription=subscription,
        kind=kind,
        assigned_delta=delta,
        owned_after=owned_after,
        license_ref=license.pk if license else None,
        assignee=assignee[:300],
        actor=actor,
        at=at or timezone.now(),
    )


def _cost_center(organisation: Organisation, cost_center_id, field: str = "cost_center") -> CostCenter | None:
    if cost_center_id in (None, ""):
        return None
    found = CostCenter.objects.for_tenant(organisation).filter(pk=cost_center_id).first()
    if found is None:
        raise Invalid(
            _("This cost center does not exist in your organisation."),
            field_errors={field: [_("Choose one of your cost centers.")]},
        )
    return found
