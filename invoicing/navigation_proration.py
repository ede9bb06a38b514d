"""The proration calculator's entry in the side navigation, for every member of MSPs and
distributors (imported by apps.py, which registers it)."""

from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.navigation import NavEntry, register_nav_entries

PRORATION_NAV_ENTRY = NavEntry(_("Proration calculator"), "proration:calculator", "calendar", order=78)

register_nav_entries(PRORATION_NAV_ENTRY)
