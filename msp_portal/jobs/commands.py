"""The base of the management commands of scheduled jobs: the same service as the beat's task,
recorded in the job-run log, with ``--dry-run`` printing what a real run would do."""

from django.core.management.base import BaseCommand

from .services import JobRunLog, job_run


class JobCommand(BaseCommand):
    job: str = ""

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what the job would do; change nothing."
        )

    def service(self, *, log: JobRunLog, **options) -> None:
        raise NotImplementedError

    def service_options(self, options: dict) -> dict:
        """Options passed on to the service (none by default)."""
        return {}

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        log = job_run(self.job, self.service, dry_run=dry_run, **self.service_options(options))
        for line in log.lines:
            self.stdout.write(f"would {line}" if dry_run else line)
        counts = ", ".join(f"{name}={value}" for name, value in sorted(log.counts.items())) or "nothing to do"
        self.stdout.write(("dry run: " if dry_run else "") + counts)
        for error in log.errors:
            self.stderr.write(error)
