"""The column descriptions of licensing's lists, shared by each page and its CSV download
(msp_portal/tables.py)."""

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from msp_portal.tables import Column, Table


def _day(moment):
    return timezone.localtime(moment).date().isoformat() if moment else ""


LICENSES = Table(
    (
        Column("product", _("License type"), lambda lic: lic.subscription.product.name),
        Column("sku", _("SKU"), lambda lic: lic.subscription.product.sku_code, page=False),
        # The page shows the name with the e-mail under it; the download has them apart.
        Column("assignee", _("Assigned to"), lambda lic: lic.assignee_name),
        Column("email", _("E-mail"), lambda lic: lic.assignee_email, page=False),
        Column("extension", _("Extension"), lambda lic: lic.assignee_extension),
        Column("cost_center", _("Cost center"), lambda lic: lic.cost_center.code if lic.cost_center else ""),
        Column("created", _("Date added"), lambda lic: _day(lic.created_at)),
        Column("assigned", _("Assigned on"), lambda lic: _day(lic.assigned_at), page=False),
        Column(
            "overage", _("Over-allocated"), lambda lic: gettext("yes") if lic.is_overage else "", page=False
        ),
    )
)

COST_CENTERS = Table(
    (
        Column("code", _("Code"), lambda cc: cc.code),
        Column("name", _("Name"), lambda cc: cc.name),
        Column("parent", _("Parent"), lambda cc: cc.parent.code if cc.parent else ""),
        Column("licenses", _("Licenses"), lambda cc: cc.license_count),
    )
)
