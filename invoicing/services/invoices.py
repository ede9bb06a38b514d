"""Building the invoices of approved reports (docs/invoicing.md, "Invoices").

Called by the approval hook (invoicing.apps) inside the approval's transaction, for one report
(a person's approval, the approval at submit) or a batch (the deadline sweep). The cost is a fixed
number of SQL statements per call plus two per MSP (its proration items), whatever the number of
lines: the sources are read for the whole batch at once and the rows are inserted in bulk.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from licensing.models import TrueUpCharge
from msp_portal.calendar import next_month
from msp_portal.money import CurrencyMismatch
from msp_portal.notifications.services import Notice, notify_many
from msp_portal.tenancy.choices import Role
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.selectors import users_with_roles_by_organisation
from reports.choices import ReportState
from reports.models import ReportPenalty, UsageReport, UsageReportLine
from reports.selectors import line_amount

from .. import notifications, rules
from ..choices import DocumentKind, LineKind, TaxMethodChoice
from ..links import invoice_url
from ..models import Invoice, InvoiceLine, TaxSetting
from ..numbering import numbers_take
from ..proration import proration_items

ZERO = Decimal("0.00")


def of_tenants(model, organisation_ids):
    """``model``'s rows of the named tenants only (a batch spans several MSPs)."""
    return model.objects.with_scope(organisation=sorted(organisation_ids)).get_queryset()


@dataclass
class _Draft:
    """One invoice being built: its report, MSP and unsaved lines (the invoice FK set later)."""

    report: UsageReport
    msp: Organisation
    lines: list[InvoiceLine] = field(default_factory=list)

    def add(self, **values) -> None:
        self.lines.append(
            InvoiceLine(organisation_id=self.msp.pk, position=len(self.lines) + 1, tax=ZERO, **values)
        )


def _refuse_other_currency(draft: _Draft, currency: str, what: str) -> None:
    """One currency per invoice, the MSP's (docs/currency.md): never a sum of two."""
    if currency != draft.msp.currency:
        raise CurrencyMismatch(
            _(
                "The invoice of %(msp)s for %(cycle)s was not issued: %(msp)s is billed in "
                "%(currency)s and %(what)s is in %(other)s."
            )
            % {
                "msp": draft.msp.name,
                "cycle": f"{draft.report.cycle:%Y-%m}",
                "currency": draft.msp.currency,
                "what": what,
                "other": currency,
            }
        )


def _add_usage(drafts: dict[int, _Draft], msp_ids: set[int]) -> None:
    lines = (
        of_tenants(UsageReportLine, msp_ids)
        .filter(report_id__in=list(drafts), billable_units__gt=0)
        .order_by("report_id", "position", "pk")
    )
    for line in lines:
        draft = drafts[line.report_id]
        draft.add(
            kind=LineKind.USAGE,
            description=line.product_name,
            product_code=line.product_code,
            sku_code=line.sku_code,
            quantity=line.billable_units,
            unit_price=line.unit_price,
            amount=line_amount(line),
            report_line=line,
        )


def _add_penalties(drafts: dict[int, _Draft], msp_ids: set[int]) -> None:
    """Only the surcharge: the reset already raised the line's billable units, which the usage
    line bills (the penalty's ``total`` would bill the reset twice)."""
    penalties = (
        of_tenants(ReportPenalty, msp_ids)
        .filter(report_id__in=list(drafts), surcharge__gt=0)
        .select_related("line")
        .order_by("report_id", "line__position", "pk")
    )
    for penalty in penalties:
        draft = drafts[penalty.report_id]
        _refuse_other_currency(draft, penalty.currency, _("a penalty"))
        draft.add(
            kind=LineKind.PENALTY,
            description=penalty.line.product_name,
            product_code=penalty.line.product_code,
            sku_code=penalty.line.sku_code,
            quantity=1,
            unit_price=penalty.surcharge,
            amount=penalty.surcharge,
            penalty=penalty,
        )


