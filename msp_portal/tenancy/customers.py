"""The customer page of a served MSP (a distributor's view of one MSP): its summary figures and
its tabs. The kernel owns the page but names no app: each app registers, from its
``AppConfig.ready()``, a summary provider (figures) and tabs, as the dashboard panels do
(docs/tenancy.md, "Customer page")."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from .dashboard import Panel
from .models import Organisation
from .resolve import TenantContext
from .selectors import membership_list

# Both take the distributor's tenant context and the served MSP (already checked to be served
# by that distributor), read the MSP's rows with ``for_tenant(msp)``, and answer None when the
# role may not see them (the figure or the tab is then left out).
SummaryProvider = Callable[[TenantContext, Organisation], Panel | None]
TabRenderer = Callable[[TenantContext, Organisation], Panel]


@dataclass(frozen=True)
class CustomerTab:
    key: str  # in the page's query string: ?tab=<key>
    label: str | Promise
    render: TabRenderer
    perm: str | None = None  # shown only to roles holding this permission
    # Place among the tabs, low first: 10 reports, 20-39 licensing, 50 invoices, 80-90 settings
    # and members.
    order: int = 50


_SUMMARY: list[tuple[int, SummaryProvider]] = []
_TABS: dict[str, CustomerTab] = {}


def register_customer_summary(provider: SummaryProvider, *, order: int = 50) -> SummaryProvider:
    """Add figures to the summary (registering the same provider twice keeps one)."""
    if all(existing is not provider for _, existing in _SUMMARY):
        _SUMMARY.append((order, provider))
        _SUMMARY.sort(key=lambda item: item[0])
    return provider


def register_customer_tabs(*tabs: CustomerTab) -> None:
    for tab in tabs:
        _TABS[tab.key] = tab


def customer_summary(tenant: TenantContext, msp: Organisation) -> list[Panel]:
    return [panel for _, provider in _SUMMARY if (panel := provider(tenant, msp)) is not None]


def customer_tabs(tenant: TenantContext) -> list[CustomerTab]:
    """The tabs the tenant's role may open, in their order."""
    tabs = [tab for tab in _TABS.values() if not tab.perm or tenant.can(tab.perm)]
    return sorted(tabs, key=lambda tab: tab.order)


def customer_tab(key: str) -> CustomerTab | None:
    return _TABS.get(key)


def members_tab(tenant: TenantContext, msp: Organisation) -> Panel:
    """The kernel's own tab: who has access to the MSP (read only for the distributor)."""
    return Panel(
        template="tenancy/customer/_members.html", context={"memberships": membership_list(organisation=msp)}
    )
