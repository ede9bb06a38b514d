from django.db.models import QuerySet

from msp_portal.tenancy.links import may_open
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import TenantContext

from .models import Notification


def notification_list(*, organisation: Organisation, user: User) -> QuerySet:
    return Notification.objects.for_tenant(organisation).filter(recipient=user)


def notification_unread_count(*, organisation: Organisation, user: User) -> int:
    return notification_list(organisation=organisation, user=user).filter(read_at__isnull=True).count()


def notification_link(*, notification: Notification, reader: TenantContext) -> str:
    """The page a notification leads to, if its reader may open it as things stand now, else "".

    One notice goes to people of several roles (a true-up reaches the billing admins, who see no
    licenses), and roles change after it was sent: the link is checked when shown or e-mailed,
    never only when stored.
    """
    url = notification.url
    return url if url and may_open(reader, url) else ""
