"""Billing's writes: importing the vendor's reconciliation files (docs/billing.md, "Imports")."""

import datetime as dt
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DataError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from msp_portal.errors import Conflict, NotAllowed
from msp_portal.jobs.handover import hand_over
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import TenantContext

from .columns import FileKind
from .importer import (
    DAILY_USAGE_DERIVED,
    INVOICE_DERIVED,
    HashingReader,
    Loaded,
    Problem,
    Refused,
    impossible_dates,
    load,
)
from .models import ImportProblem, ImportState, ReconciliationImport
from .selectors import import_can_be_retried, import_progress_key, reconciliation_import_get


def reconciliation_import_create(
    *, tenant: TenantContext, acting_user: User | None, kind: FileKind, file_name: str, size_bytes: int
) -> ReconciliationImport:
    """The record of a file about to be imported (queued); MSP admins and billing members."""
    if not tenant.can(Perm.MANAGE_BILLING):
        raise NotAllowed()
    return _record_create(tenant.organisation, acting_user, kind, file_name, size_bytes)


def reconciliation_import_create_by_operator(
    *, organisation: Organisation, kind: FileKind, file_name: str, size_bytes: int
) -> ReconciliationImport:
    """The same record for an import started by the platform's operator (manage.py)."""
    return _record_create(organisation, None, kind, file_name, size_bytes)


def _record_create(organisation, acting_user, kind, file_name, size_bytes) -> ReconciliationImport:
    return ReconciliationImport.objects.create(
        organisation=organisation,
        kind=kind,
        file_name=file_name[:255],
        size_bytes=size_bytes,
        created_by=acting_user,
    )


def reconciliation_import_run(
    *, import_id: int, organisation: Organisation, raw, on_progress=None
) -> ReconciliationImport:
    """Load the file into its table, whole or not at all; the import ends done (with the file's
    period, rows and flags, replacing an earlier file of the same period and invoice) or
    refused (with each problem). Runs in one transaction."""
    with transaction.atomic():
        record = ReconciliationImport.objects.for_tenant(organisation).select_for_update().get(pk=import_id)
        if record.state not in (ImportState.QUEUED, ImportState.RUNNING):
            return record  # done already: a retried task changes nothing
        reader = HashingReader(raw, on_progress)
        try:
            with transaction.atomic():
                loaded = _load_and_write(record, reader)
        except Refused as refused:
            _refuse(record, refused.problems, reader)
            return record
        record.state = ImportState.DONE
        record.row_count, record.flagged_count = loaded.rows, loaded.flagged
        record.period, record.invoice_number = loaded.period, loaded.invoice_number
        record.content_sha256 = reader.sha256.hexdigest()
        record.finished_at = timezone.now()
        record.save()
    return record


def _refuse(record: ReconciliationImport, problems: list[Problem], reader: HashingReader) -> None:
    whole = [p for p in problems if p.line == 0]
    record.state = ImportState.REFUSED
    record.refusal = " ".join(p.message for p in whole)
    record.problem_count = len([p for p in problems if p.line])
    record.content_sha256 = ""
    record.finished_at = timezone.now()
    record.save()
    ImportProblem.objects.bulk_create(
        [
            ImportProblem(
                organisation=record.organisation,
                reconciliation_import=record,
                line=p.line,
                column=p.column[:64],
                message=p.message,
            )
            for p in problems
            if p.line
        ],
        batch_size=1000,
    )


def _load_and_write(record: ReconciliationImport, reader: HashingReader) -> Loaded:
    with connection.cursor() as cursor:
        present, names, typed_sql = load(cursor, kind=FileKind(record.kind), reader=reader)
        _refuse_a_repeated_file(record, reader.sha256.hexdigest())
        try:
            with transaction.atomic():  # the rows are typed here: a day that does not exist fails
                period, invoice_number = _period_and_invoice(cursor, typed_sql)
                earlier = _current_import(record, period, invoice_number)
                if earlier is not None:
                    _replace(earlier, record, cursor)
                if record.kind == FileKind.DAILY_USAGE:
                    _ensure_partition(cursor, period)
                    table, derived = "billing_daily_usage", DAILY_USAGE_DERIVED
                else:
                    table, derived = "billing_invoiceline", INVOICE_DERIVED
                rows, flagged = _insert(cursor, table, record, period, names, typed_sql, derived)
        except DataError:
            raise impossible_dates(present) from None
    return Loaded(rows=rows, flagged=flagged, period=period, invoice_number=invoice_number)


