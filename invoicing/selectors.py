"""Reads of invoices, credit notes and tax settings for the pages, the API and the exports.

Who sees what (docs/invoicing.md, "Invoices"): an MSP's admins and billing admins its own
documents; the serving distributor's reviewers and admins those of every MSP it serves
(``for_served_msps_of``); nobody else (Perm.VIEW_INVOICES; an MSP viewer gets NotAllowed). Every
function takes the tenant first; an id of another organisation reads as NotFound.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from msp_portal.errors import NotAllowed
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import one_or_not_found

from .choices import InvoiceStatus
from .models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, TaxSetting

MONEY_FIELD = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY_FIELD)


def _visible(model, tenant: TenantContext) -> QuerySet:
    """``model``'s rows the tenant may read: its own (an MSP) or its served MSPs' (a distributor)."""
    if not tenant.can(Perm.VIEW_INVOICES):
        raise NotAllowed()
    if tenant.organisation.is_distributor:
        return model.objects.for_served_msps_of(tenant.organisation)
    return model.objects.for_tenant(tenant.organisation)


def with_credits(invoices: QuerySet) -> QuerySet:
    """Annotate ``credited`` (the credit notes' totals), ``left_to_credit`` and ``status``
    (issued, partially credited, credited), by a subquery so a page costs one query."""
    # Correlated to the outer (already tenant-filtered) invoice rows, so it cannot reach others.
    credited = (
        CreditNote.objects.with_scopes_disabled()
        .filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(sum=Sum("total"))
        .values("sum")
    )
    return invoices.annotate(
        credited=Coalesce(Subquery(credited, output_field=MONEY_FIELD), ZERO),
    ).annotate(
        left_to_credit=F("total") - F("credited"),
        status=Case(
            When(credited=0, then=Value(InvoiceStatus.ISSUED)),
            When(credited__gte=F("total"), then=Value(InvoiceStatus.CREDITED)),
            default=Value(InvoiceStatus.PARTIALLY_CREDITED),
        ),
    )


def invoice_list(
    *,
    tenant: TenantContext,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    status: str | None = None,
    number: str = "",
    msp_id: int | None = None,
) -> QuerySet:
    """The invoices the tenant sees, newest cycle first, annotated by :func:`with_credits`,
    with the MSP (``organisation``) joined. Filters: cycles from ``period_from`` to
    ``period_to`` (any day of the month counts for its month), ``status`` (InvoiceStatus),
    a part of the ``number``, one MSP (a distributor's list)."""
    invoices = with_credits(_visible(Invoice, tenant)).select_related("organisation", "distributor")
    if period_from:
        invoices = invoices.filter(cycle__gte=period_from.replace(day=1))
    if period_to:
        invoices = invoices.filter(cycle__lte=period_to.replace(day=1))
    if status:
        invoices = invoices.filter(status=status)
    if number.strip():
        invoices = invoices.filter(number__icontains=number.strip())
    if msp_id:
        invoices = invoices.filter(organisation_id=msp_id)
    return invoices.order_by("-cycle", "-sequence")


def invoice_totals(invoices: QuerySet) -> list[dict]:
    """Totals of an invoice list (as :func:`invoice_list` returns it), one row per currency
    (an invoice is in one currency; sums never mix two): ``currency``, ``count``, ``subtotal``,
    ``tax``, ``total``, ``credited``."""
    return list(
        invoices.order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            subtotal=Sum("subtotal"),
            tax=Sum("tax"),
            total=Sum("total"),
            credited=Sum("credited"),
        )
        .order_by("currency")
    )


def invoice_totals_by_msp(invoices: QuerySet) -> list[dict]:
    """Per MSP and currency (a distributor's overview): ``organisation_id``,
    ``organisation__name``, ``currency``, ``count``, ``subtotal``, ``tax``, ``total``,
    ``credited``, ``first_cycle``, ``last_cycle``, by MSP name."""
    return list(
        invoices.order_by()
        .values("organisation_id", "organisation__name", "currency")
        .annotate(
            count=Count("pk"),
            subtotal=Sum("subtotal"),
            tax=Sum("tax"),
            total=Sum("total"),
            credited=Sum("credited"),
            first_cycle=Min("cycle"),
            last_cycle=Max("cycle"),
        )
        .order_by("organisation__name", "currency")
    )


@dataclass(frozen=True)
class InvoiceDetail:
    """One invoice with its lines and its credit notes (each with its lines), in order."""

    invoice: Invoice
    lines: list[InvoiceLine]
    credit_notes: list[CreditNote]

    @property
    def credited_by_line(self) -> dict[int, Decimal]:
        """Invoice line id → the amount (before tax) its credit notes gave back."""
        credited: dict[int, Decimal] = {}
        for note in self.credit_notes:
            for line in note.lines.all():
                credited[line.invoice_line_id] = (
                    credited.get(line.invoice_line_id, Decimal("0.00")) + line.amount
                )
        return credited


def invoice_get(*, tenant: TenantContext, invoice_id: int) -> InvoiceDetail:
    """The invoice with that id that the tenant sees, or NotFound (four queries)."""
    invoice = one_or_not_found(
        with_credits(_visible(Invoice, tenant)).select_related("organisation", "distributor", "report"),
        pk=invoice_id,
    )
    lines = list(
        InvoiceLine.objects.for_tenant(invoice.organisation)
        .filter(invoice=invoice)
        .select_related("true_up")
        .order_by("position")
    )
    notes = list(
        CreditNote.objects.for_tenant(invoice.organisation)
        .filter(invoice=invoice)
        .select_related("issued_by")
        .prefetch_related(
            Prefetch("lines", queryset=CreditNoteLine.objects.with_scopes_disabled().order_by("position"))
        )
        .order_by("sequence")
    )
    return InvoiceDetail(invoice=invoice, lines=lines, credit_notes=notes)


def credit_note_list(
    *, tenant: TenantContext, invoice_id: int | None = None, msp_id: int | None = None, number: str = ""
) -> QuerySet:
    """The credit notes the tenant sees (an MSP's own, or a distributor's MSPs'), newest first,
    with their invoice and MSP joined; optionally of one invoice, one MSP, or by number."""
    notes = _visible(CreditNote, tenant).select_related("invoice", "organisation", "issued_by")
    if invoice_id:
        notes = notes.filter(invoice_id=invoice_id)
    if msp_id:
        notes = notes.filter(organisation_id=msp_id)
    if number.strip():
        notes = notes.filter(number__icontains=number.strip())
    return notes.order_by("-issued_at", "-sequence")


def credit_note_get(*, tenant: TenantContext, credit_note_id: int) -> tuple[CreditNote, list[CreditNoteLine]]:
    """The credit note with that id that the tenant sees and its lines (with the invoice lines
    they credit), or NotFound."""
    note = one_or_not_found(
        _visible(CreditNote, tenant).select_related("invoice", "organisation", "distributor", "issued_by"),
        pk=credit_note_id,
    )
    lines = list(
        CreditNoteLine.objects.for_tenant(note.organisation)
        .filter(credit_note=note)
        .select_related("invoice_line")
        .order_by("position")
    )
    return note, lines


def tax_setting_list(*, tenant: TenantContext) -> QuerySet:
    """The distributor's tax settings by country (its reviewers and admins; an MSP: NotAllowed)."""
    if not tenant.organisation.is_distributor or not tenant.can(Perm.VIEW_INVOICES):
        raise NotAllowed()
    return TaxSetting.objects.for_tenant(tenant.organisation).order_by("country")
