"""Reconciliation files written for the tests: every column the vendor writes, with values
that pass every rule unless a test changes them."""

import csv
import io

from billing.columns import DAILY_USAGE, INVOICE


def daily_usage_row(**changes) -> dict[str, str]:
    row = {column.header: "" for column in DAILY_USAGE}
    row.update(
        {
            "PartnerId": "3b0a7d1e-0000-4000-8000-000000000001",
            "PartnerName": "Northwind Distribution",
            "CustomerId": "c0ffee00-0000-4000-8000-000000000001",
            "CustomerName": "Contoso",
            "CustomerDomainName": "contoso.example",
            "CustomerCountry": "FR",
            "MpnId": "1234567",
            "Tier2MpnId": "0",
            "InvoiceNumber": "G000123456",
            "ProductId": "DZH318Z0BQ3Q",
            "SkuId": "0001",
            "SkuName": "Standard D2s v3",
            "ProductName": "Virtual Machines Dv3 Series",
            "PublisherName": "Microsoft",
            "ChargeStartDate": "7/1/2025 0:00",
            "ChargeEndDate": "7/31/2025 0:00",
            "UsageDate": "7/3/2025 0:00",
            "MeterCategory": "Virtual Machines",
            "Unit": "1 Hour",
            "ChargeType": "new",
            "UnitPrice": "0.0960000000",
            "Quantity": "24",
            "UnitType": "1 Hour",
            "BillingPreTaxTotal": "2.30",
            "BillingCurrency": "EUR",
            "PricingPreTaxTotal": "2.304",
            "PricingCurrency": "USD",
            "Tags": '{"env": "prod", "team": "a,b"}',
            "AdditionalInfo": '{"ImageType": "Canonical", "VCPUs": 2}',
            "EffectiveUnitPrice": "0.0960000000",
            "PCToBCExchangeRate": "1.0000000000",
            "PCToBCExchangeRateDate": "2025-07-01",
            "EntitlementId": "aaaaaaaa-0000-4000-8000-000000000001",
            "EntitlementDescription": "Contoso production",
            "PartnerEarnedCreditPercentage": "15",
        }
    )
    row.update(changes)
    return row


def invoice_row(**changes) -> dict[str, str]:
    row = {
        "CustomerId": "c0ffee00-0000-4000-8000-000000000001",
        "CustomerName": "Contoso",
        "ProductId": "DZH318Z0BQ3Q",
        "SkuId": "0001",
        "SubscriptionId": "sub-1",
        "ChargeStartDate": "2025-07-01",
        "ChargeEndDate": "2025-07-31",
        "Quantity": "720",
        "UnitPrice": "0.096",
        "Subtotal": "69.12",
        "TaxTotal": "13.82",
        "Total": "82.94",
        "Currency": "EUR",
        "MpnId": "1234567",
        "Tier2MpnId": "0",
        "InvoiceNumber": "G000123456",
    }
    row.update(changes)
    return row


def csv_bytes(rows: list[dict], header: list[str] | None = None, *, bom: bool = False) -> bytes:
    header = header or (list(rows[0]) if rows else [c.header for c in DAILY_USAGE])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


INVOICE_HEADER = [c.header for c in INVOICE]
