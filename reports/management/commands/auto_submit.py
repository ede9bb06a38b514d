from msp_portal.jobs.choices import JobName
from msp_portal.jobs.commands import JobCommand
from reports.auto_submit import BATCH_SIZE, auto_submit_due


class Command(JobCommand):
    help = "Auto-submit every usage report past its deadline, with penalties (what the beat runs every 5 minutes)."
    job = JobName.AUTO_SUBMIT

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Reports per transaction.")

    def service(self, **kwargs):
        auto_submit_due(**kwargs)

    def service_options(self, options):
        return {"batch_size": options["batch_size"]}
