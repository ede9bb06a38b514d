from django.urls import path

from . import accounts, views

urlpatterns = [
    path("", views.UsageReportListView.as_view(), name="api-report-list"),
    path("<int:report_id>/", views.UsageReportDetailView.as_view(), name="api-report-detail"),
    path("<int:report_id>/submit/", views.SubmitView.as_view(), name="api-report-submit"),
    path("<int:report_id>/approve/", views.ApproveView.as_view(), name="api-report-approve"),
    path("<int:report_id>/reject/", views.RejectView.as_view(), name="api-report-reject"),
    path("<int:report_id>/history/", views.HistoryView.as_view(), name="api-report-history"),
    path("<int:report_id>/changes/", views.ChangesView.as_view(), name="api-report-changes"),
    path("<int:report_id>/lines/<int:line_id>/", views.LineDetailView.as_view(), name="api-line-detail"),
    path(
        "<int:report_id>/lines/<int:line_id>/comments/",
        views.CommentListView.as_view(),
        name="api-line-comments",
    ),
]

# Mounted at /api/v1/orgs/<org_slug>/ by msp_portal/urls.py (not under usage-reports/).
account_urlpatterns = [
    path("msp-accounts/", accounts.MspAccountListView.as_view(), name="api-msp-account-list"),
    path(
        "msp-accounts/<int:msp_id>/settings/",
        accounts.MspAccountSettingsView.as_view(),
        name="api-msp-account-settings",
    ),
]
