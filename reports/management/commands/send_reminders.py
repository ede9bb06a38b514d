from msp_portal.jobs.choices import JobName
from msp_portal.jobs.commands import JobCommand
from reports.reminders import reminders_send_due


class Command(JobCommand):
    help = "Remind MSP admins of reports whose deadline is near (each step once per deadline; hourly in the beat)."
    job = JobName.SEND_REMINDERS

    def service(self, **kwargs):
        reminders_send_due(**kwargs)
