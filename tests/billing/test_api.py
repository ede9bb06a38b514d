"""The reconciliation imports through the API (docs/billing.md, "Imports"): a multipart upload
is queued (202) and followed by its URL; the list shares the page's filters; a refusal's problems
come paginated; the wrong body is a 415 or a 400 naming the field; only MSP billing roles
upload, and an organisation reaches only its own imports."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import ReconciliationImport
from billing.selectors import import_progress_key
from billing.services import import_file_path, reconciliation_import_run_stored

from .files import INVOICE_HEADER, csv_bytes, daily_usage_row, invoice_row


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def imports_url(org) -> str:
    return f"/api/v1/orgs/{org.slug}/billing/imports/"


def post_file(client, org, data: bytes, kind="daily-usage", name="usage.csv"):
    fields = {"file": SimpleUploadedFile(name, data, "text/csv")}
    if kind is not None:
        fields["kind"] = kind
    return client.post(imports_url(org), fields)


def api_import(client, org, data, capture, **kwargs) -> dict:
    """Upload through the API, then run the worker's part here, as the worker would."""
    with capture(execute=False) as callbacks:
        response = post_file(client, org, data, **kwargs)
    assert response.status_code == 202, response.content
    assert len(callbacks) == 1
    reconciliation_import_run_stored(import_id=response.json()["id"])
    return client.get(response.json()["urls"]["self"]).json()


