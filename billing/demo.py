"""Demo billing: Contoso's vendor files for the last two ended months, imported and reconciled.

``billing_demo_load()`` writes, in memory, a daily-rated usage file and an invoice file for
Contoso Managed Services (billed in EUR by Northwind Distribution) for the billing period of the
previous calendar month (relative to today, in Contoso's time zone, like the other demo parts)
and for the month before it; it imports them through the services, as the operator's
``manage.py import_reconciliation`` would, and reconciles both periods. Contoso's own end
customers use a few Azure meters; the files plant one case of every flag and cause the
reconciliation knows (docs/billing.md, "Reconciliation"), each on its own key:

- a variance explained by a discount or credit (rows with the 15 % earned credit, the invoice
  15 % lower), also planted in the month before so its flag shows as recurring;
- a variance explained by a tax or fee (the invoice higher by exactly its ``TaxTotal``);
- a variance explained by decimal rounding (many tiny rows, each cut to the cent);
- a variance explained by the date range (latent usage dated in the month before);
- a quantity mismatch, and a customer-id mismatch (one ``EntitlementId`` under two customers);
- an invoice-only line of a license-based product of Northwind's catalog (expected) and one of
  an unknown product (flagged); zero-charge reservation days (expected); usage not invoiced yet;
- a row whose ``BillingPreTaxTotal`` is not the FLOOR of its price (flagged at import), rows of
  a customer served through a reseller and rows whose reseller was removed (``Tier2MpnId`` −1).

The files are deterministic (``random.Random`` with a fixed seed). Idempotent: a period for
which Contoso already has an imported file is left as it is, so loading again changes nothing.
"""

import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from msp_portal.calendar import add_months, last_ended_cycle, next_month
from msp_portal.csv_export import csv_write
from msp_portal.money import CENT, round_money
from msp_portal.tenancy.demo import register_demo_part
from msp_portal.tenancy.models import Organisation

from .columns import DAILY_USAGE, INVOICE, INVOICE_OPTIONAL, FileKind
from .models import DailyUsageRow, ImportState, InvoiceLine, ReconciliationFlag, ReconciliationImport
from .reconciliation import reconciliation_run
from .rules import expected_pre_tax_total
from .services import reconciliation_import_create_by_operator, reconciliation_import_run

MSP = "contoso"
SEED = 20260417
PARTNER_ID = "3b0a7d1e-5c1f-4f7e-9a53-6d2c1e0b7a41"
MPN_ID = "6104877"
RESELLER_MPN_ID = "5123456"
EXCHANGE_RATE = Decimal("0.9215000000")  # USD prices billed in EUR
VAT = Decimal("0.20")
INVOICE_HEADER = [c.header for c in (*INVOICE, *INVOICE_OPTIONAL)]


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    domain: str
    tier2_mpn_id: str = "0"  # "0": served directly; "-1": its reseller was removed


ALPINE = Customer("5d3e1a20-8b1c-4c2e-9f3a-1a2b3c4d5e01", "Alpine Dental Clinics", "alpinedental.example")
BRIGHTWATER = Customer("5d3e1a20-8b1c-4c2e-9f3a-1a2b3c4d5e02", "Brightwater Logistics", "brightwater.example")
CEDAR = Customer(
    "5d3e1a20-8b1c-4c2e-9f3a-1a2b3c4d5e03", "Cedar & Pine Architects", "cedarpine.example", RESELLER_MPN_ID
)
DUNMORE = Customer("5d3e1a20-8b1c-4c2e-9f3a-1a2b3c4d5e04", "Dunmore Legal", "dunmorelegal.example", "-1")


@dataclass(frozen=True)
class Meter:
    product_id: str
    sku_id: str
    product_name: str
    sku_name: str
    category: str
    unit: str
    price: Decimal  # USD per unit (the effective unit price)
    quantity: tuple[int, int]  # a day's quantity per resource, in thousandths
    charge_type: str = "usage"


