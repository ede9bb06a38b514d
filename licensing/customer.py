"""The licensing part of a distributor's customer page (msp_portal/tenancy/customers.py):
over-allocation, the true-up expected at the next anniversaries and the purchases in the
summary; the licenses, true-ups and purchases tabs. Every read names the MSP (the selectors
read ``for_tenant(msp)``); the kernel has already checked that the distributor serves it.

The distributor's reviewers and admins see these as part of the customer page, which asks for
Perm.VIEW_SERVED_REPORTS (distributor roles hold no licensing permission of their own)."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.customers import CustomerTab, register_customer_summary, register_customer_tabs
from msp_portal.tenancy.dashboard import Panel
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext

from . import selectors

PURCHASES_IN_TAB = 50
TRUE_UPS_IN_TAB = 50


def _true_up_due(statuses) -> list[dict]:
    """The expected true-up per currency: what the next anniversaries bill if nothing changes."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for status in statuses:
        if status.true_up_units:
            totals[status.product.currency] += status.true_up_amount
    return [{"currency": currency, "amount": amount} for currency, amount in sorted(totals.items())]


def licensing_summary(tenant: TenantContext, msp: Organisation) -> Panel | None:
    if not tenant.can(Perm.VIEW_SERVED_REPORTS):
        return None
    statuses = selectors.subscription_statuses(organisation=msp)
    purchases = selectors.purchase_list(organisation=msp)
    purchase_totals = list(
        purchases.order_by()
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("currency")
    )
    return Panel(
        template="licensing/customer/_summary.html",
        context={
            "overallocated": selectors.overallocation_count(statuses),
            "overallocated_types": sum(1 for status in statuses if status.excess),
            "true_up_due": _true_up_due(statuses),
            "purchase_count": sum(row["count"] for row in purchase_totals),
            "purchase_totals": purchase_totals,
        },
    )


def licenses_tab(tenant: TenantContext, msp: Organisation) -> Panel:
    return Panel(
        template="licensing/customer/_licenses.html",
        context={"statuses": selectors.subscription_statuses(organisation=msp)},
    )


def true_ups_tab(tenant: TenantContext, msp: Organisation) -> Panel:
    statuses = selectors.subscription_statuses(organisation=msp)
    return Panel(
        template="licensing/customer/_true_ups.html",
        context={
            "expected": [status for status in statuses if status.true_up_units],
            "charges": selectors.true_up_charge_list(organisation=msp)[:TRUE_UPS_IN_TAB],
        },
    )


def purchases_tab(tenant: TenantContext, msp: Organisation) -> Panel:
    return Panel(
        template="licensing/customer/_purchases.html",
        context={"purchases": selectors.purchase_list(organisation=msp)[:PURCHASES_IN_TAB]},
    )


def register() -> None:
    register_customer_summary(licensing_summary, order=20)
    register_customer_tabs(
        CustomerTab("licenses", _("Licenses"), licenses_tab, perm=Perm.VIEW_SERVED_REPORTS, order=20),
        CustomerTab("true-ups", _("True-ups"), true_ups_tab, perm=Perm.VIEW_SERVED_REPORTS, order=30),
        CustomerTab("purchases", _("Purchases"), purchases_tab, perm=Perm.VIEW_SERVED_REPORTS, order=35),
    )
