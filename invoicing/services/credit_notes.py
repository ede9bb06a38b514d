"""Credit notes: a distributor admin corrects an issued invoice (docs/invoicing.md, "Credit
notes"). The invoice itself never changes; what is left to credit is the invoice less its credit
notes, read under the invoice's row lock so two credit notes at once cannot both take the rest."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from msp_portal.errors import Invalid, NotAllowed, item_key
from msp_portal.money import CENT
from msp_portal.notifications.services import notify
from msp_portal.tenancy.choices import Perm, Role
from msp_portal.tenancy.models import User
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import one_or_not_found, users_with_roles

from .. import notifications, rules
from ..choices import DocumentKind
from ..links import credit_note_url
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from ..numbering import numbers_take

ZERO = Decimal("0.00")
REASON_MAX = 2000


@dataclass(frozen=True)
class CreditRequest:
    """One invoice line to credit; ``amount`` (before tax, text or Decimal) None: all that is
    left of the line."""

    invoice_line_id: int
    amount: object = None


@dataclass
class _LineLeft:
    line: InvoiceLine
    amount: Decimal  # what is left to credit of the line's amount
    tax: Decimal  # and of its tax (per-line method)


def _lines_left(invoice: Invoice) -> dict[int, _LineLeft]:
    credited = {
        row["invoice_line_id"]: row
        for row in CreditNoteLine.objects.for_tenant(invoice.organisation)
        .filter(credit_note__invoice=invoice)
        .values("invoice_line_id")
        .annotate(amount=Sum("amount"), tax=Sum("tax"))
    }
    left = {}
    for line in (
        InvoiceLine.objects.for_tenant(invoice.organisation).filter(invoice=invoice).order_by("position")
    ):
        done = credited.get(line.pk, {"amount": ZERO, "tax": ZERO})
        left[line.pk] = _LineLeft(line=line, amount=line.amount - done["amount"], tax=line.tax - done["tax"])
    return left


def _parse_amount(value, key: str, left: _LineLeft) -> Decimal:
    if value is None or value == "":
        return left.amount
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(CENT):
        raise Invalid(
            _("Enter an amount with at most two decimals."),
            field_errors={key: [_("Enter an amount such as 12.50.")]},
        )
    if left.amount < 0:  # a refund line (proration) is given back whole or not at all
        if amount != left.amount:
            raise Invalid(
                _("A refund line can only be credited whole."),
                field_errors={key: [_("Leave the amount empty to credit the whole line.")]},
            )
        return amount
    if amount <= 0 or amount > left.amount:
        raise Invalid(
            _("A line can be credited from 0.01 up to what is left of it: %(left)s.") % {"left": left.amount},
            field_errors={key: [_("At most %(left)s.") % {"left": left.amount}]},
        )
    return amount


def _chosen(
    left: dict[int, _LineLeft], requests: Sequence[CreditRequest] | None
) -> list[tuple[_LineLeft, Decimal]]:
    """The lines and amounts to credit: every line with something left (``requests`` None: the
    whole invoice), or the requested ones (errors keyed ``lines.N.amount``, counted from 1)."""
    if requests is None:
        return [(entry, entry.amount) for entry in left.values() if entry.amount != 0]
    if not requests:
        raise Invalid(
            _("Choose at least one line to credit."), field_errors={"lines": [_("Choose at least one line.")]}
        )
    chosen, seen = [], set()
    for number, request in enumerate(requests, start=1):
        try:
            entry = left.get(int(request.invoice_line_id))
        except (TypeError, ValueError):  # not an id at all: the same answer as another invoice's
            entry = None
        if entry is None or entry.line.pk in seen:
            raise Invalid(
                _("Line %(number)s is not a line of this invoice, or is chosen twice.") % {"number": number},
                field_errors={
                    item_key("lines", number, "invoice_line"): [_("Choose a line of this invoice.")]
                },
            )
        seen.add(entry.line.pk)
        if entry.amount == 0:
            raise Invalid(
                _("Line %(number)s is already credited in full.") % {"number": number},
                field_errors={item_key("lines", number, "amount"): [_("Nothing is left to credit.")]},
            )
        chosen.append((entry, _parse_amount(request.amount, item_key("lines", number, "amount"), entry)))
    return chosen


def _credited_so_far(invoice: Invoice) -> tuple[Decimal, Decimal]:
    """(tax, total) of the invoice's credit notes so far."""
    sums = (
        CreditNote.objects.for_tenant(invoice.organisation)
        .filter(invoice=invoice)
        .aggregate(tax=Sum("tax"), total=Sum("total"))
    )
    return sums["tax"] or ZERO, sums["total"] or ZERO


