"""Billing's pages of an MSP, under /o/<org_slug>/billing/."""

from django.urls import path

from . import views, views_reconciliation

app_name = "billing"

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="import-list"),
    path("imports/upload/", views.ImportUploadView.as_view(), name="import-upload"),
    path("imports/<int:import_id>/", views.ImportDetailView.as_view(), name="import-detail"),
    path("imports/<int:import_id>/status/", views.ImportStatusFragmentView.as_view(), name="import-status"),
    path(
        "imports/<int:import_id>/problems.csv",
        views.ImportProblemsCsvView.as_view(),
        name="import-problems-csv",
    ),
    path("imports/<int:import_id>/retry/", views.ImportRetryView.as_view(), name="import-retry"),
    path("reconciliation/", views_reconciliation.ReconciliationView.as_view(), name="reconciliation"),
    path("reconciliation/run/", views_reconciliation.ReconcileView.as_view(), name="reconcile"),
    path(
        "reconciliation/tolerance/",
        views_reconciliation.ToleranceView.as_view(),
        name="reconciliation-tolerance",
    ),
    path("reconciliation/export/", views_reconciliation.ExportRequestView.as_view(), name="export-request"),
]
