"""Invoicing's pages (docs/invoicing.md, "Invoices"): who opens which page, what the list,
an invoice and a credit note show, the filters and totals, the CSV downloads, the credit-note
form and the tax settings of a distributor admin."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import CreditNote, TaxSetting
from invoicing.services import CreditRequest, credit_note_issue

from .invoice_world import LINES_TOTAL, approved_invoice, lines_of, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")
READERS = ["msp_admin", "msp_billing", "dist_reviewer", "dist_admin"]


@pytest.fixture
def invoices(world):
    """MSP A: September and October (October partly credited); MSP B: October."""
    september = approved_invoice(world.a, cycle=dt.date(2026, 9, 1))
    october = approved_invoice(world.a)
    note = credit_note_issue(
        tenant=tenant_of(world.a, "dist_admin"),
        acting_user=world.a.users["dist_admin"],
        invoice_id=october.pk,
        reason="Goodwill for the outage",
        lines=[CreditRequest(lines_of(october)[0].pk, "10.00")],
    )
    other = approved_invoice(world.b)
    return september, october, note, other


def url(name, side_org, **kwargs):
    return reverse(f"invoicing:{name}", kwargs={"org_slug": side_org.slug, **kwargs})


def page_urls(org, invoice, note):
    return [
        url("invoice-list", org),
        url("invoice-detail", org, invoice_id=invoice.pk),
        url("invoice-print", org, invoice_id=invoice.pk),
        url("invoice-pdf", org, invoice_id=invoice.pk),
        url("invoice-lines-csv", org, invoice_id=invoice.pk),
        url("credit-note-list", org),
        url("credit-note-detail", org, credit_note_id=note.pk),
    ]


@pytest.mark.parametrize("role", READERS)
def test_every_reader_opens_every_page_of_its_own_invoices(world, invoices, login, role):
    september, october, note, other = invoices
    client = login(world.a.users[role])
    for address in page_urls(world.a.org_of(role), october, note):
        assert client.get(address).status_code == 200, address


@pytest.mark.parametrize("role", READERS + ["msp_viewer"])
def test_another_organisations_invoice_and_credit_note_are_404(world, invoices, login, role):
    september, october, note, other = invoices
    other_note = credit_note_issue(
        tenant=tenant_of(world.b, "dist_admin"),
        acting_user=world.b.users["dist_admin"],
        invoice_id=other.pk,
        reason="Goodwill",
    )
    client = login(world.a.users[role])
    org = world.a.org_of(role)
    for address in page_urls(org, other, other_note)[1:5] + [
        url("credit-note-detail", org, credit_note_id=other_note.pk)
    ]:
        assert client.get(address).status_code == 404, address
    # Another organisation's slug: not even its list.
    assert client.get(url("invoice-list", world.b.org_of(role))).status_code == 404


def test_msp_viewer_gets_403_and_no_link(world, invoices, login):
    september, october, note, other = invoices
    client = login(world.a.users["msp_viewer"])
    for address in page_urls(world.a.msp, october, note):
        assert client.get(address).status_code == 403, address
    dashboard = client.get(reverse("tenancy:dashboard", kwargs={"org_slug": world.a.msp.slug}))
    assert url("invoice-list", world.a.msp) not in dashboard.content.decode()
    assert url("credit-note-list", world.a.msp) not in dashboard.content.decode()
    assert "Invoices outstanding" not in dashboard.content.decode()


def test_dashboard_panel_shows_what_is_left_and_the_latest_invoice(world, invoices, login):
    september, october, note, other = invoices
    for role in ("msp_billing", "dist_reviewer"):
        org = world.a.org_of(role)
        page = login(world.a.users[role]).get(reverse("tenancy:dashboard", kwargs={"org_slug": org.slug}))
        panel = page.content.decode().split('id="invoices-panel"')[1]
        assert "Invoices outstanding" in panel
        assert f"{september.total + october.total - Decimal('10.00')}" in panel  # left on both
        assert "2 invoices not credited in full" in panel
        assert url("invoice-detail", org, invoice_id=october.pk) in panel


def test_menu_links_by_role(world, login):
    msp_admin = login(world.a.users["msp_admin"]).get(
        reverse("tenancy:dashboard", kwargs={"org_slug": world.a.msp.slug})
    )
    assert url("invoice-list", world.a.msp) in msp_admin.content.decode()
    reviewer = (
        login(world.a.users["dist_reviewer"])
        .get(reverse("tenancy:dashboard", kwargs={"org_slug": world.a.distributor.slug}))
        .content.decode()
    )
    assert url("invoice-list", world.a.distributor) in reviewer
    assert url("true-up-list", world.a.distributor) in reviewer
    assert url("tax-setting-list", world.a.distributor) not in reviewer
    admin = (
        login(world.a.users["dist_admin"])
        .get(reverse("tenancy:dashboard", kwargs={"org_slug": world.a.distributor.slug}))
        .content.decode()
    )
    assert url("tax-setting-list", world.a.distributor) in admin


def test_the_invoice_page_reads_like_an_invoice(world, invoices, login):
    september, october, note, other = invoices
    html = login(world.a.users["msp_admin"]).get(url("invoice-detail", world.a.msp, invoice_id=october.pk))
    text = html.content.decode()
    for expected in (
        october.number,
        "Distributor A",
        "MSP A",
        "Country: US",
        "October 2026",
        "Usage",
        "Microsoft 365 Business Premium",
        "792.00",  # 36 × 22.00
        f"{LINES_TOTAL}",
        "no tax rate is set for US",
        note.number,
        "Goodwill for the outage",
        "Amount left",
    ):
        assert expected in text, expected
    assert f"{october.total - Decimal('10.00')}" in text  # left: the credit note has no tax at 0 %


def test_the_list_filters_and_totals(world, invoices, login):
    september, october, note, other = invoices
    client = login(world.a.users["dist_reviewer"])
    base = url("invoice-list", world.a.distributor)
    page = client.get(base)
    assert page.context["invoices"] == [october, september]  # not MSP B's (another distributor)
    assert f"{september.total + october.total}" in page.content.decode()  # the totals of both
    only_october = client.get(base, {"period_from": "2026-10", "period_to": "2026-10-31"})
    assert only_october.context["invoices"] == [october]
    partly = client.get(base, {"status": "partially_credited"}).context["invoices"]
    assert partly == [october]
    by_number = client.get(base, {"number": september.number[-3:]}).context["invoices"]
    assert by_number == [september]
    by_msp = client.get(base, {"msp": world.a.msp.slug}).context
    assert [row["organisation__name"] for row in by_msp["totals_by_msp"]] == ["MSP A"]
    assert client.get(base, {"msp": world.b.msp.slug}).context["invoices"] == []
    refused = client.get(base, {"period_from": "October"})
    assert refused.status_code == 200 and refused.context["invoices"] == []
    assert "period_from" in refused.context["filters"].errors


def test_empty_state(world, login):
    page = login(world.a.users["msp_billing"]).get(url("invoice-list", world.a.msp)).content.decode()
    assert "No invoice yet" in page


def test_the_list_and_the_lines_as_csv(world, invoices, login):
    september, october, note, other = invoices
    client = login(world.a.users["msp_billing"])
    response = client.get(url("invoice-list", world.a.msp), {"format": "csv", "period_from": "2026-10"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Number", "MSP", "Cycle"]
    assert rows[1][:3] == [october.number, "MSP A", "2026-10"]
    assert rows[1][rows[0].index("Total")] == f"{october.total}"
    assert rows[1][rows[0].index("Credited")] == "10.00"
    assert rows[1][rows[0].index("Status")] == "Partially credited"
    assert len(rows) == 2
    response = client.get(url("invoice-lines-csv", world.a.msp, invoice_id=october.pk))
    assert response["Content-Disposition"] == f'attachment; filename="{october.number}-lines.csv"'
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == [
        "Line",
        "Kind",
        "Description",
        "Product id",
        "SKU",
        "Quantity",
        "Unit price",
        "Amount",
        "Tax",
    ]
    assert lines[1] == [
        "1",
        "Usage",
        "Microsoft 365 Business Premium",
        "MS-365-BP",
        "",
        "36",
        "22.00",
        "792.00",
        "0.00",
    ]


def test_credit_note_form_whole_invoice(world, invoices, login):
    september, october, note, other = invoices
    client = login(world.a.users["dist_admin"])
    address = url("credit-note-issue", world.a.distributor, invoice_id=september.pk)
    assert client.get(address).status_code == 200
    response = client.post(address, {"reason": "Billed twice", "scope": "whole"})
    issued = CreditNote.objects.for_tenant(world.a.msp).get(invoice=september)
    assert response.status_code == 302 and response.url == url(
        "credit-note-detail", world.a.distributor, credit_note_id=issued.pk
    )
    assert issued.total == september.total
    detail = client.get(url("invoice-detail", world.a.distributor, invoice_id=september.pk))
    assert detail.context["invoice"].status == "credited"
    assert (
        url("credit-note-issue", world.a.distributor, invoice_id=september.pk) not in detail.content.decode()
    )


def test_credit_note_form_errors_on_their_fields(world, invoices, login):
    september, october, note, other = invoices
    client = login(world.a.users["dist_admin"])
    address = url("credit-note-issue", world.a.distributor, invoice_id=september.pk)
    first = lines_of(september)[0]
    response = client.post(
        address, {"reason": "", "scope": "lines", f"line_{first.pk}": "on", f"amount_{first.pk}": "9999.00"}
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors.get("reason") or form.errors.get(f"amount_{first.pk}")
    response = client.post(
        address,
        {
            "reason": "Too many seats",
            "scope": "lines",
            f"line_{first.pk}": "on",
            f"amount_{first.pk}": "9999.00",
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors[f"amount_{first.pk}"]
    response = client.post(address, {"reason": "Too many seats", "scope": "lines"})
    assert response.status_code == 422 and response.context["form"].errors["scope"]
    response = client.post(
        address,
        {
            "reason": "Too many seats",
            "scope": "lines",
            f"line_{first.pk}": "on",
            f"amount_{first.pk}": "12.50",
        },
    )
    assert response.status_code == 302
    assert CreditNote.objects.for_tenant(world.a.msp).get(invoice=september).subtotal == Decimal("12.50")


@pytest.mark.parametrize("role", ["dist_reviewer", "msp_admin", "msp_billing"])
def test_only_the_distributor_admin_issues_credit_notes(world, invoices, login, role):
    september, october, note, other = invoices
    client = login(world.a.users[role])
    org = world.a.org_of(role)
    expected = 403 if org.is_distributor else 404  # the page exists for distributors only
    assert client.get(url("credit-note-issue", org, invoice_id=september.pk)).status_code == expected
    assert client.post(url("credit-note-issue", org, invoice_id=september.pk), {}).status_code == expected


def test_tax_settings_add_change_remove(world, login):
    client = login(world.a.users["dist_admin"])
    address = url("tax-setting-list", world.a.distributor)
    assert "No tax setting yet" in client.get(address).content.decode()
    refused = client.post(address, {"country": "F1", "rate_percent": "120", "method": "total"})
    assert refused.status_code == 422
    assert refused.context["form"].errors["country"] and refused.context["form"].errors["rate_percent"]
    assert client.post(address, {"country": "fr", "rate_percent": "20", "method": "total"}).status_code == 302
    setting = TaxSetting.objects.for_tenant(world.a.distributor).get()
    assert (setting.country, setting.rate_percent) == ("FR", Decimal("20.000"))
    edit = url("tax-setting-edit", world.a.distributor, tax_setting_id=setting.pk)
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"rate_percent": "5.5", "method": "line"}).status_code == 302
    setting.refresh_from_db()
    assert (setting.rate_percent, setting.method) == (Decimal("5.500"), "line")
    delete = url("tax-setting-delete", world.a.distributor, tax_setting_id=setting.pk)
    assert client.post(delete).status_code == 302
    assert not TaxSetting.objects.for_tenant(world.a.distributor).exists()


def test_tax_settings_of_another_distributor_are_404_and_reviewers_get_403(world, login):
    from invoicing.services import tax_setting_save

    mine = tax_setting_save(
        tenant=tenant_of(world.a, "dist_admin"), country="FR", rate_percent="20", method="total"
    )
    theirs = tax_setting_save(
        tenant=tenant_of(world.b, "dist_admin"), country="FR", rate_percent="20", method="total"
    )
    admin = login(world.a.users["dist_admin"])
    assert (
        admin.get(url("tax-setting-edit", world.a.distributor, tax_setting_id=theirs.pk)).status_code == 404
    )
    assert (
        admin.post(url("tax-setting-delete", world.a.distributor, tax_setting_id=theirs.pk)).status_code
        == 404
    )
    reviewer = login(world.a.users["dist_reviewer"])
    assert reviewer.get(url("tax-setting-list", world.a.distributor)).status_code == 403
    assert (
        reviewer.get(url("tax-setting-edit", world.a.distributor, tax_setting_id=mine.pk)).status_code == 403
    )
    assert (
        reviewer.get(url("tax-setting-edit", world.a.distributor, tax_setting_id=theirs.pk)).status_code
        == 404
    )


def test_true_ups_page(world, login):
    reviewer = login(world.a.users["dist_reviewer"])
    page = reviewer.get(url("true-up-list", world.a.distributor))
    assert page.status_code == 200 and "No true-up charged yet" in page.content.decode()
    assert login(world.a.users["msp_admin"]).get(url("true-up-list", world.a.msp)).status_code == 404
