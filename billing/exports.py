"""The reconciliation data an MSP downloads, built by a worker as export requests (docs/billing.md,
"Exports"). Each kind streams its rows from PostgreSQL in chunks, so a month of daily rows never
sits in memory; registered from billing/apps.py.

- billed: a closed period (its invoice is imported): every daily-rated row of the period;
- unbilled, usage-based: an open period (no invoice yet): the daily rows so far, summed per
  customer, product and SKU: the estimate of what the next invoice will ask;
- unbilled, non-usage-based: the license-based subscriptions, licenses owned × unit price;
- reconciliation results: the flags of a period's latest run;
- support case: one flag with the daily rows and invoice lines behind it.
"""

from django.db.models import Count, Max, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from licensing.choices import BillingType
from licensing.selectors import subscription_statuses
from msp_portal.exports.registry import ExportContent, register_export_kind
from msp_portal.money import round_money
from msp_portal.tenancy.choices import Perm

from .columns import DAILY_USAGE
from .models import DailyUsageRow, InvoiceLine, ReconciliationFlag, ReconciliationRun

CHUNK = 5_000

BILLED = "billing.billed"
UNBILLED_USAGE = "billing.unbilled-usage"
UNBILLED_LICENSES = "billing.unbilled-licenses"
RESULTS = "billing.reconciliation-results"
SUPPORT_CASE = "billing.support-case"


def _period_rows(export):
    return DailyUsageRow.objects.for_tenant(export.organisation).filter(period=export.params["period"])


def billed(export) -> ExportContent:
    rows = _period_rows(export).order_by("reconciliation_import_id", "line")
    names = [c.name for c in DAILY_USAGE]
    header = [
        *(c.header for c in DAILY_USAGE),
        _("Expected pre-tax total"),
        _("Pre-tax total differs"),
        _("Reseller"),
    ]
    values = rows.values_list(*names, "expected_pre_tax_total", "pre_tax_total_mismatch", "reseller_kind")
    return ExportContent(
        file_name=f"billed-{export.params['period'][:7]}.csv",
        header=header,
        rows=values.iterator(chunk_size=CHUNK),
        total=rows.count(),
    )


def unbilled_usage(export) -> ExportContent:
    sums = (
        _period_rows(export)
        .values("customer_id", "product_id", "sku_id", "billing_currency")
        .annotate(
            customer_name=Max("customer_name"),
            quantity=Sum("quantity"),
            amount=Sum("billing_pre_tax_total"),
            rows=Count("id"),
        )
        .order_by("customer_id", "product_id", "sku_id")
    )
    header = [
        _("Customer id"), _("Customer"), _("Product id"), _("SKU id"), _("Currency"),
        _("Quantity"), _("Pre-tax amount so far"), _("Daily rows"),
    ]  # fmt: skip
    return ExportContent(
        file_name=f"unbilled-usage-{export.params['period'][:7]}.csv",
        header=header,
        rows=(
            (
                s["customer_id"],
                s["customer_name"],
                s["product_id"],
                s["sku_id"],
                s["billing_currency"],
                s["quantity"],
                s["amount"],
                s["rows"],
            )
            for s in sums.iterator(chunk_size=CHUNK)
        ),  # fmt: skip
    )


def unbilled_licenses(export) -> ExportContent:
    statuses = [
        s for s in subscription_statuses(organisation=export.organisation)
        if s.product.billing_type == BillingType.LICENSE
    ]  # fmt: skip
    header = [
        _("Product id"),
        _("SKU id"),
        _("Product"),
        _("Licenses owned"),
        _("Unit price"),
        _("Currency"),
        _("Monthly amount"),
    ]
    return ExportContent(
        file_name=f"unbilled-licenses-{export.params['period'][:7]}.csv",
        header=header,
        rows=[
            (
                s.product.product_code,
                s.product.sku_code,
                s.product.name,
                s.owned,
                s.product.unit_price,
                s.product.currency,
                round_money(s.product.unit_price * s.owned),
            )
            for s in statuses
        ],  # fmt: skip
        total=len(statuses),
    )


