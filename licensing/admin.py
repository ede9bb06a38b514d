from django.contrib import admin

from .models import TrueUpCharge


@admin.register(TrueUpCharge)
class TrueUpChargeAdmin(admin.ModelAdmin):
    """Read-only: a charge is made by the true-up job and never changed (the database refuses
    changes too)."""

    list_display = [
        "true_up_date",
        "organisation",
        "subscription",
        "peak_units",
        "owned_units",
        "units",
        "amount",
        "currency",
        "created_at",
    ]
    list_filter = ["true_up_date", "currency"]
    list_select_related = ["organisation", "subscription__product"]
    search_fields = ["organisation__name", "organisation__slug", "subscription__product__name"]
    date_hierarchy = "true_up_date"
    readonly_fields = [
        "organisation",
        "subscription",
        "true_up_date",
        "period_start",
        "period_end",
        "peak_units",
        "peak_reached_at",
        "owned_units",
        "units",
        "unit_price",
        "amount",
        "currency",
        "created_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
