from django.urls import path

from . import views, views_accounts

app_name = "reports"

urlpatterns = [
    path("", views.ReportListView.as_view(), name="report-list"),
    path("accounts/", views_accounts.AccountSettingsListView.as_view(), name="account-settings-list"),
    path(
        "accounts/<int:msp_id>/",
        views_accounts.AccountSettingsFormView.as_view(),
        name="account-settings-edit",
    ),
    path("<int:report_id>/", views.ReportDetailView.as_view(), name="report-detail"),
    path("<int:report_id>/save/", views.DraftSaveView.as_view(), name="draft-save"),
    path("<int:report_id>/submit/", views.TransitionView.as_view(action="submit"), name="report-submit"),
    path("<int:report_id>/approve/", views.TransitionView.as_view(action="approve"), name="report-approve"),
    path("<int:report_id>/reject/", views.TransitionView.as_view(action="reject"), name="report-reject"),
    path("<int:report_id>/lines/<int:line_id>/", views.LineUpdateView.as_view(), name="line-update"),
    path("<int:report_id>/lines/<int:line_id>/comments/", views.CommentAddView.as_view(), name="comment-add"),
]
