"""The beat's tasks for usage reports: each calls one service inside the job-run log."""

from celery import shared_task

from msp_portal.jobs.choices import JobName
from msp_portal.jobs.services import job_run
from msp_portal.jobs.tasks import SCHEDULED_TASK_OPTIONS

from .auto_submit import auto_submit_due
from .cycles import cycles_open_due
from .reminders import reminders_send_due


@shared_task(**SCHEDULED_TASK_OPTIONS)
def open_cycles_task() -> dict:
    return dict(job_run(JobName.OPEN_CYCLES, cycles_open_due).counts)


@shared_task(**SCHEDULED_TASK_OPTIONS)
def send_reminders_task() -> dict:
    return dict(job_run(JobName.SEND_REMINDERS, reminders_send_due).counts)


@shared_task(**SCHEDULED_TASK_OPTIONS)
def auto_submit_task(batch_size: int | None = None) -> dict:
    options = {"batch_size": batch_size} if batch_size else {}
    return dict(job_run(JobName.AUTO_SUBMIT, auto_submit_due, **options).counts)
