from licensing.true_up import true_up_run_due
from msp_portal.jobs.choices import JobName
from msp_portal.jobs.commands import JobCommand


class Command(JobCommand):
    help = (
        "Charge the yearly true-up of every subscription whose anniversary has come at the MSP's "
        "local midnight and is not charged yet (what the beat runs every hour; missed ones are caught up)."
    )
    job = JobName.RUN_TRUE_UP

    def service(self, **kwargs):
        true_up_run_due(**kwargs)
