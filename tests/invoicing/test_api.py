"""The invoicing API (docs/invoicing.md, "Invoices"): lists with the pages' filters, an invoice
with its lines and credit notes, a credit note with its lines; every amount a decimal string;
a distributor reads its MSPs'; another organisation's ids are 404, an MSP viewer gets 403."""

import datetime as dt
from decimal import Decimal

import pytest

from invoicing.services import CreditRequest, credit_note_issue, tax_setting_save

from .invoice_world import approved_invoice, lines_of, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")
READERS = ["msp_admin", "msp_billing", "dist_reviewer", "dist_admin"]


@pytest.fixture
def invoices(world):
    tax_setting_save(tenant=tenant_of(world.a, "dist_admin"), country="US", rate_percent="10", method="total")
    september = approved_invoice(world.a, cycle=dt.date(2026, 9, 1))
    october = approved_invoice(world.a)
    note = credit_note_issue(
        tenant=tenant_of(world.a, "dist_admin"),
        acting_user=world.a.users["dist_admin"],
        invoice_id=october.pk,
        reason="Goodwill",
        lines=[CreditRequest(lines_of(october)[0].pk, "10.00")],
    )
    other = approved_invoice(world.b)
    other_note = credit_note_issue(
        tenant=tenant_of(world.b, "dist_admin"),
        acting_user=world.b.users["dist_admin"],
        invoice_id=other.pk,
        reason="Goodwill",
    )
    return september, october, note, other, other_note


def api(org, path=""):
    return f"/api/v1/orgs/{org.slug}/{path}"


def all_strings(value, path="$"):
    """Every money-like leaf is a string: walk the body and refuse any float."""
    if isinstance(value, dict):
        for key, item in value.items():
            all_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            all_strings(item, f"{path}[{index}]")
    else:
        assert not isinstance(value, float), path


@pytest.mark.parametrize("role", READERS)
def test_readers_list_and_open_their_invoices_and_credit_notes(world, invoices, login, role):
    september, october, note, other, other_note = invoices
    client = login(world.a.users[role])
    org = world.a.org_of(role)
    listed = client.get(api(org, "invoices/")).json()
    assert [row["id"] for row in listed["results"]] == [october.pk, september.pk]
    all_strings(listed)
    detail = client.get(api(org, f"invoices/{october.pk}/")).json()
    assert detail["number"] == october.number and detail["msp"] == world.a.msp.slug
    assert detail["subtotal"] == f"{october.subtotal}" and detail["tax"] == f"{october.tax}"
    assert detail["total"] == f"{october.total}" and detail["credited"] == "11.00"  # 10.00 + 10 % tax
    assert detail["left_to_credit"] == f"{october.total - Decimal('11.00')}"
    assert detail["status"] == "partially_credited" and detail["tax_rate_percent"] == "10.000"
    assert [line["amount"] for line in detail["lines"]] == [f"{line.amount}" for line in lines_of(october)]
    assert detail["lines"][0]["unit_price"] == "22.00000000"
    assert detail["credit_notes"][0]["number"] == note.number
    assert detail["credit_notes"][0]["lines"][0] == {
        "position": 1,
        "invoice_line": lines_of(october)[0].pk,
        "description": lines_of(october)[0].description,
        "amount": "10.00",
        "tax": "0.00",
    }
    assert detail["urls"]["page"] == f"/o/{org.slug}/invoices/{october.pk}/"
    all_strings(detail)
    notes = client.get(api(org, "credit-notes/")).json()
    assert [row["id"] for row in notes["results"]] == [note.pk]
    one = client.get(api(org, f"credit-notes/{note.pk}/")).json()
    assert one["total"] == "11.00" and one["invoice_number"] == october.number and len(one["lines"]) == 1


@pytest.mark.parametrize("role", READERS + ["msp_viewer"])
def test_another_organisations_ids_and_slug_are_404(world, invoices, login, role):
    september, october, note, other, other_note = invoices
    client = login(world.a.users[role])
    org = world.a.org_of(role)
    assert client.get(api(org, f"invoices/{other.pk}/")).status_code == 404
    assert client.get(api(org, f"credit-notes/{other_note.pk}/")).status_code == 404
    assert client.get(api(world.b.org_of(role), "invoices/")).status_code == 404
    assert client.get(api(world.b.org_of(role), "credit-notes/")).status_code == 404


def test_msp_viewer_gets_403(world, invoices, login):
    september, october, note, other, other_note = invoices
    client = login(world.a.users["msp_viewer"])
    for path in ("invoices/", f"invoices/{october.pk}/", "credit-notes/", f"credit-notes/{note.pk}/"):
        assert client.get(api(world.a.msp, path)).status_code == 403, path


def test_filters(world, invoices, login):
    september, october, note, other, other_note = invoices
    client = login(world.a.users["dist_admin"])
    org = world.a.distributor

    def ids(**params):
        response = client.get(api(org, "invoices/"), params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(period_from="2026-10") == [october.pk]
    assert ids(period_to="2026-09-15") == [september.pk]
    assert ids(status="issued") == [september.pk]
    assert ids(status="credited") == []
    assert ids(number=september.number) == [september.pk]
    assert ids(msp=world.a.msp.slug) == [october.pk, september.pk]
    assert ids(msp=world.b.msp.slug) == []
    refused = client.get(api(org, "invoices/"), {"status": "paid"})
    assert refused.status_code == 400 and "status" in refused.json()["errors"]
    assert client.get(api(org, "invoices/"), {"period_from": "soon"}).status_code == 400
    assert client.get(api(org, "invoices/"), {"number": ""}).status_code == 400
    notes = client.get(api(org, "credit-notes/"), {"invoice": september.pk}).json()
    assert notes["results"] == []
    notes = client.get(api(org, "credit-notes/"), {"invoice": october.pk}).json()
    assert [row["id"] for row in notes["results"]] == [note.pk]
