"""Invoices built on approval (docs/invoicing.md, "Invoices"): by a person, at submit, by the
deadline sweep; usage, penalty surcharge, true-up and proration lines; tax; currency; notices."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from invoicing.choices import LineKind
from invoicing.models import Invoice, InvoiceLine, TaxSetting
from invoicing.proration import proration_items
from invoicing.rules import TaxMethod
from invoicing.services import invoices_build_for_reports
from licensing.choices import HistoryKind
from licensing.models import AssignmentEvent, Subscription, TrueUpCharge
from msp_portal.jobs.services import JobRunLog
from msp_portal.money import CurrencyMismatch
from msp_portal.notifications.models import Notification
from reports import services
from reports.auto_submit import auto_submit_due
from reports.choices import PenaltyKind, ReportState
from reports.models import MspAccountSettings, ReportPenalty, UsageReport

from ..factories import ProductFactory
from .invoice_world import (
    LINES,
    LINES_TOTAL,
    OCTOBER,
    approve,
    approved_invoice,
    lines_of,
    opened_report,
    submitted_report,
    tenant_of,
)

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")
CLEAN = [(code, name, unit, price, provided, provided) for code, name, unit, price, provided, _ in LINES]


def invoices_of(side):
    return Invoice.objects.for_tenant(side.msp)


def test_an_approved_report_makes_the_msps_invoice_with_a_line_per_billable_line(world):
    invoice = approved_invoice(world.a)
    lines = lines_of(invoice)
    assert [
        (line.kind, line.product_code, line.quantity, line.unit_price, line.amount) for line in lines
    ] == [
        (LineKind.USAGE, "MS-365-BP", 36, Decimal("22.00"), Decimal("792.00")),
        (LineKind.USAGE, "AZ-BACKUP", 1200, Decimal("0.05"), Decimal("60.00")),
        (LineKind.USAGE, "EDR-1", 55, Decimal("3.50"), Decimal("192.50")),
    ]
    assert (invoice.number, invoice.sequence) == ("INV-000001", 1)
    assert (invoice.cycle, invoice.currency, invoice.distributor) == (OCTOBER, "USD", world.a.distributor)
    assert invoice.issued_at == invoice.report.reviewed_at
    # No tax setting for the MSP's country: 0 % on the total, and the invoice says so.
    assert (invoice.subtotal, invoice.tax, invoice.total) == (LINES_TOTAL, 0, LINES_TOTAL)
    assert invoice.tax_rate_missing and invoice.tax_method == TaxMethod.ON_TOTAL


def test_a_line_with_no_billable_units_is_not_invoiced(world):
    rows = [*LINES, ("IDLE", "Idle product", "seat", "9.00", 0, 0)]
    invoice = approved_invoice(world.a, rows=rows)
    assert "IDLE" not in [line.product_code for line in lines_of(invoice)]


def test_the_msps_admins_and_billing_admins_are_told_and_nobody_else(world):
    invoice = approved_invoice(world.a)
    told = Notification.objects.for_tenant(world.a.msp).filter(kind="invoice_issued")
    assert {n.recipient for n in told} == {world.a.users["msp_admin"], world.a.users["msp_billing"]}
    assert invoice.number in told.first().title


def test_no_invoice_on_submit_nor_on_reject(world):
    report = submitted_report(world.a)
    assert report.state == ReportState.UNDER_REVIEW
    assert not invoices_of(world.a).exists()
    services.usage_report_reject(
        tenant=tenant_of(world.a, "dist_reviewer"),
        acting_user=world.a.users["dist_reviewer"],
        report_id=report.pk,
        reason="Check the seats.",
    )
    assert not invoices_of(world.a).exists()


def test_a_penalised_line_is_invoiced_with_its_reset_units_once_and_its_surcharge_once(world):
    MspAccountSettings.objects.for_tenant(world.a.msp).update_or_create(
        organisation=world.a.msp,
        defaults={"penalty_kind": PenaltyKind.PERCENT, "penalty_percent": Decimal("10")},
    )
    report = opened_report(world.a)  # MS-365-BP declares 36 of 40 and is never explained
    auto_submit_due(log=JobRunLog(), now=report.deadline)
    (penalty,) = ReportPenalty.objects.for_tenant(world.a.msp)
    assert (penalty.reset_amount, penalty.surcharge, penalty.total) == (
        Decimal("88.00"),
        Decimal("8.80"),
        Decimal("96.80"),
    )
    assert not invoices_of(world.a).exists()  # submitted, not approved
    approve(world.a, report)
    invoice = invoices_of(world.a).get()
    lines = lines_of(invoice)
    usage = next(line for line in lines if line.product_code == "MS-365-BP" and line.kind == LineKind.USAGE)
    assert (usage.quantity, usage.amount) == (40, Decimal("880.00"))  # the reset, in the units
    (surcharge,) = [line for line in lines if line.kind == LineKind.PENALTY]
    assert (surcharge.penalty, surcharge.amount, surcharge.product_code) == (
        penalty,
        Decimal("8.80"),
        "MS-365-BP",
    )
    assert invoice.total == LINES_TOTAL + 4 * Decimal("22.00") + Decimal("8.80")


def test_approval_at_submit_invoices_too(world):
    MspAccountSettings.objects.for_tenant(world.a.msp).update_or_create(
        organisation=world.a.msp, defaults={"auto_approve_clean": True}
    )
    report = submitted_report(world.a, rows=CLEAN)
    assert report.state == ReportState.APPROVED
    assert invoices_of(world.a).get().report == report


def test_approval_by_the_deadline_sweep_invoices_each_report_of_the_batch(world):
    for side in (world.a, world.b):
        MspAccountSettings.objects.for_tenant(side.msp).update_or_create(
            organisation=side.msp, defaults={"auto_approve_clean": True}
        )
    reports = [opened_report(side, rows=CLEAN) for side in (world.a, world.b)]
    auto_submit_due(log=JobRunLog(), now=max(report.deadline for report in reports))
    for side, report in zip((world.a, world.b), reports, strict=True):
        assert UsageReport.objects.for_tenant(side.msp).get(pk=report.pk).state == ReportState.APPROVED
        invoice = invoices_of(side).get()
        assert (invoice.report_id, invoice.number, invoice.issued_at) == (
            report.pk,
            "INV-000001",
            report.deadline,
        )


def test_running_the_builder_again_issues_nothing(world):
    invoice = approved_invoice(world.a)
    assert invoices_build_for_reports([invoice.report]) == []
    assert invoices_of(world.a).count() == 1


# --- tax ------------------------------------------------------------------------------------------

TAX_ROWS = [("A", "Product A", "seat", "9.75", 1, 1), ("B", "Product B", "seat", "10.25", 1, 1)]


@pytest.mark.parametrize(
    ("method", "tax", "line_taxes"),
    [
        (TaxMethod.ON_TOTAL, Decimal("2.00"), [Decimal("0.00"), Decimal("0.00")]),
        (TaxMethod.PER_LINE, Decimal("2.01"), [Decimal("0.98"), Decimal("1.03")]),
    ],
)
def test_tax_follows_the_distributors_setting_for_the_msps_country(world, method, tax, line_taxes):
    TaxSetting.objects.create(organisation=world.a.distributor, country="US", rate_percent=10, method=method)
    TaxSetting.objects.create(organisation=world.b.distributor, country="US", rate_percent=50, method=method)
    invoice = approved_invoice(world.a, rows=TAX_ROWS)
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("20.00"), tax, Decimal("20.00") + tax)
    assert (invoice.tax_rate_percent, invoice.tax_method, invoice.tax_rate_missing) == (10, method, False)
    assert [line.tax for line in lines_of(invoice)] == line_taxes


# --- true-ups and proration ---------------------------------------------------------------------


def true_up(side, subscription, day: dt.date, units: int, *, currency="USD") -> TrueUpCharge:
    price = subscription.product.unit_price
    return TrueUpCharge.objects.create(
        organisation=side.msp,
        subscription=subscription,
        true_up_date=day,
        period_start=dt.datetime(day.year - 1, day.month, day.day, tzinfo=dt.UTC),
        period_end=dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC),
        peak_units=10 + units,
        owned_units=10,
        units=units,
        unit_price=price,
        amount=units * price,
        currency=currency,
    )


@pytest.fixture
def subscription(world):
    product = ProductFactory(organisation=world.a.distributor, currency="USD", unit_price=Decimal("12.5000"))
    return Subscription.objects.create(
        organisation=world.a.msp, product=product, term_start=dt.date(2025, 10, 15)
    )


def test_the_true_ups_dated_in_the_cycle_are_invoiced_once(world, subscription):
    billed = true_up(world.a, subscription, dt.date(2026, 10, 15), 3)
    true_up(world.a, subscription, dt.date(2025, 9, 15), 2)  # another month
    invoice = approved_invoice(world.a)
    (line,) = [line for line in lines_of(invoice) if line.kind == LineKind.TRUE_UP]
    assert (line.true_up, line.quantity, line.unit_price, line.amount) == (
        billed,
        3,
        Decimal("12.5"),
        Decimal("37.50"),
    )
    assert invoice.subtotal == LINES_TOTAL + Decimal("37.50")
    november = approved_invoice(world.a, cycle=dt.date(2026, 11, 1))
    assert not [line for line in lines_of(november) if line.kind == LineKind.TRUE_UP]


def test_a_source_in_another_currency_refuses_the_approval_and_nothing_is_invoiced(world, subscription):
    true_up(world.a, subscription, dt.date(2026, 10, 15), 3, currency="EUR")
    report = submitted_report(world.a)
    with pytest.raises(CurrencyMismatch, match="billed in USD"):
        approve(world.a, report)
    assert UsageReport.objects.for_tenant(world.a.msp).get(pk=report.pk).state == ReportState.UNDER_REVIEW
    assert not invoices_of(world.a).exists()


def test_the_proration_items_of_the_cycle_are_invoiced(world, subscription):
    def event(day, owned):
        return AssignmentEvent(
            organisation=world.a.msp,
            subscription=subscription,
            kind=HistoryKind.PURCHASED,
            assigned_delta=0,
            owned_after=owned,
            at=dt.datetime(2026, day.month, day.day, 12, tzinfo=dt.UTC),
        )

    AssignmentEvent.objects.bulk_create([event(dt.date(2026, 9, 20), 10), event(dt.date(2026, 10, 20), 15)])
    (item,) = proration_items(msp=world.a.msp, month=OCTOBER)
    invoice = approved_invoice(world.a)
    (line,) = [line for line in lines_of(invoice) if line.kind == LineKind.PRORATION]
    assert (line.proration_subscription, line.proration_change_date, line.quantity) == (
        subscription,
        dt.date(2026, 10, 20),
        5,
    )
    assert (line.proration_old_quantity, line.proration_new_quantity) == (10, 15)
    assert line.amount == item.proration.charge - item.proration.refund > 0
    assert invoice.subtotal == LINES_TOTAL + line.amount


def test_every_line_names_a_source_that_no_other_line_bills(world, subscription):
    true_up(world.a, subscription, dt.date(2026, 10, 15), 1)
    invoice = approved_invoice(world.a)
    for line in lines_of(invoice):
        clone = InvoiceLine(
            **{
                f.attname: getattr(line, f.attname)
                for f in InvoiceLine._meta.concrete_fields
                if f.attname != "id"
            }
        )
        clone.position += 100
        with pytest.raises(IntegrityError, match="_once"), transaction.atomic():
            clone.save()


def test_a_report_the_sweep_cannot_invoice_stays_behind_and_the_others_go_through(world, subscription):
    for side in (world.a, world.b):
        MspAccountSettings.objects.for_tenant(side.msp).update_or_create(
            organisation=side.msp, defaults={"auto_approve_clean": True}
        )
    true_up(world.a, subscription, dt.date(2026, 10, 15), 3, currency="EUR")
    stuck, fine = (opened_report(side, rows=CLEAN) for side in (world.a, world.b))
    log = JobRunLog()
    auto_submit_due(log=log, now=max(stuck.deadline, fine.deadline))
    assert UsageReport.objects.for_tenant(world.a.msp).get(pk=stuck.pk).state == ReportState.MSP_PREPARATION
    assert not invoices_of(world.a).exists()
    assert invoices_of(world.b).get().report_id == fine.pk
    assert any(f"report {stuck.pk}: CurrencyMismatch" in error for error in log.errors)
