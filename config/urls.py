"""URL map: pages under /o/<org_slug>/, the API under /api/v1/ (tenant routes under
/api/v1/orgs/<org_slug>/), operators' admin under /admin/."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config.health import healthz
from msp_portal.tenancy import views as tenancy_views
from msp_portal.tenancy.api import views as tenancy_api
from msp_portal.tenancy.forms import OutboxPasswordResetForm
from reports.api.urls import account_urlpatterns as report_account_api

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("auth/token/", tenancy_api.TokenLoginView.as_view(), name="api-token-login"),
    path("auth/logout/", tenancy_api.TokenLogoutView.as_view(), name="api-token-logout"),
    path("me/", tenancy_api.MeView.as_view(), name="api-me"),
    path("orgs/<slug:org_slug>/", include("msp_portal.tenancy.api.urls")),
    path("orgs/<slug:org_slug>/usage-reports/", include("reports.api.urls")),
    path("orgs/<slug:org_slug>/", include(report_account_api)),
    path("orgs/<slug:org_slug>/", include("licensing.api.urls")),
    path("orgs/<slug:org_slug>/usage-events/", include("billing.urls_usage_api")),
    path("orgs/<slug:org_slug>/billing/proration/", include("invoicing.urls_proration_api")),
    path("orgs/<slug:org_slug>/", include("invoicing.api.urls")),
    path("orgs/<slug:org_slug>/billing/", include("billing.api.urls")),
]

urlpatterns = [
    path("", tenancy_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=OutboxPasswordResetForm, extra_email_context={"portal_name": settings.PORTAL_NAME}
        ),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("o/<slug:org_slug>/", include("msp_portal.tenancy.urls")),
    path("o/<slug:org_slug>/reports/", include("reports.urls")),
    path("o/<slug:org_slug>/licensing/", include("licensing.urls_licenses")),
    path("o/<slug:org_slug>/shop/", include("licensing.urls_purchase")),
    path("o/<slug:org_slug>/billing/proration/", include("invoicing.urls_proration")),
    path("o/<slug:org_slug>/billing/", include("billing.urls")),
    path("o/<slug:org_slug>/invoices/", include("invoicing.urls")),
    path("o/<slug:org_slug>/notifications/", include("msp_portal.notifications.urls")),
    path("o/<slug:org_slug>/exports/", include("msp_portal.exports.urls")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "MSP License Usage Portal — operations"
admin.site.site_title = "MSP Portal admin"

handler400 = "msp_portal.error_views.bad_request"
handler403 = "msp_portal.error_views.permission_denied"
handler404 = "msp_portal.error_views.page_not_found"
handler500 = "msp_portal.error_views.server_error"
