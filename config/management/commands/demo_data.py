from django.core.management.base import BaseCommand

from config.demo import demo_data_load


class Command(BaseCommand):
    help = "Load the demo data set (idempotent: running it again changes nothing)."

    def handle(self, *args, **options):
        counts = demo_data_load()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {summary}."))
