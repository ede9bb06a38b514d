"""The demo's invoices: issued by the reports demo's approvals through the hook, taxed by
Northwind's settings, with a credit note at each demo MSP; loading twice changes nothing."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django_scopes import scopes_disabled

from invoicing.choices import LineKind
from invoicing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, TaxSetting
from invoicing.rules import TaxMethod
from licensing.models import TrueUpCharge
from msp_portal.tenancy.models import Organisation
from reports.choices import ReportState
from reports.models import UsageReport

LOADED_AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.now("2026-11-20T11:00:00+00:00")
MODELS = (Invoice, InvoiceLine, CreditNote, CreditNoteLine, TaxSetting)


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    with time_machine.travel(LOADED_AT, tick=True), django_db_blocker.unblock(), transaction.atomic():
        call_command("demo_data", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db):
    """The shared demo data set; what a test changes stays in its own savepoint (``db``)."""


def counts():
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in MODELS}


def test_loading_the_demo_twice_leaves_the_same_invoices(demo):
    first = counts()
    call_command("demo_data", stdout=io.StringIO())
    assert counts() == first
    assert first["Invoice"] > 0 and first["CreditNote"] == 2


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
    if slug == "contoso":  # its penalty policy surcharges; Fabrikam's resets only
        assert kinds[LineKind.PENALTY] == 2
    # The true-up month's report is under review: approving it invoices the true-up.
    report = approved.model.objects.for_tenant(msp).get(state=ReportState.UNDER_REVIEW)
    assert (
        TrueUpCharge.objects.for_tenant(msp)
        .filter(true_up_date__month=report.cycle.month, units__gt=0)
        .exists()
    )
    note = CreditNote.objects.for_tenant(msp).get()
    assert note.total > 0 and note.invoice == invoices.order_by("-cycle").first()
    assert note.issued_at > note.invoice.issued_at
