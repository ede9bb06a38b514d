"""The exports' tasks: both only call files.export_build, which claims before it builds."""

from celery import shared_task

from msp_portal.jobs.tasks import SCHEDULED_TASK_OPTIONS

from . import files, services


@shared_task(name="exports.build", **SCHEDULED_TASK_OPTIONS)
def export_build_task(export_id: int) -> bool:
    return files.export_build(export_id)


@shared_task(name="exports.sweep", **SCHEDULED_TASK_OPTIONS)
def exports_sweep_task() -> int:
    """The beat's sweep: build what no worker was handed (or what a dead one left), and delete
    the files of expired exports."""
    built = sum(files.export_build(export_id) for export_id in services.exports_due())
    services.exports_expired_remove()
    return built
