"""The usage-event API, mounted at /api/v1/orgs/<org_slug>/usage-events/ (config/urls.py)."""

from django.urls import path

from .api_usage import UsageEventsView

urlpatterns = [path("", UsageEventsView.as_view(), name="api-usage-events")]
