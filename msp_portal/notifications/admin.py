from django.contrib import admin

from .models import Notification, OutboxEmail


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "organisation", "kind", "created_at", "read_at"]
    list_filter = ["kind"]


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """Read-only: operators see what was sent, what waits and why, and what failed for good."""

    list_display = [
        "to",
        "kind",
        "state",
        "attempts",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["to"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "to",
        "notification",
        "params",
        "state",
        "attempts",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
