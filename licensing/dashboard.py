"""The licensing figures of an MSP's dashboard."""

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.dashboard import Panel, register_panel
from msp_portal.tenancy.resolve import TenantContext

from . import selectors


@register_panel
def licensing_panel(tenant: TenantContext) -> Panel | None:
    if tenant.organisation.is_distributor or not tenant.can(Perm.VIEW_LICENSING):
        return None
    statuses = selectors.subscription_statuses(organisation=tenant.organisation)
    return Panel(
        template="licensing/_dashboard_panel.html",
        context={
            "subscription_count": len(statuses),
            "owned": sum(s.owned for s in statuses),
            "assigned": sum(s.assigned for s in statuses),
            "overallocated": selectors.overallocation_count(statuses),
            "near_capacity": sum(1 for s in statuses if s.near_capacity),
            "true_up": sum((s.true_up_amount for s in statuses), start=0),
            "currency": statuses[0].product.currency if statuses else tenant.organisation.currency,
        },
    )
