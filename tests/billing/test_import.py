"""Importing reconciliation files: whole or not at all, every defect named by line and column,
the same file never twice, a corrected file replacing the earlier one (docs/billing.md)."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from billing.columns import FileKind
from billing.models import DailyUsageRow, ImportState, InvoiceLine, ReconciliationImport
from billing.selectors import import_problems
from billing.services import reconciliation_import_create_by_operator, reconciliation_import_run

from .files import INVOICE_HEADER, csv_bytes, daily_usage_row, invoice_row


def run_import(msp, data: bytes, kind=FileKind.DAILY_USAGE, name="usage.csv") -> ReconciliationImport:
    record = reconciliation_import_create_by_operator(
        organisation=msp, kind=kind, file_name=name, size_bytes=len(data)
    )
    return reconciliation_import_run(import_id=record.pk, organisation=msp, raw=io.BytesIO(data))


def problems(record) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.message) for p in import_problems(reconciliation_import=record)]


def usage_rows(msp):
    return DailyUsageRow.objects.for_tenant(msp).order_by("line")


def test_a_good_file_is_imported_with_every_value_typed_and_the_rules_applied(world):
    rows = [
        daily_usage_row(),
        # 0.0960000001 × 24 × 1 = 2.3040000024 → 2.30; stated 2.31: flagged, not refused.
        daily_usage_row(EffectiveUnitPrice="0.0960000001", BillingPreTaxTotal="2.31", Tier2MpnId="-1"),
        # A credit mirrors its charge: −2.304 cuts to −2.30.
        daily_usage_row(
            Quantity="-24", BillingPreTaxTotal="-2.30", Tier2MpnId="7654321", UsageDate="2025-07-04"
        ),
    ]
    record = run_import(world.a.msp, csv_bytes(rows, bom=True))

    assert record.state == ImportState.DONE, (record.refusal, problems(record))
    assert (record.row_count, record.flagged_count) == (3, 1)
    assert record.period.isoformat() == "2025-07-01" and record.invoice_number == "G000123456"
    first, second, third = usage_rows(world.a.msp)
    assert first.line == 2 and first.usage_date.isoformat() == "2025-07-03"
    assert first.tags == '{"env": "prod", "team": "a,b"}'
    assert second.effective_unit_price == Decimal("0.0960000001")
    assert (second.expected_pre_tax_total, second.pre_tax_total_mismatch) == (Decimal("2.30"), True)
    assert (second.reseller_kind, second.tier2_mpn_id) == ("removed", "-1")
    assert (third.expected_pre_tax_total, third.pre_tax_total_mismatch) == (Decimal("-2.30"), False)
    assert third.reseller_kind == "reseller" and third.usage_date.isoformat() == "2025-07-04"
    assert not DailyUsageRow.objects.for_tenant(world.b.msp).exists()


def test_the_rows_land_in_the_partition_of_their_billing_period(world):
    run_import(world.a.msp, csv_bytes([daily_usage_row()]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM billing_daily_usage GROUP BY 1")
        assert cursor.fetchall() == [("billing_daily_usage_p2025_07", 1)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            csv_bytes([daily_usage_row(Quantity="12,5")]),
            [
                (
                    2,
                    "Quantity",
                    "Not a decimal number: write digits with a point, at most 10 decimals (e.g. 12.5).",
                )
            ],
        ),
        (
            csv_bytes([daily_usage_row(), daily_usage_row(UnitPrice="0.12345678901")]),
            [
                (
                    3,
                    "UnitPrice",
                    "Not a decimal number: write digits with a point, at most 10 decimals (e.g. 12.5).",
                )
            ],
        ),
        (
            csv_bytes([daily_usage_row(UsageDate="2025.07.03")]),
            [(2, "UsageDate", "Not a date: write 2025-07-01 or 7/1/2025 (month/day/year).")],
        ),
        (
            csv_bytes([daily_usage_row(UsageDate="6/31/2025 0:00")]),
            [(2, "UsageDate", "No such day: check the date.")],
        ),
        (
            csv_bytes([daily_usage_row(CustomerId="")]),
            [(2, "CustomerId", "Empty: this column needs a value.")],
        ),
        (
            csv_bytes([daily_usage_row(PartnerEarnedCreditPercentage="10")]),
            [(2, "PartnerEarnedCreditPercentage", "The partner earned credit is 0 or 15 (percent).")],
        ),
    ],
    ids=["decimal-comma", "11-decimals", "date-style", "no-such-day", "required-empty", "earned-credit"],
)
def test_a_file_with_a_bad_cell_is_refused_whole_naming_line_and_column(world, data, expected):
    record = run_import(world.a.msp, data)

    assert record.state == ImportState.REFUSED
    assert problems(record) == expected
    assert not usage_rows(world.a.msp).exists()


@pytest.mark.parametrize(
    ("data", "refusal", "line_problem"),
    [
        (b"", "The file is empty: export the file again from the vendor's portal.", None),
        (csv_bytes([]), "The file has a header but no rows.", None),
        (
            csv_bytes([daily_usage_row(), daily_usage_row()])[:-40],
            "",
            (3, "", "This line has fewer columns than the header: is the file cut short?"),
        ),
        (
            csv_bytes([daily_usage_row(CustomerName="Contoso SARL")]).replace(
                b"Contoso SARL", b"Contoso \xe9"
            ),
            "",
            (2, "", "This line is not UTF-8 text: save the file as UTF-8 (with or without BOM)."),
        ),
    ],
    ids=["empty", "header-only", "truncated-last-row", "latin-1"],
)
def test_an_unreadable_file_is_refused_with_the_reason(world, data, refusal, line_problem):
    record = run_import(world.a.msp, data)

    assert record.state == ImportState.REFUSED
    assert record.refusal == refusal
    assert problems(record) == ([line_problem] if line_problem else [])
    assert not usage_rows(world.a.msp).exists()


def test_a_header_with_missing_and_misspelled_columns_names_each_with_the_closest_name(world):
    row = daily_usage_row()
    row["Quantitty"] = row.pop("Quantity")
    del row["UsageDate"]
    record = run_import(world.a.msp, csv_bytes([row]))

    assert record.state == ImportState.REFUSED
    assert sorted(problems(record)) == [
        (1, "Quantitty", "Unknown column Quantitty: did you mean Quantity?"),
        (1, "Quantity", "The column Quantity is missing from the header."),
        (1, "UsageDate", "The column UsageDate is missing from the header."),
    ]


def test_the_same_file_again_is_recognised_and_not_doubled(world):
    data = csv_bytes([daily_usage_row()])
    first = run_import(world.a.msp, data)
    again = run_import(world.a.msp, data, name="usage (1).csv")

    assert first.state == ImportState.DONE and again.state == ImportState.REFUSED
    assert again.refusal.startswith("This file was already imported on ")
    assert "(usage.csv): nothing was changed." in again.refusal
    assert usage_rows(world.a.msp).count() == 1
    # Another MSP may import the very same file: it is theirs.
    assert run_import(world.b.msp, data).state == ImportState.DONE


def test_a_corrected_file_for_the_same_period_and_invoice_replaces_the_earlier_one(world):
    first = run_import(world.a.msp, csv_bytes([daily_usage_row(), daily_usage_row()]))
    corrected = run_import(
        world.a.msp, csv_bytes([daily_usage_row(Quantity="48", BillingPreTaxTotal="4.60")])
    )

    first.refresh_from_db()
    assert (first.state, corrected.state, corrected.replaces_id) == (
        ImportState.REPLACED,
        ImportState.DONE,
        first.pk,
    )
    assert [row.quantity for row in usage_rows(world.a.msp)] == [Decimal("48")]


def test_an_invoice_file_is_imported_with_its_optional_columns(world):
    header = [*INVOICE_HEADER, "ChargeType"]
    record = run_import(
        world.a.msp,
        csv_bytes([invoice_row(ChargeType="new"), invoice_row(SkuId="0002", Tier2MpnId="")], header),
        kind=FileKind.INVOICE,
        name="invoice.csv",
    )

    assert record.state == ImportState.DONE, (record.refusal, problems(record))
    lines = list(InvoiceLine.objects.for_tenant(world.a.msp).order_by("line"))
    assert [(line.sku_id, line.subtotal, line.charge_type, line.reseller_kind) for line in lines] == [
        ("0001", Decimal("69.12"), "new", "direct"),
        ("0002", Decimal("69.12"), "", "direct"),
    ]


def test_the_command_imports_in_the_foreground_and_fails_with_the_problems(world, tmp_path):
    good = tmp_path / "usage.csv"
    good.write_bytes(csv_bytes([daily_usage_row()]))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([daily_usage_row(Quantity="x")]))
    out = io.StringIO()

    call_command(
        "import_reconciliation", "--org", world.a.msp.slug, "--kind", "daily-usage", str(good), stdout=out
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_reconciliation", "--org", world.a.msp.slug, "--kind", "daily-usage", str(bad))

    assert out.getvalue().startswith("Imported 1 rows for 2025-07 (0 flagged)")
    assert refused.value.returncode == 1
    assert "line 2, Quantity: Not a decimal number" in str(refused.value)
    assert usage_rows(world.a.msp).count() == 1