def _refuse_a_repeated_file(record: ReconciliationImport, sha256: str) -> None:
    same = (
        ReconciliationImport.objects.for_tenant(record.organisation)
        .filter(kind=record.kind, content_sha256=sha256, state=ImportState.DONE)
        .first()
    )
    if same is not None:
        raise Refused(
            [
                Problem(
                    0,
                    "",
                    _("This file was already imported on %(day)s (%(name)s): nothing was changed.")
                    % {"day": timezone.localtime(same.created_at).date().isoformat(), "name": same.file_name},
                )
            ]
        )


def _period_and_invoice(cursor, typed_sql: str) -> tuple[dt.date, str]:
    """The billing period is the month of the latest charge start (rows of latent usage carry
    the previous cycle's dates); the invoice number is the one most rows name."""
    cursor.execute(
        "SELECT date_trunc('month', max(charge_start_date))::date, "
        "coalesce(mode() WITHIN GROUP (ORDER BY nullif(invoice_number, '')), '') "
        f"FROM ({typed_sql}) AS typed"
    )
    period, invoice_number = cursor.fetchone()
    return period, invoice_number[:64]


def _current_import(record, period, invoice_number) -> ReconciliationImport | None:
    return (
        ReconciliationImport.objects.for_tenant(record.organisation)
        .select_for_update()
        .filter(kind=record.kind, period=period, invoice_number=invoice_number, state=ImportState.DONE)
        .first()
    )


def _replace(earlier: ReconciliationImport, record: ReconciliationImport, cursor) -> None:
    """A corrected file for the same period and invoice: the earlier rows go, in this same
    transaction, and both imports say so."""
    table = "billing_daily_usage" if record.kind == FileKind.DAILY_USAGE else "billing_invoiceline"
    cursor.execute(
        f"DELETE FROM {table} WHERE organisation_id = %s AND period = %s AND reconciliation_import_id = %s",
        [earlier.organisation_id, earlier.period, earlier.pk],
    )
    earlier.state = ImportState.REPLACED
    earlier.save(update_fields=["state"])
    record.replaces = earlier


