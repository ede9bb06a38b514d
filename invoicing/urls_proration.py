"""The proration calculator page, under /o/<org_slug>/billing/proration/."""

from django.urls import path

from . import views_proration

app_name = "proration"

urlpatterns = [
    path("", views_proration.ProrationCalculatorView.as_view(), name="calculator"),
]