VM_D2 = Meter(
    "DZH318Z0BQ3Q",
    "0001",
    "Virtual Machines Dsv5 Series",
    "D2s v5",
    "Virtual Machines",
    "1 Hour",
    Decimal("0.0960"),
    (20000, 24000),
)
VM_D4 = Meter(
    "DZH318Z0BQ3Q",
    "0002",
    "Virtual Machines Dsv5 Series",
    "D4s v5",
    "Virtual Machines",
    "1 Hour",
    Decimal("0.1920"),
    (24000, 24000),
)
BLOB = Meter(
    "DZH318Z0BPHC",
    "0003",
    "Storage",
    "Hot LRS",
    "Storage",
    "1 GB/Month",
    Decimal("0.0208"),
    (60000, 75000),
)
BACKUP = Meter(
    "DZH318Z0BNV2",
    "0004",
    "Backup",
    "GRS Data Stored",
    "Backup",
    "1 GB/Month",
    Decimal("0.0448"),
    (437, 437),
)  # 0.0448 × 0.437 × 0.9215 = 0.018 a day, cut to 0.01: the rounding case
SQL_DB = Meter(
    "DZH318Z0BQ7N",
    "0005",
    "SQL Database",
    "General Purpose vCore",
    "SQL Database",
    "1 Hour",
    Decimal("0.5050"),
    (24000, 24000),
)
RESERVED_VM = Meter(
    "DZH318Z0BQ44",
    "0006",
    "Reserved VM Instance, Dsv5 Series",
    "D2s v5 1 Year",
    "Virtual Machines",
    "1 Hour",
    Decimal("0"),
    (24000, 24000),
    "Reservation",
)


@dataclass(frozen=True)
class Plan:
    """One customer's use of one meter in one Azure subscription, and how the invoice bills it:
    ``match`` (as the daily rows add up), ``discount`` (15 % lower), ``tax`` (higher by its tax),
    ``exact`` (on the exact amounts, where the daily rows are cut to the cent), ``quantity``
    (a day's quantity more), ``none`` (not invoiced) or ``other_customer`` (under another id)."""

    customer: Customer
    meter: Meter
    entitlement: str
    invoice: str = "match"
    resources: int = 1  # rows per day
    last_days: int = 0  # only the last days of the month (0: every day)
    latent_days: int = 0  # plus rows of the month before's last days, not on this invoice
    earned_credit: bool = False
    misstated_day: int = 0  # a day whose stated total is a cent above the FLOOR rule
    earlier: bool = False  # also in the month before's files


def _entitlement(n: int) -> str:
    return f"9a7c4e10-2f6b-4d8a-b1c3-00000000{n:04d}"


PLANS = (
    Plan(ALPINE, VM_D2, _entitlement(1), misstated_day=5, earlier=True),
    Plan(ALPINE, BLOB, _entitlement(1), earlier=True),
    Plan(ALPINE, VM_D4, _entitlement(1), latent_days=3),
    Plan(BRIGHTWATER, SQL_DB, _entitlement(2), "discount", earned_credit=True, earlier=True),
    Plan(BRIGHTWATER, VM_D2, _entitlement(2), "quantity"),
    Plan(CEDAR, BLOB, _entitlement(3), "tax"),
    Plan(CEDAR, VM_D2, _entitlement(5), "other_customer"),
    Plan(DUNMORE, BACKUP, _entitlement(4), "exact", resources=3),
    Plan(DUNMORE, RESERVED_VM, _entitlement(4), "none"),
    Plan(DUNMORE, SQL_DB, _entitlement(4), "none", last_days=2),
)
# Invoice lines with no daily rows: a license-based product of Northwind's catalog (a fixed fee,
# expected) and a product the daily file does not know (flagged).
# (customer, product, SKU, name, quantity, unit price, entitlement)
INVOICE_ONLY = (
    (ALPINE, "MS-M365-BP", "P1M", "Microsoft 365 Business Premium", 25, Decimal("20.60"), _entitlement(11)),
    (BRIGHTWATER, "DZH318Z0C1XX", "0009", "Azure Support Standard (legacy)", 1, Decimal("92.15"), ""),
)


def _vendor_date(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year} 0:00"


def _days(period: dt.date) -> list[dt.date]:
    end = next_month(period)
    return [period + dt.timedelta(days=n) for n in range((end - period).days)]


def _who(customer: Customer) -> dict[str, str]:
    """The partner's and the customer's columns of a daily row."""
    return {
        "PartnerId": PARTNER_ID,
        "PartnerName": "Contoso Managed Services",
        "CustomerId": customer.id,
        "CustomerName": customer.name,
        "CustomerDomainName": customer.domain,
        "CustomerCountry": "FR",
        "MpnId": MPN_ID,
        "Tier2MpnId": customer.tier2_mpn_id,
    }


