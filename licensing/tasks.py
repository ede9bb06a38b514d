"""The beat's task for licensing: the yearly true-up, inside the job-run log."""

from celery import shared_task

from msp_portal.jobs.choices import JobName
from msp_portal.jobs.services import job_run
from msp_portal.jobs.tasks import SCHEDULED_TASK_OPTIONS

from .true_up import true_up_run_due


@shared_task(**SCHEDULED_TASK_OPTIONS)
def run_true_up_task() -> dict:
    return dict(job_run(JobName.RUN_TRUE_UP, true_up_run_due).counts)
