"""May this person open that page? Read from the page's own view, so that a link, a button or a
notification never leads anyone to a refusal: no link to a 403 or 404."""

from urllib.parse import urlsplit

from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from .resolve import TenantContext


def may_open(tenant: TenantContext, path: str) -> bool:
    """Would a GET of ``path`` (a portal path, with or without a query string) get past its
    view's checks for ``tenant``: the organisation in the URL, ``required_kind`` and
    ``required_perm`` (pages) or ``required_perms`` for GET (API)?

    Objects named in the URL are not looked up: links are built from objects the page already
    read through the tenant. A path that resolves to nothing is never openable.
    """
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return False
    org_slug = match.kwargs.get("org_slug")
    if org_slug is not None and org_slug != tenant.organisation.slug:
        return False
    view_class = getattr(match.func, "view_class", None)
    if view_class is None:
        return True
    kind = getattr(view_class, "required_kind", None)
    if kind and kind != tenant.organisation.kind:
        return False
    perm = getattr(view_class, "required_perm", None)
    required_perms = getattr(view_class, "required_perms", None) or {}
    perm = perm or required_perms.get("GET", required_perms.get("*"))
    return not perm or tenant.can(perm)


def url_if_allowed(tenant: TenantContext, url_name: str, **kwargs) -> str:
    """The URL of ``url_name`` in the tenant's organisation, or "" when the tenant may not open
    it (so the template shows no button rather than one leading to a 403)."""
    try:
        url = reverse(url_name, kwargs={"org_slug": tenant.organisation.slug, **kwargs})
    except NoReverseMatch:
        return ""
    return url if may_open(tenant, url) else ""
