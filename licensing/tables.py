"""The column descriptions of licensing's lists, shared by each page and its CSV download
(msp_portal/tables.py)."""

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from msp_portal.tables import Column, Table

from .cart import display_price


def _day(moment):
    return timezone.localtime(moment).date().isoformat() if moment else ""


def _moment(moment):
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


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


def _on_sale(product) -> str:
    return gettext("On sale") if product.is_active else gettext("Withdrawn")


# The page shows the product and SKU ids under the name and the currency after the price; the
# download has them apart. A price leaves as a decimal string ("12.50", or "10.125" when it has
# more decimals): the writer never turns a Decimal into a float or an exponent.
CATALOG = Table(
    (
        Column("product_code", _("Product id"), lambda p: p.product_code, page=False),
        Column("sku", _("SKU id"), lambda p: p.sku_code, page=False),
        Column("product", _("Product"), lambda p: p.name),
        Column("publisher", _("Publisher"), lambda p: p.publisher),
        Column("unit_type", _("Unit type"), lambda p: p.unit_type),
        Column("unit_price", _("Unit price"), lambda p: display_price(p.unit_price), css="num"),
        Column("currency", _("Currency"), lambda p: p.currency, page=False),
        Column("billing_type", _("Billing type"), lambda p: p.get_billing_type_display()),
        Column("program", _("Program"), lambda p: p.get_program_display()),
        Column("status", _("Status"), _on_sale),
    )
)

# An MSP only ever sees products on sale: no status column on its page or in its download.
CATALOG_OF_MSP = Table(tuple(column for column in CATALOG.columns if column.key != "status"))


def _cost_centers_of(line) -> str:
    return "; ".join(
        f"{a.cost_center.code if a.cost_center else gettext('none')}: {a.quantity}"
        for a in line.allocations.all()
    )


# One row per purchase on the page; the download has one row per purchase line (what the
# statement lists, with its cost centers), each carrying its purchase's columns first, in the
# page's order. "Total" is the purchase's, "Line total" the line's.
PURCHASES = Table(
    (
        Column("number", _("Number"), lambda line: line.purchase.number),
        Column("confirmed", _("Confirmed"), lambda line: _moment(line.purchase.created_at)),
        Column("by", _("By"), lambda line: line.purchase.created_by.email),
        Column("lines", _("Lines"), lambda line: line.purchase_line_count, css="num"),
        Column("total", _("Total"), lambda line: line.purchase.total, css="num"),
        Column("currency", _("Currency"), lambda line: line.purchase.currency, page=False),
        Column("product_code", _("Product id"), lambda line: line.product.product_code, page=False),
        Column("sku", _("SKU id"), lambda line: line.product.sku_code, page=False),
        Column("product", _("Product"), lambda line: line.product.name, page=False),
        Column("quantity", _("Quantity"), lambda line: line.quantity, page=False),
        Column("unit_price", _("Unit price"), lambda line: display_price(line.unit_price), page=False),
        Column("line_total", _("Line total"), lambda line: line.total, page=False),
        Column("cost_centers", _("Cost centers"), _cost_centers_of, page=False),
    )
)
