"""manage.py import_reconciliation --org <slug> --kind daily-usage|invoice FILE

Imports in the foreground (no worker needed): exit status 0 when the file is imported, 1 with
each problem when it is refused."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.columns import FileKind
from billing.models import ImportState
from billing.selectors import import_problems
from billing.services import reconciliation_import_create_by_operator, reconciliation_import_run
from msp_portal.tenancy.models import Organisation

SHOWN_PROBLEMS = 100


class Command(BaseCommand):
    help = "Import a vendor reconciliation file (daily-rated usage or invoice) for an MSP."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="the MSP's slug")
        parser.add_argument("--kind", required=True, choices=[k.value for k in FileKind])
        parser.add_argument("file", type=Path)

    def handle(self, *args, org, kind, file, **options):
        organisation = Organisation.objects.filter(slug=org, kind="msp").first()
        if organisation is None:
            raise CommandError(f"No MSP with the slug {org!r}.")
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        record = reconciliation_import_create_by_operator(
            organisation=organisation,
            kind=FileKind(kind),
            file_name=file.name,
            size_bytes=file.stat().st_size,
        )
        with file.open("rb") as raw:
            record = reconciliation_import_run(import_id=record.pk, organisation=organisation, raw=raw)
        if record.state == ImportState.DONE:
            replaced = f", replacing import {record.replaces_id}" if record.replaces_id else ""
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {record.row_count} rows for {record.period:%Y-%m} "
                    f"({record.flagged_count} flagged){replaced}: import {record.pk}."
                )
            )
            return
        lines = [f"Refused: {record.refusal}" if record.refusal else "Refused:"]
        problems = list(import_problems(reconciliation_import=record)[:SHOWN_PROBLEMS])
        lines += [f"  line {p.line}, {p.column}: {p.message}" for p in problems]
        if record.problem_count > len(problems):
            lines.append(f"  … and {record.problem_count - len(problems)} more.")
        raise CommandError("\n".join(lines), returncode=1)
