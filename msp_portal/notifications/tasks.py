"""The outbox's tasks: both only call the outbox, and both are safe to run twice (a row is
claimed before it is sent). A lost database or broker connection is retried (jobs.tasks)."""

from celery import shared_task

from msp_portal.jobs.tasks import SCHEDULED_TASK_OPTIONS

from . import outbox


# Named explicitly: the queued messages and the beat schedule outlive a move of this module.
@shared_task(name="notifications.outbox_email_send", **SCHEDULED_TASK_OPTIONS)
def outbox_email_send_task(email_ids: list[int]) -> int:
    """Send the given outbox rows that are still due; returns how many this run sent."""
    return outbox.outbox_emails_send(email_ids=email_ids)


@shared_task(name="notifications.outbox_sweep", **SCHEDULED_TASK_OPTIONS)
def outbox_sweep_task() -> int:
    """The beat's sweep: send every row that is due or stuck; returns how many it sent."""
    return outbox.outbox_sweep()
