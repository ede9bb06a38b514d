"""A distributor's invoices in the import formats of accounting software (docs/invoicing.md,
"Accounting exports"): Xero's sales-invoice CSV and QuickBooks Online's invoice CSV, one row per
invoice line. Built by a worker as export requests (msp_portal.exports), written by the project's
one CSV writer (formulas neutralised); dates as each program reads them, money as plain decimals.

A line is exported so that quantity × unit amount is its amount to the cent: when the invoice's
own quantity and unit price do not give it (a proration line bills the days left, a price with
more than four decimals), the row has quantity 1 and the amount as unit amount, and says the
invoice's quantity and price in its description."""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from msp_portal.errors import Invalid, NotAllowed
from msp_portal.exports.models import ExportRequest
from msp_portal.exports.registry import ExportContent, register_export_kind
from msp_portal.exports.services import export_request_create
from msp_portal.money import round_money
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import Membership, User
from msp_portal.tenancy.resolve import TenantContext, tenant_context_of

from .choices import LineKind
from .presenting import unit_price
from .selectors import invoice_list
from .selectors_pages import invoice_lines_of, invoice_msp_id

XERO = "invoicing.xero"
QUICKBOOKS = "invoicing.quickbooks"
SOFTWARE = {"xero": XERO, "quickbooks": QUICKBOOKS}

# Neither program has a due date from us: the invoices are payable within these days of issue.
PAYMENT_TERMS_DAYS = 30
# Xero's default revenue account ("Sales"); change it in the file or on import if yours differs.
XERO_SALES_ACCOUNT = "200"
CHUNK = 2_000

XERO_COLUMNS = [
    "ContactName", "EmailAddress",
    "POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4",
    "POCity", "PORegion", "POPostalCode", "POCountry",
    "InvoiceNumber", "Reference", "InvoiceDate", "DueDate",
    "InventoryItemCode", "Description", "Quantity", "UnitAmount", "Discount",
    "AccountCode", "TaxType",
    "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2",
    "Currency", "BrandingTheme",
]  # fmt: skip

QUICKBOOKS_COLUMNS = [
    "InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Terms", "Location", "Memo",
    "Item(Product/Service)", "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount",
    "Taxable", "TaxRate", "ServiceDate",
]  # fmt: skip


def _issue_date(invoice) -> dt.date:
    return invoice.issued_at.date()


def _due_date(invoice) -> dt.date:
    return _issue_date(invoice) + dt.timedelta(days=PAYMENT_TERMS_DAYS)


def _rate_text(invoice) -> str:
    return f"{invoice.tax_rate_percent.normalize():f}%"


def quantity_and_price(line) -> tuple[int, Decimal, str]:
    """(quantity, unit amount, description) whose product is the line's amount to the cent."""
    price = line.unit_price.normalize()
    exact = price == price.quantize(Decimal("0.0001")) and round_money(line.quantity * price) == line.amount
    if exact and line.quantity != 0:
        return line.quantity, unit_price(price), line.description
    described = f"{line.description} ({line.quantity} × {price:f})"
    return 1, line.amount, described


def xero_row(line) -> list:
    invoice = line.invoice
    quantity, unit_amount, description = quantity_and_price(line)
    return [
        invoice.organisation.name, "", "", "", "", "", "", "", "", invoice.organisation.country,
        invoice.number, f"{LineKind(line.kind).label} {invoice.cycle:%Y-%m}",
        f"{_issue_date(invoice):%d/%m/%Y}", f"{_due_date(invoice):%d/%m/%Y}",
        line.product_code, description, quantity, unit_amount, "",
        XERO_SALES_ACCOUNT, _rate_text(invoice),
        "", "", "", "",
        invoice.currency, "",
    ]  # fmt: skip


def quickbooks_row(line) -> list:
    invoice = line.invoice
    quantity, rate, description = quantity_and_price(line)
    return [
        invoice.number,
        invoice.organisation.name,
        f"{_issue_date(invoice):%m/%d/%Y}",
        f"{_due_date(invoice):%m/%d/%Y}",
        f"Net {PAYMENT_TERMS_DAYS}",
        "",
        f"{invoice.cycle:%Y-%m} {invoice.currency}",
        line.sku_code or line.product_code or str(LineKind(line.kind).label),
        description,
        quantity,
        rate,
        line.amount,
        "Y" if invoice.tax_rate_percent > 0 else "N",
        _rate_text(invoice),
        f"{invoice.cycle:%m/%d/%Y}",
    ]


def _tenant_of(export: ExportRequest) -> TenantContext:
    """The requester's reading rights at build time: a member who lost them gets no file."""
    membership = (
        Membership.objects.with_scopes_disabled()
        .select_related("organisation", "organisation__distributor")
        .filter(user=export.created_by_id, organisation=export.organisation_id)
        .first()
    )
    if membership is None:
        raise NotAllowed()
    return tenant_context_of(membership)


def _selected_lines(export: ExportRequest):
    tenant = _tenant_of(export)
    params = export.params
    day = lambda key: dt.date.fromisoformat(params[key]) if params.get(key) else None  # noqa: E731
    msp_id = invoice_msp_id(tenant=tenant, slug=params["msp"]) or -1 if params.get("msp") else None
    invoices = invoice_list(
        tenant=tenant,
        period_from=day("period_from"),
        period_to=day("period_to"),
        status=params.get("status") or None,
        number=params.get("number") or "",
        msp_id=msp_id,
    )
    return invoice_lines_of(tenant=tenant, invoices=invoices)


def _build(columns, row, name):
    def build(export: ExportRequest) -> ExportContent:
        lines = _selected_lines(export)
        return ExportContent(
            file_name=f"{name}-{export.organisation.slug}-{export.pk}.csv",
            header=columns,
            rows=(row(line) for line in lines.iterator(chunk_size=CHUNK)),
            total=lines.count(),
        )

    return build


def register() -> None:
    register_export_kind(XERO, perm=Perm.VIEW_INVOICES, build=_build(XERO_COLUMNS, xero_row, "xero-invoices"))
    register_export_kind(
        QUICKBOOKS,
        perm=Perm.VIEW_INVOICES,
        build=_build(QUICKBOOKS_COLUMNS, quickbooks_row, "quickbooks-invoices"),
    )


def accounting_export_request(
    *, tenant: TenantContext, acting_user: User, software: str, filters: dict
) -> ExportRequest:
    """Request the distributor's invoices that ``filters`` select (the invoice list's cleaned
    filters) in ``software``'s format ("xero" or "quickbooks"); a worker builds the file."""
    if not tenant.organisation.is_distributor or not tenant.can(Perm.VIEW_INVOICES):
        raise NotAllowed()
    kind = SOFTWARE.get(software)
    if kind is None:
        raise Invalid(
            _("Choose Xero or QuickBooks Online."),
            field_errors={"software": [_("Choose Xero or QuickBooks Online.")]},
        )
    params = {
        key: value.isoformat() if isinstance(value, dt.date) else str(value)
        for key, value in filters.items()
        if value not in (None, "")
    }
    title = {XERO: _("Invoices for Xero"), QUICKBOOKS: _("Invoices for QuickBooks Online")}[kind]
    return export_request_create(
        tenant=tenant, acting_user=acting_user, kind=kind, title=title, params=params
    )
