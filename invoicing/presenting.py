"""What an invoice's page, its printable page and its PDF show, prepared once from
``invoicing.selectors.InvoiceDetail``: the lines grouped by kind (usage, penalty surcharges,
true-ups, proration), what each line and the invoice have left to credit, and the tax's label."""

from decimal import Decimal

from django.utils.translation import gettext as _

from .choices import LineKind, TaxMethodChoice
from .selectors import InvoiceDetail

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def unit_price(price: Decimal) -> Decimal:
    """A unit price as people read it: to the cent at least ("22.00"), with the further places
    it holds ("0.0125", "0.33333333"); the stored trailing zeros are dropped."""
    normal = price.normalize()
    return max(normal, normal.quantize(CENT), key=lambda value: -value.as_tuple().exponent)


def line_groups(detail: InvoiceDetail) -> list[dict]:
    """The lines by kind in LineKind's order, each group with its label and amount; each line
    gets ``credited`` and ``left`` (what its credit notes gave back, what is left)."""
    credited = detail.credited_by_line
    groups = []
    for kind in LineKind:
        lines = [line for line in detail.lines if line.kind == kind]
        for line in lines:
            line.credited = credited.get(line.pk, ZERO)
            line.left = line.amount - line.credited
            line.price_text = unit_price(line.unit_price)
        if lines:
            groups.append(
                {
                    "kind": kind.value,
                    "label": kind.label,
                    "lines": lines,
                    "amount": sum((line.amount for line in lines), ZERO),
                }
            )
    return groups


def tax_label(invoice) -> str:
    """ "20 % on the invoice total" or "20 % on each line"; says when the country had no rate."""
    rate = invoice.tax_rate_percent.normalize()
    rate_text = f"{rate:f}"
    if invoice.tax_rate_missing:
        return _("0 %% (no tax rate is set for %(country)s)") % {"country": invoice.tax_country}
    if invoice.tax_method == TaxMethodChoice.PER_LINE:
        return _("%(rate)s %% on each line") % {"rate": rate_text}
    return _("%(rate)s %% on the invoice total") % {"rate": rate_text}


def invoice_context(detail: InvoiceDetail) -> dict:
    invoice = detail.invoice
    return {
        "invoice": invoice,
        "seller": invoice.distributor,
        "buyer": invoice.organisation,
        "groups": line_groups(detail),
        "credit_notes": detail.credit_notes,
        "tax_label": tax_label(invoice),
        "per_line_tax": invoice.tax_method == TaxMethodChoice.PER_LINE,
    }
