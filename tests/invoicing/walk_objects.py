"""An invoice, a credit note and a tax setting of an organisation, for the tests that walk
every tenant URL (tests/test_tenancy.py ID_OF, tests/test_no_500.py): found when they exist,
made through the real services otherwise (a report for August 2026 submitted and approved).

August, so that the reports these walkers make themselves (September under review, October in
preparation) stay the only ones of their cycles."""

import datetime as dt

from django.db.models import F
from django_scopes import scopes_disabled

from invoicing.models import CreditNote, Invoice, TaxSetting
from invoicing.services import CreditRequest, credit_note_issue, tax_setting_save
from msp_portal.tenancy.models import Membership, Organisation
from msp_portal.tenancy.resolve import tenant_context_of
from reports.models import UsageReportLine
from reports.services import usage_report_approve, usage_report_open, usage_report_submit

from ..reports.conftest import line_specs

AUGUST = dt.date(2026, 8, 1)


def _msp_of(org: Organisation) -> Organisation:
    return org if org.is_msp else Organisation.objects.filter(distributor=org).order_by("pk").first()


def _member(org: Organisation, role: str, *, not_user=None) -> Membership:
    with scopes_disabled():
        members = Membership.objects.select_related("organisation", "organisation__distributor", "user")
        members = members.filter(organisation=org, role=role).order_by("pk")
        if not_user is not None:
            members = members.exclude(user=not_user)
        return members.first()


def invoice_of(org: Organisation) -> Invoice:
    """An invoice of the MSP (of the first MSP a distributor serves)."""
    msp = _msp_of(org)
    found = Invoice.objects.for_tenant(msp).order_by("pk").first()
    if found is not None:
        return found
    report, _ = usage_report_open(msp=msp, cycle=AUGUST, lines=line_specs())
    # Billable as provided: no discrepancy to explain before submitting.
    UsageReportLine.objects.for_tenant(msp).filter(report=report).update(billable_units=F("provided_units"))
    submitter = _member(msp, "msp_admin")
    usage_report_submit(tenant=tenant_context_of(submitter), acting_user=submitter.user, report_id=report.pk)
    reviewer = _member(msp.distributor, "dist_reviewer", not_user=submitter.user)
    usage_report_approve(tenant=tenant_context_of(reviewer), acting_user=reviewer.user, report_id=report.pk)
    return Invoice.objects.for_tenant(msp).get(report=report)


def credit_note_of(org: Organisation) -> CreditNote:
    """A credit note of 1.00 on the invoice above (which keeps the rest to credit)."""
    invoice = invoice_of(org)
    found = CreditNote.objects.for_tenant(invoice.organisation).order_by("pk").first()
    if found is not None:
        return found
    admin = _member(invoice.distributor, "dist_admin")
    first_line = invoice.lines.model.objects.for_tenant(invoice.organisation).filter(invoice=invoice).first()
    return credit_note_issue(
        tenant=tenant_context_of(admin),
        acting_user=admin.user,
        invoice_id=invoice.pk,
        reason="Walk",
        lines=[CreditRequest(first_line.pk, "1.00")],
    )


def tax_setting_of(org: Organisation) -> TaxSetting:
    """A tax setting of the distributor (the MSP's distributor's)."""
    distributor = org if org.is_distributor else org.distributor
    found = TaxSetting.objects.for_tenant(distributor).order_by("pk").first()
    if found is not None:
        return found
    admin = _member(distributor, "dist_admin")
    return tax_setting_save(tenant=tenant_context_of(admin), country="ZZ", rate_percent="10", method="total")


ID_FINDERS = {
    "invoice_id": lambda org: invoice_of(org).pk,
    "credit_note_id": lambda org: credit_note_of(org).pk,
    "tax_setting_id": lambda org: tax_setting_of(org).pk,
}
