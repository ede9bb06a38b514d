"""Operators work across tenants in the Django admin; everywhere else the scope stays closed."""

from django.urls import reverse
from django_scopes import scopes_disabled


class OperatorScopeMiddleware:
    """Opens every tenant to the Django admin (staff only, guarded by the admin itself)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        if request.path.startswith(self.admin_prefix):
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)
