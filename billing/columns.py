"""The columns of the vendor's reconciliation files, as the importer reads them (docs/billing.md,
"Files"). Each column has the vendor's header, the name of its database column and its kind;
the kind says how a cell is checked and typed inside PostgreSQL (billing/importer.py)."""

import difflib
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    DECIMAL = "decimal"  # exact, any scale (daily-rated amounts carry 10 decimals)
    DATE = "date"  # ISO 2025-07-01 (a time is allowed and dropped) or the vendor's 7/1/2025 0:00


@dataclass(frozen=True)
class Column:
    header: str
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False  # an empty cell is refused


def _c(header: str, name: str, kind: Kind = Kind.TEXT, required: bool = False) -> Column:
    return Column(header, name, kind, required)


T, D, DT = Kind.TEXT, Kind.DECIMAL, Kind.DATE

# The 50 columns of a daily-rated usage file, in the vendor's order.
DAILY_USAGE = (
    _c("PartnerId", "partner_id"),
    _c("PartnerName", "partner_name"),
    _c("CustomerId", "customer_id", required=True),
    _c("CustomerName", "customer_name"),
    _c("CustomerDomainName", "customer_domain_name"),
    _c("CustomerCountry", "customer_country"),
    _c("MpnId", "mpn_id"),
    _c("Tier2MpnId", "tier2_mpn_id"),
    _c("InvoiceNumber", "invoice_number"),
    _c("ProductId", "product_id", required=True),
    _c("SkuId", "sku_id", required=True),
    _c("AvailabilityId", "availability_id"),
    _c("SkuName", "sku_name"),
    _c("ProductName", "product_name"),
    _c("PublisherName", "publisher_name"),
    _c("PublisherId", "publisher_id"),
    _c("SubscriptionDescription", "subscription_description"),
    _c("SubscriptionId", "subscription_id"),
    _c("ChargeStartDate", "charge_start_date", DT, required=True),
    _c("ChargeEndDate", "charge_end_date", DT, required=True),
    _c("UsageDate", "usage_date", DT, required=True),
    _c("MeterType", "meter_type"),
    _c("MeterCategory", "meter_category"),
    _c("MeterId", "meter_id"),
    _c("MeterSubCategory", "meter_sub_category"),
    _c("MeterName", "meter_name"),
    _c("MeterRegion", "meter_region"),
    _c("Unit", "unit"),
    _c("ResourceLocation", "resource_location"),
    _c("ConsumedService", "consumed_service"),
    _c("ResourceGroup", "resource_group"),
    _c("ResourceURI", "resource_uri"),
    _c("ChargeType", "charge_type"),
    _c("UnitPrice", "unit_price", D),
    _c("Quantity", "quantity", D, required=True),
    _c("UnitType", "unit_type"),
    _c("BillingPreTaxTotal", "billing_pre_tax_total", D, required=True),
    _c("BillingCurrency", "billing_currency", required=True),
    _c("PricingPreTaxTotal", "pricing_pre_tax_total", D),
    _c("PricingCurrency", "pricing_currency"),
    _c("ServiceInfo1", "service_info1"),
    _c("ServiceInfo2", "service_info2"),
    _c("Tags", "tags"),
    _c("AdditionalInfo", "additional_info"),
    _c("EffectiveUnitPrice", "effective_unit_price", D, required=True),
    _c("PCToBCExchangeRate", "pc_to_bc_exchange_rate", D, required=True),
    _c("PCToBCExchangeRateDate", "pc_to_bc_exchange_rate_date", DT),
    _c("EntitlementId", "entitlement_id"),
    _c("EntitlementDescription", "entitlement_description"),
    _c("PartnerEarnedCreditPercentage", "partner_earned_credit_percentage", D),
)

# An invoice reconciliation file: the billed line items.
INVOICE = (
    _c("CustomerId", "customer_id", required=True),
    _c("CustomerName", "customer_name"),
    _c("ProductId", "product_id", required=True),
    _c("SkuId", "sku_id", required=True),
    _c("SubscriptionId", "subscription_id"),
    _c("ChargeStartDate", "charge_start_date", DT, required=True),
    _c("ChargeEndDate", "charge_end_date", DT, required=True),
    _c("Quantity", "quantity", D, required=True),
    _c("UnitPrice", "unit_price", D),
    _c("Subtotal", "subtotal", D, required=True),
    _c("TaxTotal", "tax_total", D),
    _c("Total", "total", D),
    _c("Currency", "currency", required=True),
    _c("MpnId", "mpn_id"),
    _c("Tier2MpnId", "tier2_mpn_id"),
    _c("InvoiceNumber", "invoice_number", required=True),
)
# Columns an invoice file may also carry; the importer keeps them.
INVOICE_OPTIONAL = (
    _c("ProductName", "product_name"),
    _c("SkuName", "sku_name"),
    _c("ChargeType", "charge_type"),
    _c("EntitlementId", "entitlement_id"),
)


class FileKind(StrEnum):
    DAILY_USAGE = "daily-usage"
    INVOICE = "invoice"


def columns_of(kind: FileKind) -> tuple[tuple[Column, ...], tuple[Column, ...]]:
    """(the columns every file of this kind has, the ones it may have)."""
    if kind == FileKind.DAILY_USAGE:
        return DAILY_USAGE, ()
    return INVOICE, INVOICE_OPTIONAL


@dataclass(frozen=True)
class HeaderProblem:
    column: str
    reason: str  # "missing", "unknown" or "repeated"
    closest: str = ""  # for an unknown column: the known header it most resembles


def header_problems(kind: FileKind, header: list[str]) -> tuple[list[Column], list[HeaderProblem]]:
    """The file's columns in its order, and what is wrong with its header: each missing
    column, each unknown one (with the closest known name), each repeated one. Headers are
    matched exactly, as the vendor writes them."""
    required, optional = columns_of(kind)
    known = {column.header: column for column in (*required, *optional)}
    problems: list[HeaderProblem] = []
    seen: set[str] = set()
    found: list[Column] = []
    for name in header:
        if name in seen:
            problems.append(HeaderProblem(name, "repeated"))
        elif name in known:
            found.append(known[name])
        else:
            closest = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
            if not closest:
                closest = [h for h in known if h.lower() == name.strip().lower()]
            problems.append(HeaderProblem(name, "unknown", closest[0] if closest else ""))
        seen.add(name)
    for column in required:
        if column.header not in seen:
            problems.append(HeaderProblem(column.header, "missing"))
    return found, problems
