"""Organisation kinds, roles and the permissions each role carries (docs/tenancy.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Distributor")
    MSP = "msp", _("Managed service provider")


class Role(models.TextChoices):
    MSP_ADMIN = "msp_admin", _("MSP admin")
    MSP_BILLING = "msp_billing", _("MSP billing admin")
    MSP_VIEWER = "msp_viewer", _("MSP viewer")
    DIST_REVIEWER = "dist_reviewer", _("Distributor reviewer")
    DIST_ADMIN = "dist_admin", _("Distributor admin")


ROLES_BY_KIND = {
    OrganisationKind.MSP: (Role.MSP_ADMIN, Role.MSP_BILLING, Role.MSP_VIEWER),
    OrganisationKind.DISTRIBUTOR: (Role.DIST_ADMIN, Role.DIST_REVIEWER),
}
ADMIN_ROLES = frozenset({Role.MSP_ADMIN, Role.DIST_ADMIN})


class Perm(models.TextChoices):
    """What a role may do inside its organisation; views and services ask for one of these."""

    VIEW_OWN_REPORTS = "view_own_reports", _("See the organisation's usage reports")
    EDIT_REPORTS = "edit_reports", _("Edit, comment and submit usage reports")
    VIEW_SERVED_REPORTS = "view_served_reports", _("See reports of served MSPs")
    REVIEW_REPORTS = "review_reports", _("Approve or reject reports, comment on lines")
    MANAGE_ACCOUNTS = "manage_accounts", _("Set auto-submit delay and penalty policy of MSPs")
    VIEW_LICENSING = "view_licensing", _("See licenses, cost centers and assignments")
    MANAGE_LICENSING = "manage_licensing", _("Manage licenses, cost centers and assignments")
    VIEW_BILLING = "view_billing", _("See billing imports, reconciliation and exports")
    MANAGE_BILLING = "manage_billing", _("Run billing imports and exports")
    VIEW_INVOICES = "view_invoices", _("See invoices")
    ISSUE_INVOICES = "issue_invoices", _("Issue invoices")
    MANAGE_MEMBERS = "manage_members", _("Invite and remove members, set roles")


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.MSP_ADMIN: frozenset(
        {
            Perm.VIEW_OWN_REPORTS,
            Perm.EDIT_REPORTS,
            Perm.VIEW_LICENSING,
            Perm.MANAGE_LICENSING,
            Perm.VIEW_BILLING,
            Perm.MANAGE_BILLING,
            Perm.VIEW_INVOICES,
            Perm.MANAGE_MEMBERS,
        }
    ),
    Role.MSP_BILLING: frozenset(
        {Perm.VIEW_OWN_REPORTS, Perm.VIEW_BILLING, Perm.MANAGE_BILLING, Perm.VIEW_INVOICES}
    ),
    Role.MSP_VIEWER: frozenset({Perm.VIEW_OWN_REPORTS, Perm.VIEW_LICENSING, Perm.VIEW_BILLING}),
    Role.DIST_REVIEWER: frozenset({Perm.VIEW_SERVED_REPORTS, Perm.REVIEW_REPORTS, Perm.VIEW_INVOICES}),
    Role.DIST_ADMIN: frozenset(
        {
            Perm.VIEW_SERVED_REPORTS,
            Perm.REVIEW_REPORTS,
            Perm.MANAGE_ACCOUNTS,
            Perm.VIEW_INVOICES,
            Perm.ISSUE_INVOICES,
            Perm.MANAGE_MEMBERS,
        }
    ),
}
