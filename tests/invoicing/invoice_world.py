"""Helpers of the invoice tests: reports taken through the real services to their approval."""

import datetime as dt
from decimal import Decimal

from invoicing.models import Invoice, InvoiceLine
from msp_portal.tenancy.resolve import TenantContext, resolve_tenant
from reports import services
from reports.models import UsageReport, UsageReportLine
from reports.rules import LineSpec

OCTOBER = dt.date(2026, 10, 1)

# product, name, unit type, price, provided, used: 36 × 22.00 + 1200 × 0.0500 + 55 × 3.50
LINES = [
    ("MS-365-BP", "Microsoft 365 Business Premium", "seat", "22.00", 40, 36),
    ("AZ-BACKUP", "Azure Backup storage", "GB", "0.0500", 1200, None),
    ("EDR-1", "Endpoint protection", "device", "3.50", 55, 55),
]
LINES_TOTAL = Decimal("1044.50")


def line_specs(rows=LINES, currency="USD") -> list[LineSpec]:
    return [
        LineSpec(
            product_code=code,
            product_name=name,
            unit_type=unit,
            unit_price=Decimal(price),
            currency=currency,
            provided_units=provided,
            used_units=used,
        )
        for code, name, unit, price, provided, used in rows
    ]


def tenant_of(side, role: str) -> TenantContext:
    return resolve_tenant(user=side.users[role], org_slug=side.org_of(role).slug)


def opened_report(side, *, cycle=OCTOBER, rows=LINES, msp=None) -> UsageReport:
    report, _ = services.usage_report_open(msp=msp or side.msp, cycle=cycle, lines=line_specs(rows))
    return report


def explain_all(side, report: UsageReport) -> None:
    """The MSP admin comments every discrepant line (so a person may submit)."""
    for line in UsageReportLine.objects.for_tenant(report.organisation).filter(report=report):
        if line.is_discrepant:
            services.line_comment_add(
                tenant=tenant_of(side, "msp_admin"),
                acting_user=side.users["msp_admin"],
                report_id=report.pk,
                line_id=line.pk,
                body="Seats on a trial, not billable.",
            )


def submitted_report(side, *, cycle=OCTOBER, rows=LINES) -> UsageReport:
    report = opened_report(side, cycle=cycle, rows=rows)
    explain_all(side, report)
    return services.usage_report_submit(
        tenant=tenant_of(side, "msp_admin"), acting_user=side.users["msp_admin"], report_id=report.pk
    )


def approve(side, report: UsageReport) -> UsageReport:
    return services.usage_report_approve(
        tenant=tenant_of(side, "dist_reviewer"), acting_user=side.users["dist_reviewer"], report_id=report.pk
    )


def approved_invoice(side, *, cycle=OCTOBER, rows=LINES) -> Invoice:
    report = approve(side, submitted_report(side, cycle=cycle, rows=rows))
    return Invoice.objects.for_tenant(side.msp).get(report=report)


def lines_of(invoice: Invoice) -> list[InvoiceLine]:
    return list(
        InvoiceLine.objects.for_tenant(invoice.organisation).filter(invoice=invoice).order_by("position")
    )
