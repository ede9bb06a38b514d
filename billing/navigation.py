"""The billing app's entries in the side navigation (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.navigation import NavEntry

NAV_ENTRIES = (
    NavEntry(
        _("Reconciliation imports"),
        "billing:import-list",
        "upload",
        perm=Perm.VIEW_BILLING,
        kind="msp",
        active_for=("billing:import-",),
        order=75,
    ),
    NavEntry(
        _("Reconciliation"),
        "billing:reconciliation",
        "chart",
        perm=Perm.VIEW_BILLING,
        kind="msp",
        active_for=("billing:reconcil", "billing:export-"),
        order=76,
    ),
)
