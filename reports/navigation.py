"""The reports app's entries in the side navigation (registered in apps.py)."""

from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.navigation import NavEntry

NAV_ENTRIES = (
    NavEntry(
        _("Usage reports"), "reports:report-list", "file", perm=Perm.VIEW_OWN_REPORTS, kind="msp", order=20
    ),
    NavEntry(
        _("Review queue"),
        "reports:report-list",
        "inbox",
        perm=Perm.VIEW_SERVED_REPORTS,
        kind="distributor",
        active_for=("reports:report-", "reports:draft-", "reports:line-", "reports:comment-"),
        order=21,
    ),
    NavEntry(
        _("MSP account settings"),
        "reports:account-settings-list",
        "settings",
        perm=Perm.VIEW_SERVED_REPORTS,
        kind="distributor",
        active_for=("reports:account-settings-",),
        order=31,
    ),
)
