from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/invite/", views.MemberInviteView.as_view(), name="member-invite"),
    path("members/<int:membership_id>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path(
        "members/<int:membership_id>/remove/",
        views.MemberRemoveView.as_view(),
        name="member-remove",
    ),
    path("msps/", views.MspListView.as_view(), name="msp-list"),
]
