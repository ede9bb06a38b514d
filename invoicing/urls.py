"""Invoicing's pages, under /o/<org_slug>/invoices/."""

from django.urls import path

from . import views, views_distributor

app_name = "invoicing"

urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="invoice-list"),
    path("<int:invoice_id>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("<int:invoice_id>/print/", views.InvoicePrintView.as_view(), name="invoice-print"),
    path("<int:invoice_id>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("<int:invoice_id>/lines.csv", views.InvoiceLinesCsvView.as_view(), name="invoice-lines-csv"),
    path(
        "<int:invoice_id>/credit/", views_distributor.CreditNoteIssueView.as_view(), name="credit-note-issue"
    ),
    path("credit-notes/", views.CreditNoteListView.as_view(), name="credit-note-list"),
    path(
        "credit-notes/<int:credit_note_id>/", views.CreditNoteDetailView.as_view(), name="credit-note-detail"
    ),
    path("true-ups/", views_distributor.TrueUpListView.as_view(), name="true-up-list"),
    path("tax/", views_distributor.TaxSettingListView.as_view(), name="tax-setting-list"),
    path(
        "tax/<int:tax_setting_id>/", views_distributor.TaxSettingEditView.as_view(), name="tax-setting-edit"
    ),
    path(
        "tax/<int:tax_setting_id>/delete/",
        views_distributor.TaxSettingDeleteView.as_view(),
        name="tax-setting-delete",
    ),
    path(
        "accounting-export/",
        views_distributor.AccountingExportView.as_view(),
        name="accounting-export-request",
    ),
]
