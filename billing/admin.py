from django.contrib import admin

from .models import ReconciliationImport


@admin.register(ReconciliationImport)
class ReconciliationImportAdmin(admin.ModelAdmin):
    """Read-only: an import is written by the importer alone (docs/billing.md, "Imports"); the
    operators look, and rerun a stuck one from the MSP's page or manage.py."""

    list_display = ["created_at", "organisation", "kind", "file_name", "state", "period", "row_count"]
    list_filter = ["kind", "state"]
    list_select_related = ["organisation"]
    search_fields = ["organisation__name", "organisation__slug", "file_name", "invoice_number"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