def _credit_lines(
    invoice: Invoice, left, chosen, credited_tax: Decimal
) -> tuple[list[CreditNoteLine], Decimal]:
    """The credit note's unsaved lines and its tax, by the invoice's own rate and method
    (invoicing.rules). Crediting the rest of a line gives back the rest of its tax (per line),
    crediting the rest of the invoice the rest of the invoice's tax (on the total), so the credit
    notes of an invoice credited in full add up to it to the cent."""
    rate, method = invoice.tax_rate_percent, invoice.tax_method
    per_line = method == rules.TaxMethod.PER_LINE
    lines = []
    for position, (entry, amount) in enumerate(chosen, start=1):
        tax = ZERO
        if per_line:
            tax = entry.tax if amount == entry.amount else rules.tax_amount(rate, amount)
        lines.append(
            CreditNoteLine(
                organisation_id=invoice.organisation_id,
                invoice_line=entry.line,
                position=position,
                description=entry.line.description,
                amount=amount,
                tax=tax,
            )
        )
    if per_line:
        return lines, sum((line.tax for line in lines), ZERO)
    closed = {entry.line.pk for entry, amount in chosen if amount == entry.amount}
    if closed == {pk for pk, entry in left.items() if entry.amount != 0}:
        return lines, invoice.tax - credited_tax
    return lines, rules.invoice_tax(
        method=method, rate_percent=rate, line_amounts=[line.amount for line in lines]
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            _("Give the reason for the credit note: the MSP sees it."),
            field_errors={"reason": [_("This field is required.")]},
        )
    if len(reason) > REASON_MAX:
        raise Invalid(
            _("The reason holds at most %(max)s characters.") % {"max": REASON_MAX},
            field_errors={"reason": [_("Shorten it.")]},
        )
    return reason


@transaction.atomic
def credit_note_issue(
    *,
    tenant: TenantContext,
    acting_user: User,
    invoice_id: int,
    reason: str,
    lines: Sequence[CreditRequest] | None = None,
) -> CreditNote:
    """Issue a credit note against an invoice of one of the distributor's MSPs (distributor
    admins: Perm.ISSUE_INVOICES). ``lines`` None credits everything left on the invoice; else
    the chosen lines, each whole or for an amount. Refused (Invalid, keys ``reason``, ``lines``,
    ``lines.N.amount``, ``lines.N.invoice_line``, ``amount``) when the credit would pass what is
    left to credit; another organisation's invoice is NotFound. Numbered CN-… per distributor,
    immutable, and the MSP's admins and billing admins are told."""
    if not tenant.organisation.is_distributor or not tenant.can(Perm.ISSUE_INVOICES):
        raise NotAllowed()
    reason = _clean_reason(reason)
    # The row lock serialises credit notes of one invoice (a lock fires no UPDATE trigger).
    invoice = one_or_not_found(
        Invoice.objects.for_served_msps_of(tenant.organisation)
        .select_related("organisation")
        .select_for_update(of=("self",)),
        pk=invoice_id,
    )
    credited_tax, credited_total = _credited_so_far(invoice)
    left = _lines_left(invoice)
    chosen = _chosen(left, lines)
    note_lines, tax = _credit_lines(invoice, left, chosen, credited_tax)
    subtotal = sum((line.amount for line in note_lines), ZERO)
    total = subtotal + tax
    remaining = invoice.total - credited_total
    if total <= 0 or total > remaining:
        message = _(
            "A credit note of %(total)s %(currency)s is refused: %(left)s %(currency)s is left to credit."
        ) % {
            "total": total,
            "left": remaining,
            "currency": invoice.currency,
        }
        raise Invalid(message, code="credit_above_invoice", field_errors={"amount": [message]})
    note = _insert(invoice, acting_user, reason, note_lines, tax)
    _tell(invoice, note)
    return note


def _insert(
    invoice: Invoice, acting_user: User, reason: str, lines: list[CreditNoteLine], tax: Decimal
) -> CreditNote:
    """Number and insert the credit note and its lines (immutable from here on)."""
    ((sequence, number),) = numbers_take(
        distributor_id=invoice.distributor_id, kind=DocumentKind.CREDIT_NOTE, count=1
    )
    subtotal = sum((line.amount for line in lines), ZERO)
    note = CreditNote.objects.create(
        organisation=invoice.organisation,
        distributor_id=invoice.distributor_id,
        invoice=invoice,
        currency=invoice.currency,
        sequence=sequence,
        number=number,
        issued_at=timezone.now(),
        issued_by=acting_user,
        reason=reason,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
    )
    for line in lines:
        line.credit_note = note
    CreditNoteLine.objects.bulk_create(lines)
    return note


def _tell(invoice: Invoice, note: CreditNote) -> None:
    msp = invoice.organisation
    notify(
        organisation=msp,
        recipients=users_with_roles(organisation=msp, roles=[Role.MSP_ADMIN, Role.MSP_BILLING]),
        kind=notifications.CREDIT_NOTE_ISSUED,
        params={
            "number": note.number,
            "invoice": invoice.number,
            "total": f"{note.total:.2f}",
            "currency": invoice.currency,
            "reason": note.reason,
        },
        url=credit_note_url(note, msp),
    )