def _add_true_ups(drafts: dict[int, _Draft], msp_ids: set[int]) -> None:
    """The MSP's true-up charges dated in the cycle that no invoice holds yet."""
    by_cycle = {(draft.msp.pk, draft.report.cycle): draft for draft in drafts.values()}
    cycles = {cycle for _, cycle in by_cycle}
    invoiced = InvoiceLine.objects.with_scopes_disabled().filter(
        organisation=OuterRef("organisation"), true_up=OuterRef("pk")
    )
    charges = (
        of_tenants(TrueUpCharge, msp_ids)
        .filter(true_up_date__gte=min(cycles), true_up_date__lt=next_month(max(cycles)), amount__gt=0)
        .exclude(Exists(invoiced))
        .select_related("subscription__product")
        .order_by("true_up_date", "subscription_id", "pk")
    )
    for charge in charges:
        draft = by_cycle.get((charge.organisation_id, charge.true_up_date.replace(day=1)))
        if draft is None:  # dated in a month between two of the batch's cycles
            continue
        _refuse_other_currency(draft, charge.currency, _("a true-up charge"))
        product = charge.subscription.product
        draft.add(
            kind=LineKind.TRUE_UP,
            description=product.name,
            product_code=product.product_code,
            sku_code=product.sku_code,
            quantity=charge.units,
            unit_price=charge.unit_price,
            amount=charge.amount,
            true_up=charge,
        )


def _add_prorations(drafts: dict[int, _Draft], msp_ids: set[int]) -> None:
    """The proration items of each report's cycle (invoicing.proration), less those already on
    an invoice."""
    invoiced = set(
        of_tenants(InvoiceLine, msp_ids)
        .filter(
            kind=LineKind.PRORATION,
            proration_change_date__gte=min(d.report.cycle for d in drafts.values()),
            proration_change_date__lt=next_month(max(d.report.cycle for d in drafts.values())),
        )
        .values_list(
            "proration_subscription_id",
            "proration_change_date",
            "proration_old_quantity",
            "proration_new_quantity",
        )
    )
    for draft in drafts.values():
        for item in proration_items(msp=draft.msp, month=draft.report.cycle):
            key = (item.subscription_id, item.change_date, item.old_quantity, item.new_quantity)
            if key in invoiced or item.amount == 0:
                continue
            _refuse_other_currency(draft, item.currency, _("a proration"))
            draft.add(
                kind=LineKind.PRORATION,
                description=item.product_name,
                product_code=item.product_code,
                quantity=item.new_quantity - item.old_quantity,
                unit_price=item.unit_price,
                amount=item.amount,
                proration_subscription_id=item.subscription_id,
                proration_cycle_start=item.cycle_start,
                proration_change_date=item.change_date,
                proration_old_quantity=item.old_quantity,
                proration_new_quantity=item.new_quantity,
            )


def _tax_settings(drafts: dict[int, _Draft]) -> dict[tuple[int, str], TaxSetting]:
    distributor_ids = {draft.msp.distributor_id for draft in drafts.values()}
    countries = {draft.msp.country for draft in drafts.values()}
    return {
        (setting.organisation_id, setting.country): setting
        for setting in of_tenants(TaxSetting, distributor_ids).filter(country__in=countries)
    }


def _invoice_of(draft: _Draft, setting: TaxSetting | None, issued_at: dt.datetime) -> Invoice:
    """The unsaved invoice of ``draft`` with its taxes and totals (invoicing.rules); each line
    gets its own tax under the per-line method."""
    rate = setting.rate_percent if setting else Decimal("0")
    method = setting.method if setting else TaxMethodChoice.ON_TOTAL
    amounts = [line.amount for line in draft.lines]
    for line, tax in zip(
        draft.lines, rules.line_taxes(method=method, rate_percent=rate, line_amounts=amounts), strict=True
    ):
        line.tax = tax
    subtotal = sum(amounts, ZERO)
    tax = rules.invoice_tax(method=method, rate_percent=rate, line_amounts=amounts)
    return Invoice(
        organisation_id=draft.msp.pk,
        distributor_id=draft.msp.distributor_id,
        report=draft.report,
        cycle=draft.report.cycle,
        currency=draft.msp.currency,
        issued_at=issued_at,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        tax_country=draft.msp.country,
        tax_rate_percent=rate,
        tax_method=method,
        tax_rate_missing=setting is None,
    )


