from msp_portal.jobs.choices import JobName
from msp_portal.jobs.commands import JobCommand
from reports.cycles import cycles_open_due


class Command(JobCommand):
    help = (
        "Open every active MSP's usage report for each month that has ended and has none yet "
        "(what the beat runs every hour; months missed are caught up)."
    )
    job = JobName.OPEN_CYCLES

    def service(self, **kwargs):
        cycles_open_due(**kwargs)
