"""Invoicing's tables (docs/invoicing.md): tax settings, the numbering counters, and the issued
documents (invoices, credit notes and their lines).

An issued document is immutable: a database trigger refuses UPDATE and DELETE of invoices,
credit notes and their lines (migration 0001), so every figure is computed before the rows are
inserted. What changes after issue (how much was credited) is derived from the credit notes.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from licensing.models import Subscription, TrueUpCharge
from msp_portal.tenancy.models import Organisation, TenantModel
from reports.models import ReportPenalty, UsageReport, UsageReportLine

from .choices import DocumentKind, LineKind, TaxMethodChoice

MONEY = {"max_digits": 16, "decimal_places": 2}


class TaxSetting(TenantModel):
    """The tax a distributor charges the MSPs of one country (the tenant is the distributor).

    An MSP whose country has no row is invoiced at 0 % on the total, and its invoice says so.
    """

    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. FR."))
    rate_percent = models.DecimalField(
        _("tax rate (%)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    method = models.CharField(
        _("tax method"), max_length=8, choices=TaxMethodChoice.choices, default=TaxMethodChoice.ON_TOTAL
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("tax setting")
        verbose_name_plural = _("tax settings")
        ordering = ["country"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "country"],
                name="%(app_label)s_%(class)s_unique_country_per_distributor",
                violation_error_message=_("This country already has a tax setting."),
            )
        ]

    def __str__(self):
        return f"{self.country} {self.rate_percent} % ({self.method})"


class DocumentCounter(TenantModel):
    """The last number given to a distributor's documents of one kind (the tenant is the
    distributor). Incremented by ``UPDATE … RETURNING`` inside the issuing transaction, so a
    number is held by one transaction at a time and a rollback gives it back: no gap, no twin."""

    kind = models.CharField(_("document"), max_length=16, choices=DocumentKind.choices)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"], name="%(app_label)s_%(class)s_one_per_distributor_and_kind"
            )
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.kind} {self.last}"


class Invoice(TenantModel):
    """A distributor's invoice to one MSP (the tenant) for the cycle of one approved report.

    Immutable once inserted (database trigger). Totals: ``subtotal`` is the lines' sum, ``tax``
    follows ``tax_method`` at ``tax_rate_percent``, ``total = subtotal + tax``; all in the MSP's
    ``currency``. ``tax_rate_missing``: the MSP's country had no tax setting, so 0 % on the total.
    """

    distributor = models.ForeignKey(
        Organisation, models.PROTECT, related_name="+", verbose_name=_("distributor")
    )
    report = models.ForeignKey(
        UsageReport, models.PROTECT, related_name="invoices", verbose_name=_("usage report")
    )
    cycle = models.DateField(_("cycle"), help_text=_("First day of the month the invoice bills."))
    currency = models.CharField(_("currency"), max_length=3)
    sequence = models.PositiveIntegerField(_("sequence"), help_text=_("Gapless per distributor."))
    number = models.CharField(_("number"), max_length=32)
    issued_at = models.DateTimeField(_("issued"))
    subtotal = models.DecimalField(_("subtotal"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)
    tax_country = models.CharField(_("tax country"), max_length=2)
    tax_rate_percent = models.DecimalField(_("tax rate (%)"), max_digits=6, decimal_places=3)
    tax_method = models.CharField(_("tax method"), max_length=8, choices=TaxMethodChoice.choices)
    tax_rate_missing = models.BooleanField(
        _("no tax rate for the country"),
        default=False,
        help_text=_("No tax setting existed for the MSP's country: invoiced at 0 %."),
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-cycle", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "report"],
                name="%(app_label)s_%(class)s_one_per_report",
                violation_error_message=_("This report is already invoiced."),
            ),
            # Numbering is the distributor's, across its MSPs: the distributor is the key here.
            models.UniqueConstraint(
                fields=["distributor", "sequence"], name="%(app_label)s_%(class)s_unique_sequence"
            ),
            models.UniqueConstraint(
                fields=["distributor", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.CheckConstraint(condition=Q(cycle__day=1), name="%(app_label)s_%(class)s_cycle_is_first"),
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") + models.F("tax")),
                name="%(app_label)s_%(class)s_total_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "cycle"], name="invoice_org_cycle"),
            models.Index(fields=["distributor", "issued_at"], name="invoice_dist_issued"),
        ]

    def __str__(self):
        return self.number


class InvoiceLine(TenantModel):
    """One billed line of an invoice, with a reference to the row it bills (by ``kind``):

    - usage: ``report_line``; quantity = billable units, amount = units × unit price;
    - penalty: ``penalty`` (only its surcharge: the reset is in the usage line's units);
    - true_up: ``true_up``; quantity = units billed;
    - proration: ``proration_subscription`` + ``proration_change_date`` (and the counts);
      quantity = new − old count, ``unit_price`` the monthly price, amount = charge − refund.

    The unique keys on the sources make a row billable once, whatever calls the builder.
    ``tax`` is the line's own under the per-line method, 0 under "on total".
    """

    invoice = models.ForeignKey(Invoice, models.PROTECT, related_name="lines", verbose_name=_("invoice"))
    position = models.PositiveIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=300)
    product_code = models.CharField(_("product id"), max_length=64, blank=True)
    sku_code = models.CharField(_("SKU"), max_length=64, blank=True)
    quantity = models.IntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=8)
    amount = models.DecimalField(_("amount"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY, default=Decimal("0.00"))
    report_line = models.ForeignKey(
        UsageReportLine,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("report line"),
    )
    penalty = models.ForeignKey(
        ReportPenalty, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("penalty")
    )
    true_up = models.ForeignKey(
        TrueUpCharge,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("true-up charge"),
    )
    proration_subscription = models.ForeignKey(
        Subscription, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("subscription")
    )
    proration_cycle_start = models.DateField(_("charge cycle start"), null=True, blank=True)
    proration_change_date = models.DateField(_("change date"), null=True, blank=True)
    proration_old_quantity = models.PositiveIntegerField(_("old count"), null=True, blank=True)
    proration_new_quantity = models.PositiveIntegerField(_("new count"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position"], name="%(app_label)s_%(class)s_unique_position"
            ),
            models.UniqueConstraint(
                fields=["organisation", "report_line"], name="%(app_label)s_%(class)s_report_line_once"
            ),
            models.UniqueConstraint(
                fields=["organisation", "penalty"], name="%(app_label)s_%(class)s_penalty_once"
            ),
            models.UniqueConstraint(
                fields=["organisation", "true_up"], name="%(app_label)s_%(class)s_true_up_once"
            ),
            models.UniqueConstraint(
                fields=[
                    "organisation",
                    "proration_subscription",
                    "proration_change_date",
                    "proration_old_quantity",
                    "proration_new_quantity",
                ],
                name="%(app_label)s_%(class)s_proration_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=LineKind.USAGE, report_line__isnull=False)
                    | Q(kind=LineKind.PENALTY, penalty__isnull=False)
                    | Q(kind=LineKind.TRUE_UP, true_up__isnull=False)
                    | Q(
                        kind=LineKind.PRORATION,
                        proration_subscription__isnull=False,
                        proration_change_date__isnull=False,
                    )
                ),
                name="%(app_label)s_%(class)s_names_its_source",
            ),
        ]

    def __str__(self):
        return f"{self.invoice_id} #{self.position} {self.amount}"


class CreditNote(TenantModel):
    """A correction of an issued invoice (the tenant is the MSP), numbered in its own gapless
    sequence per distributor (CN-000001). Immutable like the invoice; its ``total`` never
    exceeds what was left to credit on the invoice when it was issued (amounts are positive:
    they are what the MSP is given back)."""

    distributor = models.ForeignKey(
        Organisation, models.PROTECT, related_name="+", verbose_name=_("distributor")
    )
    invoice = models.ForeignKey(
        Invoice, models.PROTECT, related_name="credit_notes", verbose_name=_("invoice")
    )
    currency = models.CharField(_("currency"), max_length=3)
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=32)
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    reason = models.TextField(_("reason"), max_length=2000)
    subtotal = models.DecimalField(_("subtotal"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-issued_at", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["distributor", "sequence"], name="%(app_label)s_%(class)s_unique_sequence"
            ),
            models.UniqueConstraint(
                fields=["distributor", "number"], name="%(app_label)s_%(class)s_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("subtotal") + models.F("tax")) & Q(total__gt=0),
                name="%(app_label)s_%(class)s_total_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "issued_at"], name="creditnote_org_issued")]

    def __str__(self):
        return self.number


class CreditNoteLine(TenantModel):
    """The part of one invoice line a credit note gives back (``amount`` before tax, with the
    invoice line's sign: a refund line of a proration is negative, and given back negative)."""

    credit_note = models.ForeignKey(
        CreditNote, models.PROTECT, related_name="lines", verbose_name=_("credit note")
    )
    invoice_line = models.ForeignKey(
        InvoiceLine, models.PROTECT, related_name="credit_lines", verbose_name=_("invoice line")
    )
    position = models.PositiveIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(_("amount"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY, default=Decimal("0.00"))

    class Meta:
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")
        ordering = ["credit_note", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_note", "invoice_line"], name="%(app_label)s_%(class)s_line_once_per_note"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="%(app_label)s_%(class)s_amount_not_zero"),
        ]

    def __str__(self):
        return f"{self.credit_note_id} #{self.position} {self.amount}"
