"""Reconciliation on hand-built pairs of files whose every expected flag is known
(docs/billing.md, "Reconciliation")."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.columns import FileKind
from billing.models import FlagKind, ReconciliationFlag, ReconciliationSettings
from billing.reconciliation import reconciliation_run
from licensing.choices import BillingType, Program
from licensing.models import Product

from .files import INVOICE_HEADER, csv_bytes, daily_usage_row, invoice_row
from .test_import import run_import

JULY = dt.date(2025, 7, 1)


def usage(product="P1", sku="0001", total="10.00", quantity="10", customer="cust-1", **changes):
    return daily_usage_row(
        ProductId=product,
        SkuId=sku,
        CustomerId=customer,
        Quantity=quantity,
        EffectiveUnitPrice="1",
        BillingPreTaxTotal=total,
        **changes,
    )


def invoice(product="P1", sku="0001", subtotal="10.00", quantity="10", customer="cust-1", **changes):
    values = {
        "ProductId": product,
        "SkuId": sku,
        "CustomerId": customer,
        "Subtotal": subtotal,
        "Quantity": quantity,
    }
    return invoice_row(**{**values, "TaxTotal": "0", **changes})


def reconcile(msp, usage_rows, invoice_rows, header=None):
    if usage_rows:
        assert run_import(msp, csv_bytes(usage_rows)).state == "done"
    if invoice_rows:
        imported = run_import(msp, csv_bytes(invoice_rows, header or INVOICE_HEADER), kind=FileKind.INVOICE)
        assert imported.state == "done", imported.refusal
    run = reconciliation_run(msp=msp, period=JULY)
    return run, list(ReconciliationFlag.objects.for_tenant(msp).filter(run=run))


def kinds(flags):
    return sorted((f.product_id, f.kind) for f in flags)


def top_cause(flag):
    return flag.causes[0]["cause"]


def test_two_sides_that_agree_within_the_tolerance_raise_no_flag(world):
    run, flags = reconcile(
        world.a.msp,
        [usage(total="5.00", quantity="5"), usage(total="5.20", quantity="5", UsageDate="7/4/2025")],
        [invoice(subtotal="10.00")],  # 0.20 under 10.20: 1.96 %
    )
    assert flags == []
    assert (run.invoice_total, run.usage_total, run.flag_count) == (Decimal("10"), Decimal("10.20"), 0)


def test_a_lower_invoice_beyond_the_tolerance_points_first_at_a_discount_or_credit(world):
    run, flags = reconcile(world.a.msp, [usage(total="100.00", quantity="10")], [invoice(subtotal="85.00")])

    (flag,) = flags
    assert flag.kind == FlagKind.VARIANCE
    assert (flag.difference, flag.variance_percent) == (Decimal("-15"), Decimal("15"))
    assert top_cause(flag) == "discount_or_credit"
    assert "15 % partner earned credit" in flag.causes[0]["evidence"]


def test_a_small_gap_within_what_cutting_each_row_to_the_cent_can_lose_is_rounding(world):
    rows = [usage(total="0.10", quantity="1", UsageDate=f"7/{day}/2025") for day in (1, 2, 3)]
    run, flags = reconcile(world.a.msp, rows, [invoice(subtotal="0.32", quantity="3")])

    (flag,) = flags  # 0.02 on 0.30 is 6.67 %
    assert flag.kind == FlagKind.VARIANCE and top_cause(flag) == "decimal_rounding"
    assert flag.causes[0]["score"] == "1"


def test_latent_usage_from_the_previous_cycle_is_the_likeliest_cause_when_it_covers_the_gap(world):
    rows = [usage(total="50.00", quantity="5"), usage(total="10.00", quantity="1", UsageDate="6/28/2025")]
    run, flags = reconcile(world.a.msp, rows, [invoice(subtotal="50.00", quantity="6")])

    (flag,) = flags
    assert top_cause(flag) == "date_range"
    assert "1 rows of usage dated before this period" in flag.causes[0]["evidence"]


def test_a_higher_invoice_matching_its_tax_points_at_tax_or_fee(world):
    run, flags = reconcile(
        world.a.msp, [usage(total="100.00", quantity="10")], [invoice(subtotal="120.00", TaxTotal="20.00")]
    )
    (flag,) = flags
    assert (flag.kind, top_cause(flag), flag.causes[0]["score"]) == (FlagKind.VARIANCE, "tax_or_fee", "1.00")


def test_one_sided_keys_expected_or_flagged(world):
    Product.objects.create(
        organisation=world.a.distributor,
        product_code="LIC",
        sku_code="0001",
        name="Business Premium",
        publisher="Microsoft",
        unit_type="seat",
        unit_price=Decimal("20"),
        currency=world.a.msp.currency,
        billing_type=BillingType.LICENSE,
        program=Program.TRUE_UP,
    )
    run, flags = reconcile(
        world.a.msp,
        [
            usage(product="P1"),
            usage(product="RES", total="0", quantity="24", MeterCategory="Reservation"),
            usage(product="LATE", total="3.00", quantity="3"),
        ],
        [
            invoice(product="P1"),
            invoice(product="LIC", subtotal="200.00"),
            invoice(product="ODD", subtotal="5.00"),
        ],
    )
    assert kinds(flags) == [
        ("LATE", FlagKind.USAGE_ONLY),
        ("LIC", FlagKind.EXPECTED_INVOICE_ONLY),
        ("ODD", FlagKind.INVOICE_ONLY),
        ("RES", FlagKind.EXPECTED_ZERO_CHARGE),
    ]
    assert run.flag_count == 2  # the expected ones are shown, not counted as discrepancies


def test_the_same_subscription_under_two_customer_ids_is_one_customer_mismatch(world):
    header = [*INVOICE_HEADER, "EntitlementId"]
    run, flags = reconcile(
        world.a.msp,
        [usage(customer="cust-usage", EntitlementId="sub-9")],
        [invoice(customer="cust-invoice", EntitlementId="sub-9")],
        header,
    )
    (flag,) = flags
    assert (flag.kind, flag.customer_id, flag.entitlement_id) == (FlagKind.CUSTOMER, "cust-invoice", "sub-9")
    assert "cust-usage" in flag.causes[0]["evidence"]


def test_quantities_that_differ_are_flagged_even_when_the_amounts_agree(world):
    run, flags = reconcile(
        world.a.msp, [usage(total="10.00", quantity="10")], [invoice(subtotal="10.00", quantity="12")]
    )
    assert kinds(flags) == [("P1", FlagKind.QUANTITY)]


@pytest.mark.parametrize(("tolerance", "flagged"), [(Decimal("10"), False), (Decimal("5"), True)])
def test_the_tolerance_is_the_msps_own(world, tolerance, flagged):
    ReconciliationSettings.objects.create(organisation=world.a.msp, tolerance_percent=tolerance)
    run, flags = reconcile(world.a.msp, [usage(total="100.00")], [invoice(subtotal="93.00")])
    assert bool(flags) is flagged and run.tolerance_percent == tolerance


def test_a_flag_seen_in_an_earlier_period_is_recurring(world):
    june = [
        usage(total="100.00", ChargeStartDate="6/1/2025", ChargeEndDate="6/30/2025", UsageDate="6/3/2025")
    ]
    june_invoice = [
        invoice(
            subtotal="80.00", ChargeStartDate="2025-06-01", ChargeEndDate="2025-06-30", InvoiceNumber="G1"
        )
    ]
    run_import(world.a.msp, csv_bytes(june))
    run_import(world.a.msp, csv_bytes(june_invoice, INVOICE_HEADER), kind=FileKind.INVOICE)
    june_run = reconciliation_run(msp=world.a.msp, period=dt.date(2025, 6, 1))
    (june_flag,) = ReconciliationFlag.objects.for_tenant(world.a.msp).filter(run=june_run)

    run, flags = reconcile(world.a.msp, [usage(total="100.00")], [invoice(subtotal="80.00")])

    assert june_flag.recurring is False
    assert [(f.kind, f.recurring) for f in flags] == [(FlagKind.VARIANCE, True)]
    # The other organisation's period is its own.
    assert reconciliation_run(msp=world.b.msp, period=JULY).flag_count == 0
