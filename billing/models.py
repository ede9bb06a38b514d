"""Billing's rows: the imports of the vendor's reconciliation files, the problems that refused
a file, and the imported rows (docs/billing.md). The imported rows' columns come from
billing/columns.py, the one description of the files."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.models import TenantModel, tenant_manager

from .columns import DAILY_USAGE, INVOICE, INVOICE_OPTIONAL, Column, FileKind, Kind


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Loading")
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused")
    REPLACED = "replaced", _("Replaced by a corrected file")


class ReconciliationImport(TenantModel):
    """One file given to the importer, whatever became of it."""

    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=[
            (FileKind.DAILY_USAGE, _("Daily-rated usage")),
            (FileKind.INVOICE, _("Invoice reconciliation")),
        ],
    )
    file_name = models.CharField(_("file name"), max_length=255)
    size_bytes = models.BigIntegerField(_("size"), default=0)
    content_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The billing period (its first day) and invoice number the file is for, read from its rows.
    period = models.DateField(_("billing period"), null=True, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ImportState.choices, default=ImportState.QUEUED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    flagged_count = models.PositiveIntegerField(_("rows flagged"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    # A refusal of the whole file (header, encoding, a repeated file), in the reader's words.
    refusal = models.TextField(_("refusal"), blank=True)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("replaces")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A file is imported once: the same content again is recognised, never doubled.
            models.UniqueConstraint(
                fields=["organisation", "kind", "content_sha256"],
                condition=models.Q(state="done"),
                name="billing_import_once_per_content",
            ),
            # One current file per period and invoice: a corrected file replaces the earlier one.
            models.UniqueConstraint(
                fields=["organisation", "kind", "period", "invoice_number"],
                condition=models.Q(state="done"),
                name="billing_import_one_current_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_state_display()})"


class ImportProblem(TenantModel):
    """Why a file was refused: one row, one column, one reason (line counts the header as 1)."""

    reconciliation_import = models.ForeignKey(
        ReconciliationImport, on_delete=models.CASCADE, related_name="problems"
    )
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=64)
    message = models.TextField(_("problem"))

    class Meta:
        ordering = ["line", "pk"]


def _field_for(column: Column) -> models.Field:
    if column.kind == Kind.DECIMAL:
        # A daily-rated amount carries up to 10 decimals, kept exactly (the importer refuses more).
        return models.DecimalField(max_digits=38, decimal_places=10, null=True)
    if column.kind == Kind.DATE:
        return models.DateField(null=True)
    return models.TextField(blank=True, default="")


def _imported_row_fields(columns) -> dict:
    return {column.name: _field_for(column) for column in columns}


class DailyUsageRow(TenantModel):
    """A row of a daily-rated usage file. The table is partitioned by billing period
    (migration 0001, PostgreSQL declarative partitioning): a month is dropped or archived in one
    statement and a period's queries read one partition. Written only by the importer's COPY."""

    reconciliation_import = models.ForeignKey(
        ReconciliationImport, on_delete=models.DO_NOTHING, related_name="+"
    )
    period = models.DateField()
    line = models.PositiveIntegerField()
    locals().update(_imported_row_fields(DAILY_USAGE))
    expected_pre_tax_total = models.DecimalField(max_digits=38, decimal_places=10, null=True)
    pre_tax_total_mismatch = models.BooleanField(default=False)
    reseller_kind = models.CharField(max_length=8)

    objects = tenant_manager()

    class Meta:
        # Created by migration 0001's own DDL (partitioned); Django knows it for queries and
        # for the test database's flush.
        db_table = "billing_daily_usage"


class InvoiceLine(TenantModel):
    """A line of an invoice reconciliation file."""

    reconciliation_import = models.ForeignKey(
        ReconciliationImport, on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField()
    line = models.PositiveIntegerField()
    locals().update(_imported_row_fields((*INVOICE, *INVOICE_OPTIONAL)))
    reseller_kind = models.CharField(max_length=8)

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "period", "customer_id", "product_id", "sku_id"],
                name="billing_invoice_key",
            ),
        ]


class FlagKind(models.TextChoices):
    VARIANCE = "variance", _("Amount differs beyond the tolerance")
    QUANTITY = "quantity", _("Quantity differs")
    CUSTOMER = "customer", _("Customer id differs")
    INVOICE_ONLY = "invoice_only", _("On the invoice only")
    USAGE_ONLY = "usage_only", _("In the daily usage only")
    EXPECTED_INVOICE_ONLY = "expected_invoice_only", _("On the invoice only, as expected (fixed-fee license)")
    EXPECTED_ZERO_CHARGE = (
        "expected_zero_charge",
        _("Zero-charge days, as expected (reservation or savings plan)"),
    )


class ReconciliationRun(TenantModel):
    """One comparison of a period's invoice lines with its daily-rated usage."""

    period = models.DateField(_("billing period"))
    tolerance_percent = models.DecimalField(_("tolerance (%)"), max_digits=5, decimal_places=2)
    invoice_total = models.DecimalField(max_digits=38, decimal_places=10, default=0)
    usage_total = models.DecimalField(max_digits=38, decimal_places=10, default=0)
    flag_count = models.PositiveIntegerField(default=0)
    # Each customer's two sides over the whole period, kept with the run so the results page
    # does not sum a month of rows again: [{"customer_id", "customer_name", "invoice", "usage"}]
    # with amounts as decimal strings.
    customer_totals = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-created_at", "-pk"]


