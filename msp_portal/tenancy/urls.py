from django.urls import path

from . import views, views_customers

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
    path("msps/add/", views_customers.MspCreateView.as_view(), name="msp-create"),
    path("msps/<int:msp_id>/", views_customers.CustomerView.as_view(), name="customer"),
    path("msps/<int:msp_id>/active/", views_customers.MspActiveView.as_view(), name="msp-active"),
]
