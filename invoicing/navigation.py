"""Invoicing's entries in the side navigation (registered in apps.py): each shown only to the
roles that may open its page."""

from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.navigation import NavEntry

NAV_ENTRIES = (
    NavEntry(
        _("Invoices"),
        "invoicing:invoice-list",
        "receipt",
        perm=Perm.VIEW_INVOICES,
        active_for=("invoicing:invoice-", "invoicing:credit-note-issue"),
        order=70,
    ),
    NavEntry(
        _("Credit notes"),
        "invoicing:credit-note-list",
        "file",
        perm=Perm.VIEW_INVOICES,
        active_for=("invoicing:credit-note-list", "invoicing:credit-note-detail"),
        order=71,
    ),
    NavEntry(
        _("True-ups"),
        "invoicing:true-up-list",
        "chart",
        perm=Perm.VIEW_INVOICES,
        kind="distributor",
        active_for=("invoicing:true-up-",),
        order=72,
    ),
    NavEntry(
        _("Tax settings"),
        "invoicing:tax-setting-list",
        "settings",
        perm=Perm.ISSUE_INVOICES,
        kind="distributor",
        active_for=("invoicing:tax-setting-",),
        order=73,
    ),
)
