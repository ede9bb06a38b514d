"""Exports built by a worker: requested, built, downloaded only by their organisation, and
not after they expire (docs/exports.md); billing's reconciliation exports (docs/billing.md)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from billing.columns import FileKind
from billing.reconciliation import reconciliation_run
from billing.services_exports import (
    billed_export_request,
    results_export_request,
    support_case_export_request,
    unbilled_exports_request,
)
from msp_portal.errors import Invalid, NotAllowed, NotFound
from msp_portal.exports import files
from msp_portal.exports.models import ExportRequest, ExportState
from msp_portal.exports.tasks import exports_sweep_task
from msp_portal.tenancy.resolve import resolve_tenant

from .billing.files import INVOICE_HEADER, csv_bytes, daily_usage_row, invoice_row
from .billing.test_import import run_import

JULY = dt.date(2025, 7, 1)


def tenant_of(side, role="msp_admin"):
    return resolve_tenant(user=side.users[role], org_slug=side.org_of(role).slug)


def imported(msp, *, invoice=True):
    run_import(msp, csv_bytes([daily_usage_row(), daily_usage_row(CustomerName='=HYPERLINK("x")')]))
    if invoice:
        run_import(
            msp,
            csv_bytes([invoice_row(Subtotal="3.00", Quantity="48")], INVOICE_HEADER),
            kind=FileKind.INVOICE,
        )


def download(client, export):
    return client.get(f"/o/{export.organisation.slug}/exports/{export.pk}/download/")


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_a_billed_export_is_built_and_downloaded_by_its_organisation_only(world, login):
    imported(world.a.msp)
    export = billed_export_request(
        tenant=tenant_of(world.a), acting_user=world.a.users["msp_admin"], period=JULY
    )
    assert export.state == ExportState.QUEUED

    assert files.export_build(export.pk) is True
    assert files.export_build(export.pk) is False  # built once, whoever else tries
    export.refresh_from_db()
    assert (export.state, export.row_count, export.progress) == (ExportState.DONE, 2, 100)

    response = download(login(world.a.users["msp_viewer"]), export)
    assert response.status_code == 200
    text = body(response)
    assert text.splitlines()[0].startswith("PartnerId,PartnerName,CustomerId")
    assert "'=HYPERLINK" in text  # the one writer neutralises formulas
    assert download(login(world.b.users["msp_admin"]), export).status_code == 404
    assert download(login(world.a.users["dist_admin"]), export).status_code == 404


def test_a_download_expires_and_its_file_is_removed_by_the_sweep(world, login):
    imported(world.a.msp)
    export = billed_export_request(tenant=tenant_of(world.a), acting_user=None, period=JULY)
    files.export_build(export.pk)
    client = login(world.a.users["msp_admin"])

    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        assert download(client, export).status_code == 410
        exports_sweep_task()
    export.refresh_from_db()
    assert export.state == ExportState.EXPIRED
    assert download(client, export).status_code == 410


def test_the_sweep_builds_what_no_worker_was_handed(world):
    imported(world.a.msp)
    export = billed_export_request(tenant=tenant_of(world.a), acting_user=None, period=JULY)
    assert exports_sweep_task() == 0  # not due yet: a worker may still take it
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        assert exports_sweep_task() == 1
    export.refresh_from_db()
    assert export.state == ExportState.DONE


def test_billed_and_unbilled_follow_whether_the_invoice_is_imported(world):
    imported(world.a.msp, invoice=False)
    tenant = tenant_of(world.a)
    with pytest.raises(Invalid) as refused:
        billed_export_request(tenant=tenant, acting_user=None, period=JULY)
    assert "period" in refused.value.field_errors

    usage, licenses = unbilled_exports_request(tenant=tenant, acting_user=None, period=JULY)
    assert [files.export_build(e.pk) for e in (usage, licenses)] == [True, True]
    usage.refresh_from_db()
    assert usage.row_count == 1  # the two daily rows of one customer, product and SKU, summed
    assert usage.title == "Unbilled estimate, usage-based, 2025-07"


def test_results_and_a_support_case_carry_the_flag_and_its_rows(world):
    imported(world.a.msp)  # 4.60 daily against 3.00 invoiced: flagged
    run = reconciliation_run(msp=world.a.msp, period=JULY)
    tenant = tenant_of(world.a, "msp_billing")
    results = results_export_request(tenant=tenant, acting_user=None, period=JULY)
    flag = run.flags.model.objects.for_tenant(world.a.msp).get(run=run, kind="variance")
    case = support_case_export_request(tenant=tenant, acting_user=None, flag_id=flag.pk)

    assert files.export_build(results.pk) and files.export_build(case.pk)
    results.refresh_from_db()
    case.refresh_from_db()
    assert results.row_count == 1
    assert case.row_count == 4  # the flag, two daily rows, one invoice line
    with pytest.raises(NotFound):
        support_case_export_request(tenant=tenant_of(world.b), acting_user=None, flag_id=flag.pk)


def test_a_role_without_billing_cannot_request_or_see_exports(world, login):
    imported(world.a.msp)
    export = billed_export_request(tenant=tenant_of(world.a), acting_user=None, period=JULY)
    files.export_build(export.pk)
    with pytest.raises(NotAllowed):
        billed_export_request(tenant=tenant_of(world.a, "dist_admin"), acting_user=None, period=JULY)
    page = login(world.a.users["msp_viewer"]).get(f"/o/{world.a.msp.slug}/exports/")
    assert page.status_code == 200 and "Billed usage, 2025-07" in page.content.decode()
    other = login(world.b.users["msp_admin"]).get(f"/o/{world.b.msp.slug}/exports/")
    assert "Billed usage" not in other.content.decode()
    assert ExportRequest.objects.for_tenant(world.b.msp).count() == 0