def _daily_row(plan: Plan, day: dt.date, cycle: dt.date, quantity: Decimal, resource: int) -> dict:
    """One row of the daily file, every column the vendor writes; ``cycle`` is the billing
    cycle the day was charged in (the month before for latent usage)."""
    meter, customer = plan.meter, plan.customer
    total = expected_pre_tax_total(meter.price, quantity, EXCHANGE_RATE)
    if day.day == plan.misstated_day and cycle == day.replace(day=1):
        total += CENT
    row = {**dict.fromkeys((c.header for c in DAILY_USAGE), ""), **_who(customer)}
    row.update(
        {
            "ProductId": meter.product_id,
            "SkuId": meter.sku_id,
            "AvailabilityId": "DZH318Z0BQ3Q0001",
            "SkuName": meter.sku_name,
            "ProductName": meter.product_name,
            "PublisherName": "Microsoft",
            "SubscriptionDescription": "Azure plan",
            "SubscriptionId": f"sub-{customer.domain.split('.')[0]}",
            "ChargeStartDate": _vendor_date(cycle),
            "ChargeEndDate": _vendor_date(next_month(cycle) - dt.timedelta(days=1)),
            "UsageDate": _vendor_date(day),
            "MeterType": "1 Hour" if "Hour" in meter.unit else "1 GB/Month",
            "MeterCategory": meter.category,
            "MeterId": f"{meter.product_id.lower()}-{meter.sku_id}",
            "MeterSubCategory": meter.sku_name,
            "MeterName": meter.sku_name,
            "MeterRegion": "EU West",
            "Unit": meter.unit,
            "ResourceLocation": "westeurope",
            "ConsumedService": f"Microsoft.{meter.category.replace(' ', '')}",
            "ResourceGroup": f"rg-{customer.domain.split('.')[0]}",
            "ResourceURI": f"/subscriptions/{plan.entitlement}/resourceGroups/rg/{meter.sku_id}-{resource}",
            "ChargeType": meter.charge_type,
            "UnitPrice": f"{meter.price:.10f}",
            "Quantity": f"{quantity:.10f}",
            "UnitType": meter.unit,
            "BillingPreTaxTotal": f"{total:.2f}",
            "BillingCurrency": "EUR",
            "PricingPreTaxTotal": f"{meter.price * quantity:.10f}",
            "PricingCurrency": "USD",
            "Tags": '{"env": "prod", "owner": "it,ops"}',
            "AdditionalInfo": '{"UsageType": "ComputeHR"}' if "Hour" in meter.unit else "",
            "EffectiveUnitPrice": f"{meter.price:.10f}",
            "PCToBCExchangeRate": f"{EXCHANGE_RATE:.10f}",
            "PCToBCExchangeRateDate": cycle.isoformat(),
            "EntitlementId": plan.entitlement,
            "EntitlementDescription": f"{customer.name} production",
            "PartnerEarnedCreditPercentage": "15" if plan.earned_credit else "0",
        }
    )
    return row


def _plan_rows(plan: Plan, period: dt.date, rng: random.Random) -> list[dict]:
    """The plan's daily rows for the period: its days (the latent ones first), one row per
    resource and day."""
    days = _days(period)[-plan.last_days :] if plan.last_days else _days(period)
    before = add_months(period, -1)
    latent = _days(before)[-plan.latent_days :] if plan.latent_days else []
    rows = []
    for day in [*latent, *days]:
        for resource in range(plan.resources):
            quantity = Decimal(rng.randint(*plan.meter.quantity)) / 1000
            rows.append(_daily_row(plan, day, before if day < period else period, quantity, resource))
    return rows


def _invoice_row(customer: Customer, period: dt.date, invoice_number: str, **values) -> dict:
    subtotal, tax = values.pop("subtotal"), values.pop("tax")
    quantity = values["Quantity"]
    return {
        "CustomerId": customer.id,
        "CustomerName": customer.name,
        "SubscriptionId": f"sub-{customer.domain.split('.')[0]}",
        "ChargeStartDate": period.isoformat(),
        "ChargeEndDate": (next_month(period) - dt.timedelta(days=1)).isoformat(),
        "UnitPrice": f"{subtotal / quantity:.4f}" if quantity else "0",
        "Subtotal": f"{subtotal:.2f}",
        "TaxTotal": f"{tax:.2f}",
        "Total": f"{subtotal + tax:.2f}",
        "Currency": "EUR",
        "MpnId": MPN_ID,
        "Tier2MpnId": customer.tier2_mpn_id,
        "InvoiceNumber": invoice_number,
        "ChargeType": "usage",
        **{key: (f"{value:.10f}" if key == "Quantity" else value) for key, value in values.items()},
    }


def _billed(plan: Plan, rows: list[dict], period: dt.date) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, tax, quantity) of the plan's invoice line, as its ``invoice`` mode says."""
    in_period = [r for r in rows if r["ChargeStartDate"] == _vendor_date(period)]
    daily = sum((Decimal(r["BillingPreTaxTotal"]) for r in in_period), Decimal(0))
    quantity = sum((Decimal(r["Quantity"]) for r in rows), Decimal(0))
    vat = round_money(daily * VAT)
    if plan.invoice == "discount":
        subtotal = round_money(daily * Decimal("0.85"))
        return subtotal, round_money(subtotal * VAT), quantity
    if plan.invoice == "tax":  # the tax billed again inside the subtotal
        return daily + vat, vat, quantity
    if plan.invoice == "exact":
        exact = sum((plan.meter.price * Decimal(r["Quantity"]) * EXCHANGE_RATE for r in rows), Decimal(0))
        subtotal = round_money(exact)
        return subtotal, round_money(subtotal * VAT), quantity
    if plan.invoice == "quantity":  # a day's hours more, at no charge
        return daily, vat, quantity + 24
    return daily, vat, quantity


