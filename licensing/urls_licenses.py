"""Licenses, subscriptions, bulk assignment, cost centers and thresholds of an MSP, under
/o/<org_slug>/licensing/."""

from django.urls import path

from .views import bulk_assign, cost_centers, licenses, settings, subscriptions

app_name = "licensing_licenses"

urlpatterns = [
    path("", licenses.LicenseListView.as_view(), name="license-list"),
    path("licenses/move/", licenses.LicensesMoveView.as_view(), name="licenses-move"),
    path("licenses/<int:license_id>/", licenses.LicenseRowView.as_view(), name="license-row"),
    path("licenses/<int:license_id>/assign/", licenses.LicenseAssignView.as_view(), name="license-assign"),
    path(
        "licenses/<int:license_id>/unassign/", licenses.LicenseUnassignView.as_view(), name="license-unassign"
    ),
    path("licenses/<int:license_id>/move/", licenses.LicenseMoveView.as_view(), name="license-move"),
    path(
        "subscriptions/<int:subscription_id>/",
        subscriptions.SubscriptionDetailView.as_view(),
        name="subscription-detail",
    ),
    path(
        "subscriptions/<int:subscription_id>/assign/",
        subscriptions.SubscriptionAssignView.as_view(),
        name="subscription-assign",
    ),
    path(
        "subscriptions/<int:subscription_id>/remove/",
        subscriptions.SubscriptionRemoveView.as_view(),
        name="subscription-remove",
    ),
    path(
        "subscriptions/<int:subscription_id>/history.csv",
        subscriptions.SubscriptionHistoryCsvView.as_view(),
        name="subscription-history-csv",
    ),
    path("bulk-assign/", bulk_assign.BulkAssignView.as_view(), name="bulk-assign"),
    path(
        "bulk-assign/bulk-assign-template.csv",
        bulk_assign.BulkAssignTemplateView.as_view(),
        name="bulk-assign-template",
    ),
    path("cost-centers/", cost_centers.CostCenterListView.as_view(), name="cost-center-list"),
    path("cost-centers/new/", cost_centers.CostCenterFormView.as_view(), name="cost-center-create"),
    path(
        "cost-centers/<int:cost_center_id>/edit/",
        cost_centers.CostCenterFormView.as_view(),
        name="cost-center-edit",
    ),
    path("settings/", settings.LicensingSettingsView.as_view(), name="settings"),
]
