"""Billing's worker tasks: an uploaded reconciliation file imported (docs/billing.md, "Imports")."""

from celery import shared_task

from msp_portal.jobs.tasks import TRANSIENT_ERRORS

from .services import reconciliation_import_run_stored


# Acknowledged late: a worker killed mid-import leaves the message to be delivered again, and its
# transaction rolled back; the second run imports the file once (an ended import is left alone).
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=10,
    max_retries=5,
    ignore_result=False,
)
def reconciliation_import_task(import_id: int) -> str:
    """Import the stored file of one import; returns the import's state ("missing" if gone)."""
    record = reconciliation_import_run_stored(import_id=import_id)
    return record.state if record is not None else "missing"
