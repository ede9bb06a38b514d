"""Demo invoicing: Northwind's tax settings, and a credit note at each demo MSP.

The invoices themselves are not made here: the reports demo approves its reports through the
services, and each approval issues its invoice through the approval hook, as in production. So
this part comes in two steps around the reports (order 20):

- ``invoicing_tax_demo_load`` (order 15, before the reports are approved): Northwind taxes its
  French MSPs at 20 % on the invoice total and its Canadian ones at 5 % per line, so both methods
  show on the demo invoices;
- ``invoicing_demo_load`` (order 40, after the reports and billing): each demo MSP gets a credit
  note from Northwind's admin on its latest invoice, for two seats of its first line, a few days
  after the invoice.

So each demo MSP's issued invoices show every kind of line (docs/invoicing.md, "Lines"):

- usage and proration on every invoice (the licensing demo's purchases and removals);
- penalty surcharges on the invoice of a report the system submitted with penalties: Contoso's
  policy surcharges; Fabrikam's is reset-only now, but one of its earlier reports was penalised
  under the surcharge it had then (``reports.demo.EarlierPolicy``), and penalties keep it;
- a true-up: each MSP has an agreement transferred from another distributor whose anniversary
  fell five months ago, in an approved month (``licensing.demo.specs``). The demo terms' own
  anniversary falls in the month whose report is under review (the reports demo keeps one
  report in every state): approving it, as a reviewer would in the demo, issues the invoice
  that carries those true-up charges.

Idempotent: a tax setting is found by its country, and an MSP that already has a credit note
gets no other; running it again changes nothing.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from unittest import mock

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from msp_portal.notifications.demo import newest_notification_pk, notifications_settle_old
from msp_portal.tenancy.choices import ROLE_PERMISSIONS, Role
from msp_portal.tenancy.models import Membership, Organisation
from msp_portal.tenancy.resolve import TenantContext

from .choices import TaxMethodChoice
from .models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, TaxSetting
from .services import CreditRequest, credit_note_issue

DISTRIBUTOR = "northwind"
TAXES = (("FR", Decimal("20"), TaxMethodChoice.ON_TOTAL), ("CA", Decimal("5"), TaxMethodChoice.PER_LINE))
MSPS = ("contoso", "fabrikam")
CREDIT_REASON = (
    "Goodwill credit: %(count)s seats of %(product)s were activated late by the vendor this month "
    "(ticket %(ref)s)."
)


@contextlib.contextmanager
def _clock_at(moment: dt.datetime) -> Iterator[None]:
    """Issue as if it were ``moment`` (the way reports.demo tells its past)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _acting(organisation: Organisation, role: str) -> tuple[TenantContext, object]:
    membership = Membership.objects.for_tenant(organisation).filter(role=role).select_related("user").first()
    return TenantContext(organisation=organisation, membership=membership, perms=ROLE_PERMISSIONS[role]), (
        membership.user
    )


@transaction.atomic
def invoicing_tax_demo_load() -> dict[str, int]:
    """Northwind's tax settings (order 15: before the reports demo approves and so invoices)."""
    distributor = Organisation.objects.get(slug=DISTRIBUTOR)
    for country, rate, method in TAXES:
        TaxSetting.objects.for_tenant(distributor).get_or_create(
            organisation=distributor, country=country, defaults={"rate_percent": rate, "method": method}
        )
    with scopes_disabled():
        return {"tax_settings": TaxSetting.objects.count()}


def _credit_latest(msp: Organisation, tenant: TenantContext, user, now: dt.datetime) -> None:
    invoice = Invoice.objects.for_tenant(msp).order_by("-cycle").first()
    if invoice is None:
        return
    line = (
        InvoiceLine.objects.for_tenant(msp)
        .filter(invoice=invoice, amount__gt=0, quantity__gt=2)
        .order_by("position")
        .first()
    )
    if line is None:
        return
    seats = 2
    amount = min(line.amount, (line.amount / line.quantity * seats).quantize(Decimal("0.01")))
    with _clock_at(min(invoice.issued_at + dt.timedelta(days=4, hours=2), now)):
        credit_note_issue(
            tenant=tenant,
            acting_user=user,
            invoice_id=invoice.pk,
            reason=CREDIT_REASON
            % {"count": seats, "product": line.description, "ref": f"NW-{invoice.sequence:05d}"},
            lines=[CreditRequest(line.pk, amount)],
        )


@transaction.atomic
def invoicing_demo_load() -> dict[str, int]:
    """A credit note at each demo MSP (order 40; see the module docstring); returns how many
    rows of each kind now exist."""
    now = timezone.now()
    distributor = Organisation.objects.get(slug=DISTRIBUTOR)
    tenant, user = _acting(distributor, Role.DIST_ADMIN)
    first_new_pk = newest_notification_pk()
    for slug in MSPS:
        msp = Organisation.objects.get(slug=slug)
        if not CreditNote.objects.for_tenant(msp).exists():
            _credit_latest(msp, tenant, user, now)
    notifications_settle_old(after_pk=first_new_pk, now=now)
    with scopes_disabled():
        return {
            "invoices": Invoice.objects.count(),
            "invoice_lines": InvoiceLine.objects.count(),
            "credit_notes": CreditNote.objects.count(),
            "credit_note_lines": CreditNoteLine.objects.count(),
        }
