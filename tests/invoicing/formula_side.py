"""Invoicing's part of tests/test_csv_exports.py's formula world: a September report of the typed
product is approved (its invoice copies the product's typed code and name and the MSP's), a
credit note gives a typed reason, and a true-up charge names the typed product. Returns the
typed values and the invoice's id."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from invoicing.models import Invoice
from invoicing.services import credit_note_issue
from licensing.models import Subscription, TrueUpCharge
from msp_portal.tenancy.resolve import resolve_tenant
from reports import services as report_services
from reports.rules import LineSpec

SEPTEMBER = dt.date(2026, 9, 1)


def invoicing_side(side, label: str, buyer, formula) -> dict:
    typed = {"credit_reason": formula("=", f"credit-{label}")}
    subscription = Subscription.objects.for_tenant(side.msp).select_related("product").first()
    product = subscription.product
    spec = LineSpec(
        product_code=product.product_code,
        product_name=product.name,
        unit_type=product.unit_type,
        unit_price=product.unit_price,
        currency=product.currency,
        provided_units=2,
        used_units=2,
    )
    # September's report, so that October's stays under review for the review queue's export.
    report, _ = report_services.usage_report_open(msp=side.msp, cycle=SEPTEMBER, lines=[spec])
    msp = resolve_tenant(user=buyer, org_slug=side.msp.slug)
    report_services.usage_report_submit(tenant=msp, acting_user=buyer, report_id=report.pk)
    reviewer = side.users["dist_reviewer"]
    dist = resolve_tenant(user=reviewer, org_slug=side.distributor.slug)
    report_services.usage_report_approve(tenant=dist, acting_user=reviewer, report_id=report.pk)
    invoice = Invoice.objects.for_tenant(side.msp).get(report=report)
    admin = side.users["dist_admin"]
    credit_note_issue(
        tenant=resolve_tenant(user=admin, org_slug=side.distributor.slug),
        acting_user=admin,
        invoice_id=invoice.pk,
        reason=typed["credit_reason"],
    )
    now = timezone.now()
    TrueUpCharge.objects.create(
        organisation=side.msp,
        subscription=subscription,
        true_up_date=now.date(),
        period_start=now - dt.timedelta(days=365),
        period_end=now,
        peak_units=4,
        owned_units=3,
        units=1,
        unit_price=subscription.product.unit_price,
        amount=Decimal("12.50"),
        currency=subscription.product.currency,
    )
    return {**typed, "invoice_id": invoice.pk}