FLAG_HEADER_FIELDS = (
    ("customer_id", gettext_lazy("Customer id")),
    ("customer_name", gettext_lazy("Customer")),
    ("reseller_mpn_id", gettext_lazy("Reseller")),
    ("product_id", gettext_lazy("Product id")),
    ("sku_id", gettext_lazy("SKU id")),
    ("entitlement_id", gettext_lazy("Subscription")),
    ("kind", gettext_lazy("Flag")),
    ("invoice_subtotal", gettext_lazy("Invoice subtotal")),
    ("usage_total", gettext_lazy("Daily-rated total")),
    ("difference", gettext_lazy("Difference")),
    ("variance_percent", gettext_lazy("Variance (%)")),
    ("invoice_quantity", gettext_lazy("Invoice quantity")),
    ("usage_quantity", gettext_lazy("Daily quantity")),
    ("recurring", gettext_lazy("Recurring")),
)


def _flag_header() -> list[str]:
    return [str(label) for _field, label in FLAG_HEADER_FIELDS] + [_("Likeliest cause"), _("Evidence")]


def _flag_row(flag: ReconciliationFlag) -> list:
    first = flag.causes[0] if flag.causes else {}
    values = [getattr(flag, field) for field, _label in FLAG_HEADER_FIELDS]
    values[6] = flag.get_kind_display()
    values[13] = _("yes") if flag.recurring else ""
    return [*values, first.get("cause", ""), first.get("evidence", "")]


def results(export) -> ExportContent:
    run = (
        ReconciliationRun.objects.for_tenant(export.organisation)
        .filter(period=export.params["period"])
        .first()
    )
    flags = ReconciliationFlag.objects.for_tenant(export.organisation).filter(run=run)
    return ExportContent(
        file_name=f"reconciliation-{export.params['period'][:7]}.csv",
        header=_flag_header(),
        rows=(_flag_row(flag) for flag in flags.iterator(chunk_size=CHUNK)),
        total=flags.count(),
    )


def support_case(export) -> ExportContent:
    """The flag, then every daily row and invoice line of its key: what a vendor's support
    engineer asks for."""
    flag = ReconciliationFlag.objects.for_tenant(export.organisation).get(pk=export.params["flag_id"])
    key = {
        "period": flag.period,
        "customer_id": flag.customer_id,
        "product_id": flag.product_id,
        "sku_id": flag.sku_id,
    }
    daily = DailyUsageRow.objects.for_tenant(export.organisation).filter(**key).order_by("usage_date", "line")
    if flag.entitlement_id:
        daily = daily.filter(entitlement_id=flag.entitlement_id)
    invoice = InvoiceLine.objects.for_tenant(export.organisation).filter(**key).order_by("line")
    header = [_("Source"), _("Line"), _("Date"), _("Quantity"), _("Amount"), _("Detail")]

    def rows():
        yield [
            _("Flag"),
            "",
            flag.period,
            flag.usage_quantity,
            flag.difference,
            " | ".join(str(value) for value in _flag_row(flag)[6:] if value not in (None, "")),
        ]
        for row in daily.iterator(chunk_size=CHUNK):
            yield [
                _("Daily usage"),
                row.line,
                row.usage_date,
                row.quantity,
                row.billing_pre_tax_total,
                row.meter_name,
            ]
        for line in invoice.iterator(chunk_size=CHUNK):
            yield [
                _("Invoice"),
                line.line,
                line.charge_start_date,
                line.quantity,
                line.subtotal,
                line.invoice_number,
            ]

    return ExportContent(file_name=f"support-case-{flag.pk}.csv", header=header, rows=rows())


def register() -> None:
    for kind, build in (
        (BILLED, billed),
        (UNBILLED_USAGE, unbilled_usage),
        (UNBILLED_LICENSES, unbilled_licenses),
        (RESULTS, results),
        (SUPPORT_CASE, support_case),
    ):
        register_export_kind(kind, perm=Perm.VIEW_BILLING, build=build)
