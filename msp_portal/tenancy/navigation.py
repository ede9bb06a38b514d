"""The side navigation, per role: each app adds its entries here as it arrives."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import Perm
from .resolve import TenantContext


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    icon: str  # a name from static/img/icons.svg
    perm: str | None = None  # shown only to roles holding this permission
    kind: str | None = None  # shown only in organisations of this kind
    # URL names (or name prefixes) of the pages that light this entry up; by default its own
    # page and, outside the tenancy core, every page of its app.
    active_for: tuple[str, ...] = ()


NAV_ENTRIES: list[NavEntry] = [
    NavEntry(_("Dashboard"), "tenancy:dashboard", "home"),
    NavEntry(_("Usage reports"), "reports:report-list", "file", perm=Perm.VIEW_OWN_REPORTS, kind="msp"),
    NavEntry(
        _("Review queue"),
        "reports:report-list",
        "inbox",
        perm=Perm.VIEW_SERVED_REPORTS,
        kind="distributor",
        active_for=("reports:report-", "reports:draft-", "reports:line-", "reports:comment-"),
    ),
    NavEntry(_("MSP accounts"), "tenancy:msp-list", "building", kind="distributor"),
    NavEntry(
        _("MSP account settings"),
        "reports:account-settings-list",
        "settings",
        perm=Perm.VIEW_SERVED_REPORTS,
        kind="distributor",
        active_for=("reports:account-settings-",),
    ),
    NavEntry(_("Licenses"), "licensing_licenses:license-list", "key", perm=Perm.VIEW_LICENSING, kind="msp"),
    NavEntry(
        _("Catalog"),
        "licensing_purchase:catalog",
        "receipt",
        active_for=("licensing_purchase:catalog", "licensing_purchase:product-", "licensing_purchase:cart"),
    ),
    NavEntry(
        _("Purchases"),
        "licensing_purchase:purchase-list",
        "download",
        perm=Perm.VIEW_LICENSING,
        kind="msp",
        active_for=("licensing_purchase:purchase-",),
    ),
    NavEntry(_("Members"), "tenancy:member-list", "users"),
    NavEntry(_("Notifications"), "notifications:list", "bell"),
]


def _is_active(entry: NavEntry, current: str | None) -> bool:
    """The entry of the page, or of any page in the same app (a report page lights up
    "Usage reports"), unless the entry names the pages it stands for."""
    if not current:
        return False
    if entry.active_for:
        return any(current.startswith(prefix) for prefix in entry.active_for)
    namespace = entry.url_name.split(":")[0]
    return current == entry.url_name or (namespace != "tenancy" and current.startswith(namespace + ":"))


def navigation_for(
    tenant: TenantContext, current_url_name: str | None, badges: dict[str, int] | None = None
) -> list[dict]:
    """Entries the tenant's role may see, with their URLs, which one is current, and a count
    to show beside an entry (``badges`` maps a URL name to it)."""
    badges = badges or {}
    items = []
    for entry in NAV_ENTRIES:
        if entry.perm and not tenant.can(entry.perm):
            continue
        if entry.kind and entry.kind != tenant.organisation.kind:
            continue
        items.append(
            {
                "label": entry.label,
                "url": reverse(entry.url_name, kwargs={"org_slug": tenant.organisation.slug}),
                "icon": entry.icon,
                "active": _is_active(entry, current_url_name),
                "badge": badges.get(entry.url_name, 0),
            }
        )
    return items


__all__ = ["NAV_ENTRIES", "NavEntry", "Perm", "navigation_for"]
