from django.contrib import admin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Read-only: the log says what happened; nobody edits it."""

    list_display = ["job", "status", "dry_run", "started_at", "duration_seconds", "counts", "host", "pid"]
    list_filter = ["job", "status", "dry_run"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "job",
        "status",
        "dry_run",
        "started_at",
        "finished_at",
        "duration_seconds",
        "counts",
        "errors",
        "host",
        "pid",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
