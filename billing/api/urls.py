"""Billing API, mounted at /api/v1/orgs/<org_slug>/billing/."""

from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="api-billing-import-list"),
    path("imports/<int:import_id>/", views.ImportDetailView.as_view(), name="api-billing-import-detail"),
    path(
        "imports/<int:import_id>/problems/",
        views.ImportProblemListView.as_view(),
        name="api-billing-import-problems",
    ),
]
