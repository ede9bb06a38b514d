"""The reconciliation imports' pages (docs/billing.md, "Imports"): uploading a file queues it
and stores it, the worker's service imports it, the import's page shows its progress then its
result or its refusal, the list filters and downloads; only MSP billing roles upload, and an
organisation sees only its own imports."""

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import tables
from billing.columns import FileKind
from billing.models import DailyUsageRow, ImportState, ReconciliationImport
from billing.selectors import import_progress_key
from billing.services import import_file_path, reconciliation_import_run_stored

from .files import INVOICE_HEADER, csv_bytes, daily_usage_row, invoice_row


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def list_url(org) -> str:
    return f"/o/{org.slug}/billing/imports/"


def upload(client, org, data: bytes, kind="daily-usage", name="usage-2025-07.csv"):
    return client.post(
        f"{list_url(org)}upload/", {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def uploaded(client, org, data: bytes, capture, **kwargs) -> ReconciliationImport:
    """Upload through the page; the worker's part is run here, as the worker would."""
    with capture(execute=False) as callbacks:
        response = upload(client, org, data, **kwargs)
    assert response.status_code == 302, response.content.decode()[:500]
    assert len(callbacks) == 1  # the task is offered to a worker once the upload committed
    record = ReconciliationImport.objects.for_tenant(org).latest("pk")
    return reconciliation_import_run_stored(import_id=record.pk)


def download(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_an_upload_is_queued_stored_and_followed_on_its_page(
    world, login, media, django_capture_on_commit_callbacks
):
    client = login(world.a.users["msp_billing"])
    data = csv_bytes([daily_usage_row(), daily_usage_row(UsageDate="7/4/2025 0:00")])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, world.a.msp, data)

    record = ReconciliationImport.objects.for_tenant(world.a.msp).get()
    assert response.status_code == 302 and response["Location"] == f"{list_url(world.a.msp)}{record.pk}/"
    assert len(callbacks) == 1
    assert (record.state, record.kind, record.file_name) == (
        ImportState.QUEUED,
        "daily-usage",
        "usage-2025-07.csv",
    )
    assert record.size_bytes == len(data) and record.created_by == world.a.users["msp_billing"]
    stored = media / "billing" / str(world.a.msp.pk) / f"{record.pk}.csv"
    assert import_file_path(record) == stored and stored.read_bytes() == data

    # While it waits, the page polls a progress bar; the worker's bytes read show as a share.
    cache.set(import_progress_key(record.pk), len(data) // 2)
    page = client.get(f"{list_url(world.a.msp)}{record.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and f"{len(data) // 2 * 100 // len(data)} % read" in page

    record = reconciliation_import_run_stored(import_id=record.pk)
    assert record.state == ImportState.DONE and DailyUsageRow.objects.for_tenant(world.a.msp).count() == 2
    fragment = client.get(f"{list_url(world.a.msp)}{record.pk}/status/").content.decode()
    assert "every 1s" not in fragment  # ended: the polling stops
    assert "Imported" in fragment and "2025-07" in fragment and "G000123456" in fragment

    # A second run of the task changes nothing.
    assert reconciliation_import_run_stored(import_id=record.pk).state == ImportState.DONE
    assert DailyUsageRow.objects.for_tenant(world.a.msp).count() == 2


def test_a_corrected_file_shows_the_import_it_replaced(world, login, django_capture_on_commit_callbacks):
    client = login(world.a.users["msp_admin"])
    first = uploaded(client, world.a.msp, csv_bytes([daily_usage_row()]), django_capture_on_commit_callbacks)
    second = uploaded(
        client,
        world.a.msp,
        csv_bytes([daily_usage_row(Quantity="48", BillingPreTaxTotal="4.60")]),
        django_capture_on_commit_callbacks,
        name="usage-2025-07-corrected.csv",
    )
    assert second.replaces_id == first.pk
    page = client.get(f"{list_url(world.a.msp)}{second.pk}/").content.decode()
    assert "Replaces" in page and f"{list_url(world.a.msp)}{first.pk}/" in page


def test_a_refused_file_shows_its_first_100_problems_and_downloads_them_all(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.a.users["msp_admin"])
    rows = [daily_usage_row(Quantity="12,5") for _ in range(150)]
    record = uploaded(client, world.a.msp, csv_bytes(rows), django_capture_on_commit_callbacks)
    assert record.state == ImportState.REFUSED and record.problem_count == 150

    page = client.get(f"{list_url(world.a.msp)}{record.pk}/").content.decode()
    assert "Refused: nothing was imported" in page
    assert page.count("Not a decimal number") == 100
    assert "And 50 more problems in the CSV." in page
    assert "Download all problems (CSV)" in page

    response = client.get(f"{list_url(world.a.msp)}{record.pk}/problems.csv")
    lines = download(response)
    assert lines[0] == tables.PROBLEMS.csv_header() == ["Line", "Column", "Problem"]
    assert len(lines) == 151
    assert lines[1][:2] == ["2", "Quantity"] and lines[-1][:2] == ["151", "Quantity"]


def test_a_refused_header_says_why_without_rows(world, login, django_capture_on_commit_callbacks):
    client = login(world.a.users["msp_admin"])
    record = uploaded(client, world.a.msp, b"\r\n\r\n", django_capture_on_commit_callbacks)
    assert record.state == ImportState.REFUSED
    page = client.get(f"{list_url(world.a.msp)}{record.pk}/").content.decode()
    assert "The file is empty: export the file again from the vendor&#x27;s portal." in page
    assert "Download all problems (CSV)" not in page  # nothing by line to download


def test_the_upload_form_names_what_is_missing(world, login):
    client = login(world.a.users["msp_admin"])
    response = client.post(f"{list_url(world.a.msp)}upload/", {"kind": "daily-usage"})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    response = upload(client, world.a.msp, b"")
    assert response.status_code == 422 and "The submitted file is empty." in response.content.decode()
    response = upload(client, world.a.msp, b"x", kind="pdf")
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert not ReconciliationImport.objects.for_tenant(world.a.msp).exists()


def test_the_list_filters_by_kind_and_state_and_downloads_what_it_shows(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.a.users["msp_admin"])
    usage = uploaded(client, world.a.msp, csv_bytes([daily_usage_row()]), django_capture_on_commit_callbacks)
    invoice = uploaded(
        client,
        world.a.msp,
        csv_bytes([invoice_row()], INVOICE_HEADER),
        django_capture_on_commit_callbacks,
        kind="invoice",
        name="invoice-G000123456.csv",
    )
    refused = uploaded(
        client,
        world.a.msp,
        csv_bytes([daily_usage_row(Quantity="x")]),
        django_capture_on_commit_callbacks,
        name="broken.csv",
    )
    assert (usage.state, invoice.state, refused.state) == ("done", "done", "refused")

    page = client.get(list_url(world.a.msp)).content.decode()
    assert all(name in page for name in ("usage-2025-07.csv", "invoice-G000123456.csv", "broken.csv"))
    page = client.get(list_url(world.a.msp), {"kind": "invoice", "state": ""}).content.decode()
    assert "invoice-G000123456.csv" in page and "usage-2025-07.csv" not in page
    page = client.get(list_url(world.a.msp), {"state": "refused"}).content.decode()
    assert "broken.csv" in page and "invoice-G000123456.csv" not in page
    page = client.get(list_url(world.a.msp), {"state": "nonsense"}).content.decode()
    assert "No import matches" in page

    lines = download(client.get(list_url(world.a.msp), {"kind": "daily-usage", "format": "csv"}))
    assert lines[0] == tables.IMPORTS.csv_header()
    assert lines[0] == [
        "File",
        "Kind",
        "Period",
        "Invoice",
        "State",
        "Rows",
        "Flagged",
        "Problems",
        "Uploaded",
        "By",
    ]
    assert sorted(line[0] for line in lines[1:]) == ["broken.csv", "usage-2025-07.csv"]
    by_name = {line[0]: line for line in lines[1:]}
    assert by_name["usage-2025-07.csv"][1:8] == [
        "Daily-rated usage",
        "2025-07",
        "G000123456",
        "Imported",
        "1",
        "0",
        "0",
    ]
    assert by_name["broken.csv"][4] == "Refused" and by_name["broken.csv"][7] == "1"
    assert by_name["broken.csv"][9] == world.a.users["msp_admin"].email


def test_the_list_is_paginated(world, login):
    for n in range(30):
        ReconciliationImport.objects.create(
            organisation=world.a.msp, kind=FileKind.INVOICE, file_name=f"f{n:02}.csv"
        )
    client = login(world.a.users["msp_viewer"])
    first = client.get(list_url(world.a.msp)).content.decode()
    second = client.get(list_url(world.a.msp), {"page": 2}).content.decode()
    assert "f29.csv" in first and "f04.csv" not in first
    assert "f04.csv" in second and "f29.csv" not in second


def test_an_empty_list_says_what_to_do(world, login):
    admin_page = login(world.a.users["msp_admin"]).get(list_url(world.a.msp)).content.decode()
    assert "No file imported yet" in admin_page and f"{list_url(world.a.msp)}upload/" in admin_page
    viewer_page = login(world.a.users["msp_viewer"]).get(list_url(world.a.msp)).content.decode()
    assert "No file imported yet" in viewer_page and f"{list_url(world.a.msp)}upload/" not in viewer_page


def test_a_viewer_reads_but_cannot_upload(world, login):
    client = login(world.a.users["msp_viewer"])
    page = client.get(list_url(world.a.msp))
    assert page.status_code == 200 and "Reconciliation imports" in page.content.decode()
    assert client.get(f"{list_url(world.a.msp)}upload/").status_code == 403
    assert upload(client, world.a.msp, csv_bytes([daily_usage_row()])).status_code == 403
    assert not ReconciliationImport.objects.for_tenant(world.a.msp).exists()


@pytest.mark.parametrize("role", ["dist_admin", "dist_reviewer"])
def test_a_distributor_has_no_billing_imports(world, login, role):
    client = login(world.a.users[role])
    assert client.get(list_url(world.a.distributor)).status_code == 404
    assert client.get(list_url(world.a.msp)).status_code == 404  # not a member of the MSP
    home = client.get(f"/o/{world.a.distributor.slug}/").content.decode()
    assert "Reconciliation imports" not in home


def test_the_menu_shows_the_imports_to_msp_roles(world, login):
    page = login(world.a.users["msp_viewer"]).get(f"/o/{world.a.msp.slug}/").content.decode()
    assert list_url(world.a.msp) in page and "Reconciliation imports" in page


def test_an_organisation_never_sees_another_ones_imports(world, login, django_capture_on_commit_callbacks):
    theirs = uploaded(
        login(world.b.users["msp_admin"]),
        world.b.msp,
        csv_bytes([daily_usage_row(Quantity="x")]),
        django_capture_on_commit_callbacks,
        name="b-secret.csv",
    )
    client = login(world.a.users["msp_admin"])
    assert "b-secret.csv" not in client.get(list_url(world.a.msp)).content.decode()
    lines = download(client.get(list_url(world.a.msp), {"format": "csv"}))
    assert lines[1:] == []
    for suffix in ("", "status/", "problems.csv"):
        assert client.get(f"{list_url(world.a.msp)}{theirs.pk}/{suffix}").status_code == 404
    assert client.post(f"{list_url(world.a.msp)}{theirs.pk}/retry/").status_code == 404
    assert client.get(f"{list_url(world.b.msp)}{theirs.pk}/").status_code == 404


def test_an_import_stuck_for_ten_minutes_can_be_run_again(world, login, django_capture_on_commit_callbacks):
    client = login(world.a.users["msp_admin"])
    with django_capture_on_commit_callbacks(execute=False):
        upload(client, world.a.msp, csv_bytes([daily_usage_row()]))
    record = ReconciliationImport.objects.for_tenant(world.a.msp).get()
    detail = f"{list_url(world.a.msp)}{record.pk}/"

    assert "Retry" not in client.get(detail).content.decode()  # just uploaded: the worker has it
    response = client.post(f"{detail}retry/", follow=True)
    assert "This import is not stuck" in response.content.decode()

    # A worker killed mid-import leaves it loading (its rows rolled back).
    ReconciliationImport.objects.for_tenant(world.a.msp).filter(pk=record.pk).update(
        state=ImportState.RUNNING, created_at=timezone.now() - dt.timedelta(minutes=11)
    )
    assert "Retry" in client.get(detail).content.decode()
    assert "Retry" not in login(world.a.users["msp_viewer"]).get(detail).content.decode()
    assert login(world.a.users["msp_viewer"]).post(f"{detail}retry/").status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"{detail}retry/", follow=True)
    assert "The import is handed to a worker again." in response.content.decode()
    assert len(callbacks) == 1
    assert reconciliation_import_run_stored(import_id=record.pk).state == ImportState.DONE


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_list_and_its_csv_take_their_headers_from_one_description(
    world, login, language, django_capture_on_commit_callbacks
):
    import html
    import re

    from django.utils import translation

    client = login(world.a.users["msp_admin"])
    uploaded(client, world.a.msp, csv_bytes([daily_usage_row()]), django_capture_on_commit_callbacks)
    client.cookies["django_language"] = language
    page = client.get(list_url(world.a.msp)).content.decode()
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    shown = [html.unescape(t.strip()) for t in re.findall(r"<th[^>]*>([^<]+)</th>", head)]
    header = download(client.get(list_url(world.a.msp), {"format": "csv"}))[0]
    with translation.override(language):
        assert shown == [str(h) for h in tables.IMPORTS.page_headers] == header


def test_operators_see_the_imports_in_the_admin(world, admin_client):
    ReconciliationImport.objects.for_tenant(world.a.msp).create(
        organisation=world.a.msp, kind=FileKind.INVOICE, file_name="operator-view.csv"
    )
    response = admin_client.get("/admin/billing/reconciliationimport/")
    assert response.status_code == 200 and "operator-view.csv" in response.content.decode()
