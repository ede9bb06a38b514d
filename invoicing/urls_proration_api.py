"""The proration calculator's API, mounted at /api/v1/orgs/<org_slug>/billing/proration/."""

from django.urls import path

from . import api_proration

urlpatterns = [
    path("", api_proration.ProrationCalculatorView.as_view(), name="api-billing-proration"),
]
