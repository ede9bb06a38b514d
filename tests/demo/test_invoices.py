"""The demo's invoices: issued by the reports demo's approvals through the hook, taxed by
Northwind's settings, with a credit note at each demo MSP; loading twice changes nothing."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django_scopes import scopes_disabled

from invoicing.choices import LineKind
from invoicing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, TaxSetting
from invoicing.rules import TaxMethod
from licensing.models import TrueUpCharge
from msp_portal.tenancy.models import Organisation
from reports.choices import ReportState
from reports.models import UsageReport

from .conftest import SEEN_AT

pytestmark = pytest.mark.now(SEEN_AT)
MODELS = (Invoice, InvoiceLine, CreditNote, CreditNoteLine, TaxSetting)


def counts():
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in MODELS}


def kinds_by_msp():
    """How many issued invoice lines of each kind, and credit notes, each demo MSP has."""
    with scopes_disabled():
        found = {
            (slug, kind): n
            for slug, kind, n in InvoiceLine.objects.values_list("organisation__slug", "kind")
            .annotate(n=Count("pk"))
            .values_list("organisation__slug", "kind", "n")
        }
        found.update(
            {
                (slug, "credit_note"): n
                for slug, n in CreditNote.objects.values_list("organisation__slug")
                .annotate(n=Count("pk"))
                .values_list("organisation__slug", "n")
            }
        )
    return found


def test_loading_the_demo_twice_leaves_the_same_invoices(demo):
    first = counts()
    first_kinds = kinds_by_msp()
    call_command("demo_data", stdout=io.StringIO())
    assert counts() == first
    assert kinds_by_msp() == first_kinds
    assert first["Invoice"] > 0 and first["CreditNote"] == 2


@pytest.mark.parametrize("slug", ["contoso", "fabrikam"])
def test_each_demo_msp_has_issued_invoices_with_every_kind_of_line_and_a_credit_note(demo, slug):
    msp = Organisation.objects.get(slug=slug)
    lines = InvoiceLine.objects.for_tenant(msp).select_related("invoice__report", "penalty", "true_up")
    assert {line.kind for line in lines} == set(LineKind.values)
    # Every line is on an issued invoice of an approved report.
    assert {line.invoice.report.state for line in lines} == {ReportState.APPROVED}
    # The surcharges a policy of the time charged (Fabrikam's is reset-only now): the
    # surcharge alone, the reset being in the usage line's units.
    penalties = [line for line in lines if line.kind == LineKind.PENALTY]
    assert penalties and all(line.amount == line.penalty.surcharge > 0 for line in penalties)
    # An earlier anniversary's true-up, billed on the invoice of its own approved month.
    true_ups = [line for line in lines if line.kind == LineKind.TRUE_UP]
    assert true_ups and all(
        line.true_up.true_up_date.replace(day=1) == line.invoice.cycle
        and line.amount == line.true_up.amount > 0
        for line in true_ups
    )
    assert any(line.amount != 0 for line in lines if line.kind == LineKind.PRORATION)
    note = CreditNote.objects.for_tenant(msp).get()
    assert CreditNoteLine.objects.for_tenant(msp).filter(credit_note=note).exists()


@pytest.mark.parametrize(
    ("slug", "method"), [("contoso", TaxMethod.ON_TOTAL), ("fabrikam", TaxMethod.PER_LINE)]
)
def test_each_approved_demo_report_has_its_invoice_taxed_by_its_country(demo, slug, method):
    msp = Organisation.objects.get(slug=slug)
    approved = UsageReport.objects.for_tenant(msp).filter(state=ReportState.APPROVED)
    invoices = Invoice.objects.for_tenant(msp)
    assert set(invoices.values_list("report_id", flat=True)) == set(approved.values_list("pk", flat=True))
    assert {(i.tax_method, i.tax_rate_missing) for i in invoices} == {(method, False)}
    assert all(i.tax > 0 and i.total == i.subtotal + i.tax for i in invoices)
    kinds = dict(
        InvoiceLine.objects.for_tenant(msp)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    assert kinds[LineKind.USAGE] > 0 and kinds[LineKind.PRORATION] > 0
    # Contoso's auto-submitted report, and Fabrikam's from before it became reset-only.
    assert kinds[LineKind.PENALTY] == 2
    # The later true-up month's report is under review: approving it invoices that true-up.
    report = approved.model.objects.for_tenant(msp).get(state=ReportState.UNDER_REVIEW)
    assert (
        TrueUpCharge.objects.for_tenant(msp)
        .filter(true_up_date__month=report.cycle.month, units__gt=0)
        .exists()
    )
    note = CreditNote.objects.for_tenant(msp).get()
    assert note.total > 0 and note.invoice == invoices.order_by("-cycle").first()
    assert note.issued_at > note.invoice.issued_at
