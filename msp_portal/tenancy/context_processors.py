"""Template context shared by every page: the current tenant, the switcher and the navigation."""

from django.conf import settings
from django.templatetags.static import static

from msp_portal.notifications.selectors import notification_unread_count

from .navigation import navigation_for
from .selectors import user_membership_list


def tenancy(request):
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    # Resolved once here: pages with hundreds of icons would otherwise resolve it per icon.
    context = {"portal_name": settings.PORTAL_NAME, "tenant": tenant, "icons_url": static("img/icons.svg")}
    if user is not None and user.is_authenticated:
        context["user_memberships"] = user_membership_list(user=user)
    if tenant is not None:
        match = getattr(request, "resolver_match", None)
        unread = notification_unread_count(organisation=tenant.organisation, user=user)
        context["unread_notifications"] = unread
        context["nav_items"] = navigation_for(
            tenant, match.view_name if match else None, badges={"notifications:list": unread}
        )
    return context
