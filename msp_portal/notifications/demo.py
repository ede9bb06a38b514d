"""What the demo loaders of every app do to the notifications their stories wrote: a notice
about the past is shown read and already e-mailed; only the last week's stay unread (and are
e-mailed by the worker), as they would be on a portal that had been running all along."""

import datetime as dt

from django.db.models import F, OuterRef, Subquery
from django_scopes import scopes_disabled

from .choices import EmailState
from .models import Notification, OutboxEmail

RECENT = dt.timedelta(days=7)


def newest_notification_pk() -> int:
    """The id to pass to :func:`notifications_settle_old` before a story writes its notices."""
    with scopes_disabled():
        return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def notifications_settle_old(*, after_pk: int, now: dt.datetime) -> None:
    """Notifications written after ``after_pk`` and older than a week: read two hours after
    they came, their e-mail sent when they were written."""
    with scopes_disabled():
        old = Notification.objects.filter(pk__gt=after_pk, created_at__lt=now - RECENT)
        old.update(read_at=F("created_at") + dt.timedelta(hours=2))
        created = Notification.objects.filter(pk=OuterRef("notification_id")).values("created_at")
        OutboxEmail.objects.filter(notification__in=old).update(
            state=EmailState.SENT, sent_at=Subquery(created)
        )
