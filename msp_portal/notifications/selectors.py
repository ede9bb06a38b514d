from django.db.models import QuerySet

from msp_portal.tenancy.models import Organisation, User

from .models import Notification


def notification_list(*, organisation: Organisation, user: User) -> QuerySet:
    return Notification.objects.for_tenant(organisation).filter(recipient=user)


def notification_unread_count(*, organisation: Organisation, user: User) -> int:
    return notification_list(organisation=organisation, user=user).filter(read_at__isnull=True).count()
