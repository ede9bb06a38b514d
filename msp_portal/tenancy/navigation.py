"""The side navigation, per role. The kernel holds the registry; each app registers its own
entries (tenancy's in tenancy/apps.py, the others in theirs)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

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
    # Place in the menu, low first: 10 dashboard, 20-29 reports, 30-39 accounts, 50-69
    # licensing, 80-99 members and notifications.
    order: int = 50


_ENTRIES: list[NavEntry] = []


def register_nav_entries(*entries: NavEntry) -> None:
    """Each app adds its entries from its ``ready()``, so the kernel names no app's pages; the
    menu lists them by ``order`` (registering the same entry twice keeps one)."""
    for entry in entries:
        if entry not in _ENTRIES:
            _ENTRIES.append(entry)
    _ENTRIES.sort(key=lambda entry: entry.order)


def nav_entries() -> list[NavEntry]:
    return list(_ENTRIES)


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
    for entry in _ENTRIES:
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


__all__ = ["NavEntry", "nav_entries", "navigation_for", "register_nav_entries"]
