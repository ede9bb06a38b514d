"""Template filters about the current tenant."""

from django import template

from ..links import url_if_allowed

register = template.Library()


@register.filter
def can(tenant, perm: str) -> bool:
    """``{% if tenant|can:"manage_members" %}``: does the current role hold this permission?"""
    return bool(tenant) and tenant.can(perm)


@register.simple_tag(takes_context=True)
def allowed_url(context, url_name: str, **kwargs) -> str:
    """``{% allowed_url "licensing_purchase:purchase-list" as purchases_url %}``: the page's URL
    in the current organisation, or "" when the current role may not open it, so a button is
    shown only to those it works for (the check is the view's own)."""
    tenant = context.get("tenant")
    return url_if_allowed(tenant, url_name, **kwargs) if tenant else ""
