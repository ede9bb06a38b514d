from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.ExportListView.as_view(), name="list"),
    path("<int:export_id>/download/", views.ExportDownloadView.as_view(), name="download"),
]
