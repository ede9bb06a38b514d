"""The licensing app's entries in the side navigation (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.navigation import NavEntry

NAV_ENTRIES = (
    NavEntry(
        _("Licenses"),
        "licensing_licenses:license-list",
        "key",
        perm=Perm.VIEW_LICENSING,
        kind="msp",
        order=50,
    ),
    NavEntry(
        _("Catalog"),
        "licensing_purchase:catalog",
        "receipt",
        active_for=("licensing_purchase:catalog", "licensing_purchase:product-", "licensing_purchase:cart"),
        order=60,
    ),
    NavEntry(
        _("Purchases"),
        "licensing_purchase:purchase-list",
        "download",
        perm=Perm.VIEW_LICENSING,
        kind="msp",
        active_for=("licensing_purchase:purchase-",),
        order=70,
    ),
)
