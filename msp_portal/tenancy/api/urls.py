from django.urls import path

from . import views

urlpatterns = [
    path("", views.OrganisationDetailView.as_view(), name="api-organisation-detail"),
    path("members/", views.MemberListView.as_view(), name="api-member-list"),
    path("members/<int:membership_id>/", views.MemberDetailView.as_view(), name="api-member-detail"),
    path("msps/", views.ServedMspListView.as_view(), name="api-msp-list"),
]
