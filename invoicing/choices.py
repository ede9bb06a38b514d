"""Kinds and states of invoicing (docs/invoicing.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .rules import TaxMethod


class TaxMethodChoice(models.TextChoices):
    """How tax is computed; the values are invoicing.rules.TaxMethod's, which does the sums."""

    ON_TOTAL = TaxMethod.ON_TOTAL, _("On the invoice total (lines carry no tax)")
    PER_LINE = TaxMethod.PER_LINE, _("On each line")


class LineKind(models.TextChoices):
    """Where an invoice line comes from (each kind names its source columns)."""

    USAGE = "usage", pgettext_lazy("invoice line kind", "Usage")
    PENALTY = "penalty", pgettext_lazy("invoice line kind", "Penalty surcharge")
    TRUE_UP = "true_up", pgettext_lazy("invoice line kind", "True-up")
    PRORATION = "proration", pgettext_lazy("invoice line kind", "Proration")


class DocumentKind(models.TextChoices):
    """The numbered documents; each has its own gapless sequence per distributor."""

    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    """Derived from the credit notes, never stored: an issued invoice is never updated."""

    ISSUED = "issued", pgettext_lazy("invoice status", "Issued")
    PARTIALLY_CREDITED = "partially_credited", pgettext_lazy("invoice status", "Partially credited")
    CREDITED = "credited", pgettext_lazy("invoice status", "Credited")


NUMBER_PREFIXES = {DocumentKind.INVOICE: "INV", DocumentKind.CREDIT_NOTE: "CN"}


def document_number(kind: str, sequence: int) -> str:
    """The printed number of the ``sequence``-th document of ``kind`` (INV-000123, CN-000001)."""
    return f"{NUMBER_PREFIXES[kind]}-{sequence:06d}"