def test_an_upload_is_accepted_queued_and_followed_until_imported(
    world, login, media, django_capture_on_commit_callbacks
):
    client = login(world.a.users["msp_billing"])
    data = csv_bytes([daily_usage_row(), daily_usage_row(BillingPreTaxTotal="2.31")])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_file(client, world.a.msp, data)

    assert response.status_code == 202 and len(callbacks) == 1
    body = response.json()
    record = ReconciliationImport.objects.for_tenant(world.a.msp).get()
    assert body["id"] == record.pk and body["state"] == "queued" and body["kind"] == "daily-usage"
    assert body["size_bytes"] == len(data) and body["created_by"] == world.a.users["msp_billing"].email
    assert body["urls"] == {
        "self": f"{imports_url(world.a.msp)}{record.pk}/",
        "problems": f"{imports_url(world.a.msp)}{record.pk}/problems/",
        "page": f"/o/{world.a.msp.slug}/billing/imports/{record.pk}/",
    }
    assert import_file_path(record).read_bytes() == data

    cache.set(import_progress_key(record.pk), len(data) // 4)
    progress = client.get(body["urls"]["self"]).json()["progress"]
    assert progress == {
        "bytes_read": len(data) // 4,
        "size_bytes": len(data),
        "percent": len(data) // 4 * 100 // len(data),
    }

    reconciliation_import_run_stored(import_id=record.pk)
    done = client.get(body["urls"]["self"]).json()
    assert done["state"] == "done" and done["progress"]["percent"] == 100
    assert (done["row_count"], done["flagged_count"], done["problem_count"]) == (2, 1, 0)
    assert (done["period"], done["invoice_number"], done["replaces"]) == ("2025-07-01", "G000123456", None)


def test_a_refused_file_lists_its_problems_page_by_page(world, login, django_capture_on_commit_callbacks):
    client = login(world.a.users["msp_admin"])
    rows = [daily_usage_row(Quantity="12,5") for _ in range(120)]
    body = api_import(client, world.a.msp, csv_bytes(rows), django_capture_on_commit_callbacks)
    assert body["state"] == "refused" and body["problem_count"] == 120 and body["row_count"] == 0

    first = client.get(body["urls"]["problems"]).json()
    assert first["count"] == 120 and len(first["results"]) == 50
    assert first["results"][0] == {
        "line": 2,
        "column": "Quantity",
        "message": "Not a decimal number: write digits with a point, at most 10 decimals (e.g. 12.5).",
    }
    last = client.get(body["urls"]["problems"], {"page": 3}).json()
    assert [p["line"] for p in last["results"]] == list(range(102, 122))


def test_a_header_problem_and_a_repeated_file_are_said(world, login, django_capture_on_commit_callbacks):
    client = login(world.a.users["msp_admin"])
    data = csv_bytes([invoice_row()], INVOICE_HEADER)
    wrong_kind = api_import(client, world.a.msp, data, django_capture_on_commit_callbacks, kind="daily-usage")
    assert wrong_kind["state"] == "refused"
    problems = client.get(wrong_kind["urls"]["problems"]).json()["results"]
    assert {
        "line": 1,
        "column": "PartnerId",
        "message": "The column PartnerId is missing from the header.",
    } in (problems)

    first = api_import(client, world.a.msp, data, django_capture_on_commit_callbacks, kind="invoice")
    again = api_import(client, world.a.msp, data, django_capture_on_commit_callbacks, kind="invoice")
    assert (first["state"], again["state"], again["problem_count"]) == ("done", "refused", 0)
    assert again["refusal"].startswith("This file was already imported on ")


def test_the_list_filters_with_the_pages_filter_set(world, login, django_capture_on_commit_callbacks):
    client = login(world.a.users["msp_admin"])
    usage = api_import(
        client, world.a.msp, csv_bytes([daily_usage_row()]), django_capture_on_commit_callbacks
    )
    invoice = api_import(
        client,
        world.a.msp,
        csv_bytes([invoice_row()], INVOICE_HEADER),
        django_capture_on_commit_callbacks,
        kind="invoice",
        name="invoice.csv",
    )
    assert (usage["state"], invoice["state"]) == ("done", "done")

    every = client.get(imports_url(world.a.msp)).json()
    assert [r["id"] for r in every["results"]] == [invoice["id"], usage["id"]]  # newest first
    assert [r["id"] for r in client.get(imports_url(world.a.msp), {"kind": "invoice"}).json()["results"]] == [
        invoice["id"]
    ]
    assert client.get(imports_url(world.a.msp), {"state": "refused"}).json()["results"] == []
    refused = client.get(imports_url(world.a.msp), {"state": "lost"})
    assert refused.status_code == 400 and "state" in refused.json()["errors"]
    empty = client.get(imports_url(world.a.msp), {"kind": ""})
    assert empty.status_code == 400 and "kind" in empty.json()["errors"]


def test_a_body_that_is_not_multipart_is_415(world, login):
    client = login(world.a.users["msp_admin"])
    response = client.post(imports_url(world.a.msp), {"kind": "invoice"}, content_type="application/json")
    assert response.status_code == 415
    assert response.json()["status"] == 415
    assert not ReconciliationImport.objects.for_tenant(world.a.msp).exists()


def test_a_missing_file_or_kind_is_a_400_naming_it(world, login):
    client = login(world.a.users["msp_admin"])
    no_file = client.post(imports_url(world.a.msp), {"kind": "invoice"})
    assert no_file.status_code == 400 and list(no_file.json()["errors"]) == ["file"]
    no_kind = post_file(client, world.a.msp, csv_bytes([daily_usage_row()]), kind=None)
    assert no_kind.status_code == 400 and list(no_kind.json()["errors"]) == ["kind"]
    bad_kind = post_file(client, world.a.msp, csv_bytes([daily_usage_row()]), kind="pdf")
    assert bad_kind.status_code == 400 and list(bad_kind.json()["errors"]) == ["kind"]
    empty = post_file(client, world.a.msp, b"")
    assert empty.status_code == 400 and list(empty.json()["errors"]) == ["file"]
    assert not ReconciliationImport.objects.for_tenant(world.a.msp).exists()


def test_a_viewer_reads_but_cannot_upload(world, login):
    client = login(world.a.users["msp_viewer"])
    assert client.get(imports_url(world.a.msp)).status_code == 200
    response = post_file(client, world.a.msp, csv_bytes([daily_usage_row()]))
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert not ReconciliationImport.objects.for_tenant(world.a.msp).exists()


@pytest.mark.parametrize("role", ["dist_admin", "dist_reviewer"])
def test_a_distributor_has_no_billing_imports(world, login, role):
    client = login(world.a.users[role])
    assert client.get(imports_url(world.a.distributor)).status_code == 404
    assert post_file(client, world.a.distributor, csv_bytes([daily_usage_row()])).status_code == 404


def test_an_organisation_never_reaches_another_ones_imports(world, login, django_capture_on_commit_callbacks):
    theirs = api_import(
        login(world.b.users["msp_admin"]),
        world.b.msp,
        csv_bytes([daily_usage_row(Quantity="x")]),
        django_capture_on_commit_callbacks,
    )
    client = login(world.a.users["msp_admin"])
    assert client.get(imports_url(world.a.msp)).json()["results"] == []
    for suffix in ("", "problems/"):
        assert client.get(f"{imports_url(world.a.msp)}{theirs['id']}/{suffix}").status_code == 404
        assert client.get(f"{imports_url(world.b.msp)}{theirs['id']}/{suffix}").status_code == 404
    assert post_file(client, world.b.msp, csv_bytes([daily_usage_row()])).status_code == 404
    assert ReconciliationImport.objects.for_tenant(world.b.msp).count() == 1


def test_the_schema_describes_the_upload_and_its_errors(world, login):
    schema = login(world.a.users["msp_admin"]).get("/api/v1/schema/?format=json").json()
    post = schema["paths"]["/api/v1/orgs/{org_slug}/billing/imports/"]["post"]
    assert list(post["requestBody"]["content"]) == ["multipart/form-data"]
    assert {"202", "400", "403", "404", "415"} <= set(post["responses"])
    problems = schema["paths"]["/api/v1/orgs/{org_slug}/billing/imports/{import_id}/problems/"]["get"]
    assert {"200", "404"} <= set(problems["responses"])