class ReconciliationFlag(TenantModel):
    """A line of the results: one customer, product, SKU and subscription whose two sides do
    not agree (or agree only in an expected way), with its likely causes ranked."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="flags")
    period = models.DateField()
    kind = models.CharField(max_length=24, choices=FlagKind.choices)
    customer_id = models.TextField()
    customer_name = models.TextField(blank=True)
    product_id = models.TextField()
    sku_id = models.TextField()
    entitlement_id = models.TextField(blank=True)
    reseller_mpn_id = models.TextField(blank=True)
    invoice_subtotal = models.DecimalField(max_digits=38, decimal_places=10, null=True)
    usage_total = models.DecimalField(max_digits=38, decimal_places=10, null=True)
    difference = models.DecimalField(max_digits=38, decimal_places=10, null=True)
    variance_percent = models.DecimalField(max_digits=38, decimal_places=4, null=True)
    invoice_quantity = models.DecimalField(max_digits=38, decimal_places=10, null=True)
    usage_quantity = models.DecimalField(max_digits=38, decimal_places=10, null=True)
    # [{"cause": "decimal_rounding", "score": "0.95", "evidence": "…"}, …], most likely first.
    causes = models.JSONField(default=list)
    recurring = models.BooleanField(default=False)

    class Meta:
        ordering = ["customer_id", "product_id", "sku_id", "entitlement_id", "kind"]
        indexes = [models.Index(fields=["organisation", "period", "kind"], name="billing_flag_period_kind")]


class ReconciliationSettings(TenantModel):
    """An MSP's reconciliation settings; without a row, the defaults apply."""

    DEFAULT_TOLERANCE = 5

    tolerance_percent = models.DecimalField(
        _("variance tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_TOLERANCE,
        help_text=_("A difference above this share of the daily-rated total is flagged."),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation"], name="billing_settings_one_per_org")]


class UsageEvent(TenantModel):
    """A quantity of a usage-based (or metered) product used at one moment, sent by the MSP's
    own systems through the API; summed per product and month into the usage reports' used
    units (docs/licensing.md, "Usage"). Written once: the same event_id again is a duplicate."""

    event_id = models.CharField(_("event id"), max_length=100)
    product = models.ForeignKey(
        "licensing.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    # Never negative: the check constraint below holds it (the API refuses it first).
    quantity = models.DecimalField(_("quantity"), max_digits=38, decimal_places=10)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            # Idempotency: a client may resend a batch; each event counts once per MSP.
            models.UniqueConstraint(
                fields=["organisation", "event_id"],
                name="%(app_label)s_%(class)s_unique_event_per_org",
                violation_error_message=_("This event id was already sent."),
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="%(app_label)s_%(class)s_quantity_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "occurred_at"], name="billing_usage_event_moment")]

    def __str__(self):
        return self.event_id
