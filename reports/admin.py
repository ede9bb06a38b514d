from django.contrib import admin

from .models import LineComment, MspAccountSettings, ReportEvent, UsageReport, UsageReportLine


class LineInline(admin.TabularInline):
    model = UsageReportLine
    extra = 0
    fields = [
        "product_code",
        "product_name",
        "unit_type",
        "provided_units",
        "used_units",
        "billable_units",
        "unit_price",
        "version",
    ]
    readonly_fields = fields
    can_delete = False


@admin.register(UsageReport)
class UsageReportAdmin(admin.ModelAdmin):
    list_display = ["organisation", "cycle", "state", "deadline", "submission_kind", "submitted_at"]
    list_filter = ["state", "submission_kind", "cycle"]
    search_fields = ["organisation__name"]
    # The currency is the MSP's, set at opening: relabelling would not convert (docs/currency.md).
    readonly_fields = ["state", "currency"]
    inlines = [LineInline]


@admin.register(ReportEvent)
class ReportEventAdmin(admin.ModelAdmin):
    """Read-only: the history is append-only (the database refuses changes too)."""

    list_display = ["report", "kind", "actor", "from_state", "to_state", "created_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MspAccountSettings)
class MspAccountSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "auto_submit_days",
        "penalty_kind",
        "penalty_percent",
        "penalty_minimum",
        "surcharge_over_declared",
        "auto_approve_clean",
        "reminder_days",
        "updated_at",
    ]


@admin.register(LineComment)
class LineCommentAdmin(admin.ModelAdmin):
    list_display = ["line", "author", "author_organisation", "created_at"]
