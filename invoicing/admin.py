"""Operator's view of invoicing. Issued documents are read-only here as in the database (a
trigger refuses changes); tax settings are edited through the portal's service in production,
and here by the operator."""

from django.contrib import admin

from .models import CreditNote, CreditNoteLine, DocumentCounter, Invoice, InvoiceLine, TaxSetting


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["position", "kind", "description", "product_code", "quantity", "unit_price", "amount", "tax"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CreditNoteLineInline(admin.TabularInline):
    model = CreditNoteLine
    extra = 0
    fields = ["position", "invoice_line", "description", "amount", "tax"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "distributor", "organisation", "cycle", "total", "currency", "issued_at"]
    list_filter = ["cycle", "tax_method", "tax_rate_missing"]
    search_fields = ["number", "organisation__name"]
    inlines = [InvoiceLineInline]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "distributor", "organisation", "invoice", "total", "currency", "issued_at"]
    search_fields = ["number", "invoice__number", "organisation__name"]
    inlines = [CreditNoteLineInline]


@admin.register(DocumentCounter)
class DocumentCounterAdmin(ReadOnlyAdmin):
    """Read-only: a counter moved by hand would leave a gap or give a number twice."""

    list_display = ["organisation", "kind", "last"]


@admin.register(TaxSetting)
class TaxSettingAdmin(admin.ModelAdmin):
    list_display = ["organisation", "country", "rate_percent", "method", "updated_at"]
    list_filter = ["method", "country"]
