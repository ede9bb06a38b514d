"""Invoicing API, mounted at /api/v1/orgs/<org_slug>/."""

from django.urls import path

from . import views

urlpatterns = [
    path("invoices/", views.InvoiceListView.as_view(), name="api-invoice-list"),
    path("invoices/<int:invoice_id>/", views.InvoiceDetailView.as_view(), name="api-invoice-detail"),
    path("credit-notes/", views.CreditNoteListView.as_view(), name="api-credit-note-list"),
    path(
        "credit-notes/<int:credit_note_id>/",
        views.CreditNoteDetailView.as_view(),
        name="api-credit-note-detail",
    ),
]
