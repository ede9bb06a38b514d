"""The one place where pages and API views resolve their organisation and check a permission."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django_scopes import scope

from .resolve import resolve_tenant


class TenantViewMixin:
    """For pages under /o/<org_slug>/: sign-in required, organisation resolved once (404 for
    non-members), ``required_perm`` checked (403), and the tenant scope open for the view.

    ``required_kind`` limits a page to distributors or MSPs (404 elsewhere: it does not exist
    for the other kind).
    """

    required_perm: str | None = None
    required_kind: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.tenant = request.tenant = resolve_tenant(user=request.user, org_slug=kwargs["org_slug"])
        if self.required_kind and self.tenant.organisation.kind != self.required_kind:
            raise Http404
        # Times on pages read in the organisation's own time zone (a deadline at Paris midnight
        # shows as midnight to a Paris MSP).
        with (
            scope(organisation=self.tenant.organisation.pk),
            timezone.override(self.tenant.organisation.timezone),
        ):
            # Objects named in the URL first: another organisation's id is a 404 whatever the
            # method or the role, before any 403 or 405 could hint that it exists.
            self.load_objects()
            if self.required_perm and not self.tenant.can(self.required_perm):
                raise PermissionDenied
            response = super().dispatch(request, *args, **kwargs)
            # A TemplateResponse renders lazily, after this block: render it here, so its dates
            # show in the organisation's time zone too.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response

    def load_objects(self) -> None:
        """Fetch the objects named in the URL through the tenant (Http404 when not visible)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tenant"] = self.tenant
        context["organisation"] = self.tenant.organisation
        return context


class TenantAPIMixin:
    """For API views under /api/v1/orgs/<org_slug>/: the same resolution after DRF has
    authenticated the caller (session or token). ``required_perms`` maps an HTTP method (or
    ``"*"``) to a permission."""

    required_perms: dict[str, str] = {}
    required_kind: str | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.tenant = request.tenant = resolve_tenant(user=request.user, org_slug=kwargs["org_slug"])
        if self.required_kind and self.tenant.organisation.kind != self.required_kind:
            raise Http404
        self._tenant_scope = scope(organisation=self.tenant.organisation.pk)
        self._tenant_scope.__enter__()
        self.load_objects()
        perm = self.required_perms.get(request.method, self.required_perms.get("*"))
        if perm and not self.tenant.can(perm):
            raise PermissionDenied

    def load_objects(self) -> None:
        """Fetch the objects named in the URL through the tenant (Http404 when not visible),
        before the method or the role is checked."""

    def dispatch(self, request, *args, **kwargs):
        # The scope is opened in initial() (after authentication) and must close whatever
        # happens, or the next request on this thread would inherit it.
        self._tenant_scope = None
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self._tenant_scope is not None:
                self._tenant_scope.__exit__(None, None, None)
