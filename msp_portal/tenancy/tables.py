"""The column descriptions of tenancy's lists, shared by each page and its CSV download
(msp_portal/tables.py)."""

from django.utils.translation import gettext_lazy as _

from msp_portal.tables import Column, Table

MEMBERS = Table(
    (
        # The page shows the name with the e-mail under it; the download has them apart.
        Column("member", _("Member"), csv=False),
        Column("email", _("E-mail"), lambda m: m.user.email, page=False),
        Column("name", _("Name"), lambda m: m.user.get_full_name(), page=False),
        Column("role", _("Role"), lambda m: m.get_role_display()),
        Column("joined", _("Joined"), lambda m: m.created_at.date()),
    )
)
