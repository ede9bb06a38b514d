"""Licensing API, mounted at /api/v1/orgs/<org_slug>/."""

from django.urls import path

from . import views

urlpatterns = [
    path("catalog/", views.CatalogListView.as_view(), name="api-catalog-list"),
    path("catalog/<int:product_id>/", views.ProductDetailView.as_view(), name="api-product-detail"),
    path("cost-centers/", views.CostCenterListView.as_view(), name="api-cost-center-list"),
    path(
        "cost-centers/<int:cost_center_id>/",
        views.CostCenterDetailView.as_view(),
        name="api-cost-center-detail",
    ),
    path("licensing-settings/", views.LicensingSettingsView.as_view(), name="api-licensing-settings"),
    path("subscriptions/", views.SubscriptionListView.as_view(), name="api-subscription-list"),
    path(
        "subscriptions/overview/",
        views.SubscriptionOverviewView.as_view(),
        name="api-subscription-overview",
    ),
    path(
        "subscriptions/<int:subscription_id>/",
        views.SubscriptionDetailView.as_view(),
        name="api-subscription-detail",
    ),
    path(
        "subscriptions/<int:subscription_id>/assign/",
        views.AssignView.as_view(),
        name="api-subscription-assign",
    ),
    path(
        "subscriptions/<int:subscription_id>/remove/",
        views.RemoveView.as_view(),
        name="api-subscription-remove",
    ),
    path(
        "subscriptions/<int:subscription_id>/history/",
        views.HistoryView.as_view(),
        name="api-subscription-history",
    ),
    path(
        "subscriptions/<int:subscription_id>/history.csv",
        views.HistoryCsvView.as_view(),
        name="api-subscription-history-csv",
    ),
    path("true-ups/", views.TrueUpChargeListView.as_view(), name="api-true-up-list"),
    path("licenses/", views.LicenseListView.as_view(), name="api-license-list"),
    path("licenses/move/", views.LicenseMoveView.as_view(), name="api-license-move"),
    path("licenses/bulk-assign/", views.BulkAssignView.as_view(), name="api-license-bulk-assign"),
    path("licenses/<int:license_id>/", views.LicenseDetailView.as_view(), name="api-license-detail"),
    path(
        "licenses/<int:license_id>/unassign/",
        views.UnassignView.as_view(),
        name="api-license-unassign",
    ),
    path("purchases/", views.PurchaseListView.as_view(), name="api-purchase-list"),
    path("purchases/<int:purchase_id>/", views.PurchaseDetailView.as_view(), name="api-purchase-detail"),
]
