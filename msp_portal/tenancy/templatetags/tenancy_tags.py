"""Template filters about the current tenant."""

from django import template

register = template.Library()


@register.filter
def can(tenant, perm: str) -> bool:
    """``{% if tenant|can:"manage_members" %}``: does the current role hold this permission?"""
    return bool(tenant) and tenant.can(perm)
