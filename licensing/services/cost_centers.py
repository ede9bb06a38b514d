"""Cost centers: create, rename, re-parent, and move licenses between them."""

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from msp_portal.errors import Invalid, NotFound
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext

from ..models import (
    CostCenter,
    License,
)
from ._common import _cost_center, _require


@transaction.atomic
def cost_center_save(
    *, tenant: TenantContext, code: str, name: str, parent_id=None, cost_center_id: int | None = None
) -> CostCenter:
    """Create a cost center, or rename/re-parent one; codes are unique in the organisation and a
    parent can't be the center itself or one of its descendants."""
    _require(tenant, Perm.MANAGE_LICENSING)
    organisation = tenant.organisation
    code, name = (code or "").strip(), (name or "").strip()
    errors = {}
    if not code:
        errors["code"] = [_("Give the cost center a code.")]
    if not name:
        errors["name"] = [_("Give the cost center a name.")]
    if errors:
        raise Invalid(_("The cost center needs a code and a name."), field_errors=errors)
    parent = _cost_center(organisation, parent_id, field="parent")
    if cost_center_id is None:
        cost_center = CostCenter(organisation=organisation)
    else:
        cost_center = (
            CostCenter.objects.for_tenant(organisation).select_for_update().filter(pk=cost_center_id).first()
        )
        if cost_center is None:
            raise NotFound
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == cost_center.pk:
                raise Invalid(
                    _("A cost center can't sit under itself or under one of its own sub-centers."),
                    field_errors={"parent": [_("Choose another parent.")]},
                )
            ancestor = ancestor.parent
    cost_center.code, cost_center.name, cost_center.parent = code, name, parent
    try:
        with transaction.atomic():
            cost_center.save()
    except IntegrityError as exc:
        raise Invalid(
            _("A cost center with the code %(code)s already exists.") % {"code": code},
            field_errors={"code": [_("Choose another code.")]},
        ) from exc
    return cost_center


@transaction.atomic
def licenses_move(*, tenant: TenantContext, license_ids: Sequence[int], cost_center_id) -> int:
    """Move licenses to another cost center (or to none); returns how many moved."""
    _require(tenant, Perm.MANAGE_LICENSING)
    cost_center = _cost_center(tenant.organisation, cost_center_id)
    licenses = License.objects.for_tenant(tenant.organisation).filter(pk__in=list(license_ids))
    if licenses.count() != len(set(license_ids)):
        raise Invalid(_("Some of these licenses are not yours, or no longer exist. Reload the list."))
    return licenses.update(cost_center=cost_center)