def _drafts(reports: Sequence[UsageReport]) -> dict[int, _Draft]:
    """The reports that are approved and not invoiced yet, with their MSPs (two queries)."""
    approved = {report.pk: report for report in reports if report.state == ReportState.APPROVED}
    if not approved:
        return {}
    msps = Organisation.objects.in_bulk({report.organisation_id for report in approved.values()})
    invoiced = set(
        of_tenants(Invoice, msps).filter(report_id__in=list(approved)).values_list("report_id", flat=True)
    )
    drafts = {}
    for report in approved.values():
        if report.pk in invoiced:
            continue
        draft = _Draft(report=report, msp=msps[report.organisation_id])
        _refuse_other_currency(draft, report.currency, _("its usage report"))
        drafts[report.pk] = draft
    return drafts


def invoices_build_for_reports(reports: Sequence[UsageReport]) -> list[Invoice]:
    """Issue the invoice of each approved report of ``reports`` that has none yet (others are
    left alone, so running it twice issues nothing the second time). Call inside the approval's
    transaction; returns the invoices issued, numbered per distributor in the order of
    (distributor, cycle, MSP name). The invoice is dated with the report's approval.

    Lines, in order: one per report line with billable units (units × unit price), one per
    penalty surcharge of the report, the MSP's true-up charges dated in the cycle and not yet
    invoiced, the cycle's proration items. Tax per the distributor's setting for the MSP's
    country (none: 0 % on the total). Raises CurrencyMismatch, which undoes the approval, if a
    source is in another currency than the MSP's. Tells the MSP's admins and billing admins.
    """
    drafts = _drafts(reports)
    if not drafts:
        return []
    msp_ids = {draft.msp.pk for draft in drafts.values()}
    _add_usage(drafts, msp_ids)
    _add_penalties(drafts, msp_ids)
    _add_true_ups(drafts, msp_ids)
    _add_prorations(drafts, msp_ids)
    settings = _tax_settings(drafts)
    ordered = sorted(
        drafts.values(), key=lambda d: (d.msp.distributor_id, d.report.cycle, d.msp.name, d.report.pk)
    )
    invoices = [
        _invoice_of(
            draft,
            settings.get((draft.msp.distributor_id, draft.msp.country)),
            draft.report.reviewed_at or timezone.now(),
        )
        for draft in ordered
    ]
    _number(invoices)
    Invoice.objects.bulk_create(invoices)
    lines = []
    for draft, invoice in zip(ordered, invoices, strict=True):
        for line in draft.lines:
            line.invoice = invoice
            lines.append(line)
    InvoiceLine.objects.bulk_create(lines)
    _tell(invoices, {draft.msp.pk: draft.msp for draft in ordered})
    return invoices


def _number(invoices: list[Invoice]) -> None:
    """Each distributor's next numbers, one statement per distributor, in distributor id order
    (see numbering.numbers_take)."""
    by_distributor: dict[int, list[Invoice]] = {}
    for invoice in invoices:
        by_distributor.setdefault(invoice.distributor_id, []).append(invoice)
    for distributor_id in sorted(by_distributor):
        batch = by_distributor[distributor_id]
        numbers = numbers_take(distributor_id=distributor_id, kind=DocumentKind.INVOICE, count=len(batch))
        for invoice, (sequence, number) in zip(batch, numbers, strict=True):
            invoice.sequence, invoice.number = sequence, number


def _tell(invoices: list[Invoice], msps: dict[int, Organisation]) -> None:
    recipients = users_with_roles_by_organisation(
        organisation_ids=msps, roles=[Role.MSP_ADMIN, Role.MSP_BILLING]
    )
    notify_many(
        Notice(
            organisation=msps[invoice.organisation_id],
            recipients=recipients.get(invoice.organisation_id, []),
            kind=notifications.INVOICE_ISSUED,
            params={
                "number": invoice.number,
                "cycle": f"{invoice.cycle:%Y-%m}",
                "total": f"{invoice.total:.2f}",
                "currency": invoice.currency,
            },
            url=invoice_url(invoice, msps[invoice.organisation_id]),
        )
        for invoice in invoices
    )