def _ensure_partition(cursor, period: dt.date) -> None:
    """The month's partition of the daily-rated rows, created on first use (an advisory lock
    keeps two imports of a new month from racing to create it)."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext('billing_daily_usage_partition'))")
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS billing_daily_usage_p{period:%Y_%m} PARTITION OF billing_daily_usage "
        f"FOR VALUES IN ('{period.isoformat()}')"
    )


def _insert(cursor, table, record, period, names, typed_sql, derived) -> tuple[int, int]:
    """One INSERT … SELECT of the typed rows with the row rules; returns (rows, rows whose
    stated pre-tax total differs), counted by the same statement."""
    columns = ", ".join([*names, *derived])
    expressions = ", ".join([*names, *derived.values()])
    flagged = "count(*) FILTER (WHERE pre_tax_total_mismatch)" if "pre_tax_total_mismatch" in derived else "0"
    returned = "pre_tax_total_mismatch" if "pre_tax_total_mismatch" in derived else "1"
    cursor.execute(
        f"WITH written AS (INSERT INTO {table} (organisation_id, reconciliation_import_id, period, line, {columns}) "
        f"SELECT %s, %s, %s, line + 1, {expressions} FROM ({typed_sql}) AS typed RETURNING {returned}) "
        f"SELECT count(*), {flagged} FROM written",
        [record.organisation_id, record.pk, period],
    )
    rows, flagged_rows = cursor.fetchone()
    return rows, flagged_rows


# --- uploads through the portal, run by a worker (docs/billing.md, "Imports") -------------------

# How long the worker's progress stays in the cache: past the longest import (the task's limit).
PROGRESS_TTL = 60 * 60


def import_file_path(record: ReconciliationImport) -> Path:
    """Where an uploaded file waits for its worker, and stays: MEDIA_ROOT/billing/<org id>/<id>.csv
    (the organisation's id, not its slug, which may be renamed)."""
    return Path(settings.MEDIA_ROOT) / "billing" / str(record.organisation_id) / f"{record.pk}.csv"


def reconciliation_import_upload(
    *, tenant: TenantContext, acting_user: User, kind: FileKind, upload
) -> ReconciliationImport:
    """Record an uploaded file (queued), copy it to its place chunk by chunk (``upload`` is a
    Django uploaded file: memory does not grow with it), and once committed hand it to a worker.
    MSP admins and billing members (NotAllowed otherwise)."""
    with transaction.atomic():
        record = reconciliation_import_create(
            tenant=tenant, acting_user=acting_user, kind=kind, file_name=upload.name or "", size_bytes=0
        )
        path = import_file_path(record)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
                    record.size_bytes += len(chunk)
            record.save(update_fields=["size_bytes"])
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        transaction.on_commit(partial(reconciliation_import_enqueue, record.pk))
    return record


def reconciliation_import_enqueue(import_id: int) -> bool:
    """Offer the import to a worker; never raises. False (one warning in the log) when the broker
    is out of reach: the import stays queued and its page offers to run it again (Retry)."""
    return hand_over("billing.tasks.reconciliation_import_task", (import_id,), f"billing import {import_id}")


def reconciliation_import_run_stored(*, import_id: int) -> ReconciliationImport | None:
    """The worker's part: mark the import loading, run the stored file through the importer
    (progress in the cache, billing.selectors.import_progress), whole or not at all. Safe to run
    twice: an ended import is left as it is. A worker killed half-way leaves the import loading
    and no rows (one transaction); running this again imports it."""
    found = ReconciliationImport.objects.across_tenants().filter(pk=import_id)
    record = found.select_related("organisation").first()
    if record is None or record.state not in (ImportState.QUEUED, ImportState.RUNNING):
        return record
    found.filter(state=ImportState.QUEUED).update(state=ImportState.RUNNING)
    key = import_progress_key(import_id)
    cache.set(key, 0, timeout=PROGRESS_TTL)
    path = import_file_path(record)
    if not path.is_file():
        return _refuse_missing_file(record)
    with path.open("rb") as raw:
        record = reconciliation_import_run(
            import_id=import_id,
            organisation=record.organisation,
            raw=raw,
            on_progress=lambda bytes_read: cache.set(key, bytes_read, timeout=PROGRESS_TTL),
        )
    cache.delete(key)
    return record


def _refuse_missing_file(record: ReconciliationImport) -> ReconciliationImport:
    with transaction.atomic():
        record = (
            ReconciliationImport.objects.for_tenant(record.organisation).select_for_update().get(pk=record.pk)
        )
        if record.state in (ImportState.QUEUED, ImportState.RUNNING):
            message = _("The uploaded file is no longer stored: upload it again.")
            _refuse(record, [Problem(0, "", message)], None)
    return record


def reconciliation_import_retry(*, tenant: TenantContext, import_id: int) -> ReconciliationImport:
    """Offer again to a worker an import whose worker was lost (still queued or loading
    RETRY_AFTER after its upload); Conflict for any other. A run that was in fact still going
    holds the import's row lock: the second waits, then finds it ended and does nothing."""
    if not tenant.can(Perm.MANAGE_BILLING):
        raise NotAllowed()
    record = reconciliation_import_get(organisation=tenant.organisation, import_id=import_id)
    if not import_can_be_retried(reconciliation_import=record):
        raise Conflict(
            _("This import is not stuck: it has ended, or a worker may still be loading it. Try again later.")
        )
    transaction.on_commit(partial(reconciliation_import_enqueue, record.pk))
    return record
