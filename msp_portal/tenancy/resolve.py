"""Resolving the organisation of a request: once per request, 404 for anyone not a member."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from msp_portal.errors import NotFound

from .choices import ROLE_PERMISSIONS
from .models import Membership, Organisation


@dataclass(frozen=True)
class TenantContext:
    """The organisation a request acts in, and the acting user's membership there."""

    organisation: Organisation
    membership: Membership
    perms: frozenset[str] = field(default_factory=frozenset)

    @property
    def role(self) -> str:
        return self.membership.role

    def can(self, perm: str) -> bool:
        return perm in self.perms


def resolve_tenant(*, user, org_slug: str) -> TenantContext:
    """Return the tenant context of ``user`` in the organisation ``org_slug``.

    Raises NotFound (a 404 for pages and the API) when the organisation does not exist, is
    inactive, or ``user`` is not a member: an outsider cannot even learn that it exists.
    """
    if not user.is_authenticated:
        raise NotFound(_("Organisation not found."))
    membership = (
        Membership.objects.with_scopes_disabled()
        .select_related("organisation", "organisation__distributor")
        .filter(user=user, organisation__slug=org_slug, organisation__is_active=True)
        .first()
    )
    if membership is None:
        raise NotFound(_("Organisation not found."))
    return tenant_context_of(membership)


def tenant_context_of(membership: Membership) -> TenantContext:
    """The tenant context of a membership already read (with its organisation), for work done
    on someone's behalf outside a request (what an e-mail may link to)."""
    return TenantContext(
        organisation=membership.organisation,
        membership=membership,
        perms=ROLE_PERMISSIONS.get(membership.role, frozenset()),
    )
