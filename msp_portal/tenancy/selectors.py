"""Reads of organisations and memberships, and the one way to look a row up by its id inside a
tenant."""

from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from msp_portal.errors import NotFound

from .choices import ADMIN_ROLES, OrganisationKind
from .models import Membership, Organisation, User


def one_or_not_found(queryset: QuerySet, **lookup) -> Model:
    """The row of ``queryset`` that matches ``lookup`` (usually ``pk=…`` from a URL), or
    :class:`NotFound`. The queryset is already scoped to the tenant (``Model.objects.for_tenant``
    or a selector built on it), so an id of another organisation reads exactly like a missing
    one: one answer, one message, nothing learnt. Pages and the API both end with their 404."""
    found = queryset.filter(**lookup).first()
    if found is None:
        raise NotFound()
    return found


def user_membership_list(*, user: User) -> list[Membership]:
    """Cross-tenant read of the user's own memberships (the organisation switcher)."""
    return list(
        Membership.objects.with_scopes_disabled()
        .filter(user=user, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def membership_list(*, organisation: Organisation) -> QuerySet:
    """The organisation's members (filter with MembershipFilter)."""
    return (
        Membership.objects.for_tenant(organisation)
        .select_related("user", "invited_by")
        .order_by("user__email")
    )


def membership_get(*, organisation: Organisation, membership_id: int) -> Membership:
    """The membership with that id in that organisation, or Membership.DoesNotExist."""
    return Membership.objects.for_tenant(organisation).select_related("user").get(pk=membership_id)


def admin_count(*, organisation: Organisation) -> int:
    return Membership.objects.for_tenant(organisation).filter(role__in=ADMIN_ROLES).count()


def served_msp_list(*, distributor: Organisation) -> QuerySet:
    """Cross-tenant read: the MSP organisations that ``distributor`` serves."""
    member_count = (
        Membership.objects.with_scopes_disabled()
        .filter(organisation=OuterRef("pk"))
        .values("organisation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    queryset = Organisation.objects.filter(distributor=distributor, kind=OrganisationKind.MSP).annotate(
        member_count=Coalesce(Subquery(member_count, output_field=IntegerField()), 0)
    )
    return queryset.order_by("name")


def served_msp_by_id(*, distributor: Organisation, msp_id: int) -> Organisation:
    """One MSP that ``distributor`` serves (active or not), or NotFound: another distributor's
    MSP reads exactly like a missing one."""
    return one_or_not_found(
        Organisation.objects.filter(distributor=distributor, kind=OrganisationKind.MSP), pk=msp_id
    )


def served_msp_get(*, distributor: Organisation, msp_slug: str) -> Organisation | None:
    """One MSP that ``distributor`` serves, or None."""
    return Organisation.objects.filter(
        distributor=distributor, kind=OrganisationKind.MSP, slug=msp_slug
    ).first()


def users_with_roles(*, organisation: Organisation, roles) -> list[User]:
    """Active users holding one of ``roles`` in the organisation (recipients of notifications)."""
    return [
        membership.user
        for membership in Membership.objects.for_tenant(organisation)
        .filter(role__in=list(roles), user__is_active=True)
        .select_related("user")
    ]


def users_with_roles_by_organisation(*, organisation_ids, roles) -> dict[int, list[User]]:
    """:func:`users_with_roles` for many organisations in one query (the scheduled jobs, which
    serve every organisation at once): organisation id → its active users holding a role."""
    found: dict[int, list[User]] = {}
    for membership in (
        Membership.objects.across_tenants()
        .filter(organisation_id__in=list(organisation_ids), role__in=list(roles), user__is_active=True)
        .select_related("user")
        .order_by("pk")
    ):
        found.setdefault(membership.organisation_id, []).append(membership.user)
    return found
