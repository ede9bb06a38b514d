"""Imports through real worker processes (docs/billing.md, "Imports"): the task the upload
enqueues imports the file, and a worker killed in the middle of an import leaves no row, the
import still loading, and a run again imports the file exactly once."""

import datetime as dt
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from billing.models import DailyUsageRow, ImportState, ReconciliationImport
from billing.tasks import reconciliation_import_task
from config import celery_app

from ..processes import backends_waiting_for_a_lock, own_connection, worker_process
from .files import csv_bytes, daily_usage_row

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
# Enough rows that the file is read in several chunks and the retry has real work to do; the
# kill does not depend on the size: the test stops the import half-way with a lock.
ROWS = 5_000
# The lock the importer takes after the file is in PostgreSQL and checked, before it writes the
# rows (billing.services._ensure_partition).
PARTITION_LOCK = "hashtext('billing_daily_usage_partition')"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def wait_for(condition, timeout=60.0, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def record_of(import_id: int) -> ReconciliationImport:
    return ReconciliationImport.objects.across_tenants().get(pk=import_id)


def rows_of(msp, import_id: int) -> int:
    return DailyUsageRow.objects.for_tenant(msp).filter(reconciliation_import_id=import_id).count()


def upload(client, msp, data: bytes, name: str) -> int:
    response = client.post(
        f"/o/{msp.slug}/billing/imports/upload/",
        {"kind": "daily-usage", "file": SimpleUploadedFile(name, data, "text/csv")},
    )
    assert response.status_code == 302, response.content.decode()[:300]
    return int(response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_the_uploads_task_imports_the_file_in_the_worker(world, login):
    client = login(world.a.users["msp_admin"])
    data = csv_bytes([daily_usage_row(), daily_usage_row(BillingPreTaxTotal="2.31")])
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        import_id = upload(client, world.a.msp, data, "usage.csv")
        assert wait_for(lambda: record_of(import_id).state == ImportState.DONE, timeout=30)
        # A second delivery of the task (acks_late) changes nothing.
        assert reconciliation_import_task.delay(import_id).get(timeout=30) == ImportState.DONE
    record = record_of(import_id)
    assert (record.row_count, record.flagged_count) == (2, 1)
    assert rows_of(world.a.msp, import_id) == 2
    page = client.get(f"/o/{world.a.msp.slug}/billing/imports/{import_id}/status/").content.decode()
    assert "Imported" in page and "every 1s" not in page


def _large_file(rows: int) -> bytes:
    header, row = csv_bytes([daily_usage_row()]).split(b"\r\n", 1)
    return header + b"\r\n" + row * rows


def _waiting_for_the_lock() -> bool:
    """Whether the worker waits for the importer's lock: inside its import transaction, the file
    copied and checked, the rows not yet written."""
    return backends_waiting_for_a_lock("%pg_advisory_xact_lock%billing_daily_usage_partition%") > 0


def _importer_gone() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query ILIKE '%billing_%' AND state <> 'idle'"
        )
        return cursor.fetchone()[0] == 0


def _stop(process: subprocess.Popen, sig) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


def test_a_worker_killed_mid_import_leaves_no_row_and_a_retry_imports_the_file_once(world, login, media):
    client = login(world.a.users["msp_admin"])
    data = _large_file(ROWS)
    holder = own_connection()
    try:
        with holder.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_lock({PARTITION_LOCK})")
        first = worker_process({"MEDIA_ROOT": str(media)})
        try:
            import_id = upload(client, world.a.msp, data, "usage-large.csv")
            assert wait_for(_waiting_for_the_lock, timeout=120, every=0.02), "the import never got half-way"
            _stop(first, signal.SIGKILL)  # no goodbye: the import transaction in flight is cut
        finally:
            _stop(first, signal.SIGKILL)
        with holder.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_unlock({PARTITION_LOCK})")
    finally:
        holder.close()
    assert wait_for(_importer_gone, timeout=30), "PostgreSQL kept the killed worker's transaction"

    killed = record_of(import_id)
    assert killed.state == ImportState.RUNNING and killed.row_count == 0
    assert rows_of(world.a.msp, import_id) == 0
    detail = f"/o/{world.a.msp.slug}/billing/imports/{import_id}/"
    assert "Retry" not in client.get(detail).content.decode()  # not yet: it could still be loading

    # Ten minutes on, the page offers to run it again; a restarted worker takes it.
    ReconciliationImport.objects.across_tenants().filter(pk=import_id).update(
        created_at=timezone.now() - dt.timedelta(minutes=11)
    )
    assert "Retry" in client.get(detail).content.decode()
    second = worker_process({"MEDIA_ROOT": str(media)})
    try:
        assert client.post(f"{detail}retry/").status_code == 302
        assert wait_for(lambda: record_of(import_id).state == ImportState.DONE, timeout=120, every=0.1)
        # The killed worker's own message, delivered again, finds the import done.
        assert reconciliation_import_task.delay(import_id).get(timeout=60) == ImportState.DONE
    finally:
        _stop(second, signal.SIGTERM)
    record = record_of(import_id)
    assert record.row_count == ROWS and record.size_bytes == len(data)
    assert rows_of(world.a.msp, import_id) == ROWS
    assert ReconciliationImport.objects.for_tenant(world.a.msp).filter(state=ImportState.DONE).count() == 1
