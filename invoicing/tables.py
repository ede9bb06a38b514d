"""The column descriptions of invoicing's lists, shared by each page and its CSV download
(msp_portal/tables.py). Money cells are Decimals: the CSV writes them as plain numbers."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.tables import Column, Table

from .choices import InvoiceStatus, LineKind
from .presenting import unit_price


def _day(moment):
    return timezone.localtime(moment).date().isoformat() if moment else ""


def _status(invoice) -> str:
    return str(InvoiceStatus(invoice.status).label)


INVOICES = Table(
    (
        Column("number", _("Number"), lambda i: i.number),
        Column("msp", _("MSP"), lambda i: i.organisation.name),
        Column("cycle", _("Cycle"), lambda i: f"{i.cycle:%Y-%m}"),
        Column("issued", _("Issued"), lambda i: _day(i.issued_at)),
        Column("currency", _("Currency"), lambda i: i.currency, page=False),
        Column("subtotal", _("Subtotal"), lambda i: i.subtotal, css="num"),
        Column("tax", _("Tax"), lambda i: i.tax, css="num"),
        Column("total", _("Total"), lambda i: i.total, css="num"),
        Column("credited", _("Credited"), lambda i: i.credited, css="num"),
        Column("left", _("Left to credit"), lambda i: i.left_to_credit, css="num", page=False),
        Column("status", _("Status"), _status),
    )
)

INVOICE_LINES = Table(
    (
        Column("position", _("Line"), lambda line: line.position, css="num"),
        Column("kind", _("Kind"), lambda line: str(LineKind(line.kind).label)),
        Column("description", _("Description"), lambda line: line.description),
        Column("product", _("Product id"), lambda line: line.product_code, page=False),
        Column("sku", _("SKU"), lambda line: line.sku_code, page=False),
        Column("quantity", _("Quantity"), lambda line: line.quantity, css="num"),
        Column("unit_price", _("Unit price"), lambda line: unit_price(line.unit_price), css="num"),
        Column("amount", _("Amount"), lambda line: line.amount, css="num"),
        Column("tax", _("Tax"), lambda line: line.tax, css="num"),
    )
)

CREDIT_NOTES = Table(
    (
        Column("number", _("Number"), lambda n: n.number),
        Column("invoice", _("Invoice"), lambda n: n.invoice.number),
        Column("msp", _("MSP"), lambda n: n.organisation.name),
        Column("issued", _("Issued"), lambda n: _day(n.issued_at)),
        Column("currency", _("Currency"), lambda n: n.currency, page=False),
        Column("subtotal", _("Subtotal"), lambda n: n.subtotal, css="num", page=False),
        Column("tax", _("Tax"), lambda n: n.tax, css="num", page=False),
        Column("total", _("Total"), lambda n: n.total, css="num"),
        Column("reason", _("Reason"), lambda n: n.reason),
    )
)

TRUE_UPS = Table(
    (
        Column("msp", _("MSP"), lambda c: c.organisation.name),
        Column("product", _("Product"), lambda c: c.subscription.product.name),
        Column("date", _("True-up date"), lambda c: c.true_up_date.isoformat()),
        Column("peak", _("Peak"), lambda c: c.peak_units, css="num"),
        Column("owned", _("Owned at the true-up"), lambda c: c.owned_units, css="num"),
        Column("units", _("Units billed"), lambda c: c.units, css="num"),
        Column("unit_price", _("Unit price"), lambda c: c.unit_price, css="num"),
        Column("amount", _("Amount"), lambda c: c.amount, css="num"),
        Column("currency", _("Currency"), lambda c: c.currency, page=False),
    )
)