def demo_files(period: dt.date, *, earlier: bool) -> tuple[bytes, bytes]:
    """The daily-rated usage file and the invoice file of the period (CSV, as the vendor writes
    them). ``earlier``: the month before's smaller files (only the plans marked so)."""
    rng = random.Random(SEED)
    invoice_number = f"G{period:%Y%m}0417"
    daily_rows, invoice_rows = [], []
    for plan in PLANS:
        if earlier and not plan.earlier:
            continue
        rows = _plan_rows(plan, period, rng)
        for row in rows:
            row["InvoiceNumber"] = invoice_number
        daily_rows += rows
        if plan.invoice == "none":
            continue
        subtotal, tax, quantity = _billed(plan, rows, period)
        customer = DUNMORE if plan.invoice == "other_customer" else plan.customer
        invoice_rows.append(
            _invoice_row(
                customer,
                period,
                invoice_number,
                subtotal=subtotal,
                tax=tax,
                Quantity=quantity,
                ProductId=plan.meter.product_id,
                SkuId=plan.meter.sku_id,
                ProductName=plan.meter.product_name,
                SkuName=plan.meter.sku_name,
                EntitlementId=plan.entitlement,
            )
        )
    for customer, product, sku, name, quantity, price, entitlement in () if earlier else INVOICE_ONLY:
        subtotal = price * quantity
        invoice_rows.append(
            _invoice_row(
                customer,
                period,
                invoice_number,
                subtotal=subtotal,
                tax=round_money(subtotal * VAT),
                Quantity=Decimal(quantity),
                ProductId=product,
                SkuId=sku,
                ProductName=name,
                SkuName=name,
                EntitlementId=entitlement,
            )
        )
    return _csv(daily_rows, [c.header for c in DAILY_USAGE]), _csv(invoice_rows, INVOICE_HEADER)


def _csv(rows: list[dict], header: list[str]) -> bytes:
    """The vendor's file, written by the project's one CSV writer (its BOM and its plain
    decimals are what the importer reads)."""
    out = io.StringIO()
    csv_write(out, header, ([row.get(name, "") for name in header] for row in rows))
    return out.getvalue().encode("utf-8")


def _import(msp: Organisation, kind: FileKind, file_name: str, data: bytes) -> None:
    record = reconciliation_import_create_by_operator(
        organisation=msp, kind=kind, file_name=file_name, size_bytes=len(data)
    )
    record = reconciliation_import_run(import_id=record.pk, organisation=msp, raw=io.BytesIO(data))
    if record.state != ImportState.DONE:  # the demo's own files: a refusal is a bug here
        raise RuntimeError(f"The demo file {file_name} was refused: {record.refusal or record.problem_count}")


def _period_load(msp: Organisation, period: dt.date, *, earlier: bool) -> None:
    """Import the period's two files and reconcile it, unless a file of the period is imported."""
    if ReconciliationImport.objects.for_tenant(msp).filter(period=period, state=ImportState.DONE).exists():
        return
    daily, invoice = demo_files(period, earlier=earlier)
    _import(msp, FileKind.DAILY_USAGE, f"{MSP}-daily-usage-{period:%Y-%m}.csv", daily)
    _import(msp, FileKind.INVOICE, f"{MSP}-invoice-{period:%Y-%m}.csv", invoice)
    reconciliation_run(msp=msp, period=period)


def register() -> None:
    """Adds this part to the demo (billing/apps.py, in ready()): after the reports (order 20),
    and after the catalog its fixed-fee products come from."""
    register_demo_part(billing_demo_load, order=30)


@transaction.atomic
def billing_demo_load() -> dict[str, int]:
    """Import and reconcile Contoso's files of the last ended month and the one before (see the
    module docstring); returns how many rows of each kind now exist. Expects the demo
    organisations and Northwind's catalog (licensing's part)."""
    msp = Organisation.objects.get(slug=MSP)
    period = last_ended_cycle(timezone.now(), msp.timezone)
    _period_load(msp, add_months(period, -1), earlier=True)  # first: its flags make recurring ones
    _period_load(msp, period, earlier=False)
    with scopes_disabled():
        return {
            "reconciliation_imports": ReconciliationImport.objects.count(),
            "daily_usage_rows": DailyUsageRow.objects.count(),
            "invoice_lines": InvoiceLine.objects.count(),
            "reconciliation_flags": ReconciliationFlag.objects.count(),
        }
