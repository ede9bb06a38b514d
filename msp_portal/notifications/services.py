"""Telling people: one in-app row per recipient, and an e-mail sent by a worker after commit."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from msp_portal.tenancy.models import Membership, Organisation, User
from msp_portal.tenancy.resolve import tenant_context_of

from .models import Notification
from .selectors import notification_link


@dataclass(frozen=True)
class Notice:
    """One thing to tell some people of one organisation (see :func:`notify`)."""

    organisation: Organisation
    recipients: Iterable[User]
    kind: str
    params: dict
    url: str = ""


def notify(
    *, organisation: Organisation, recipients: Iterable[User], kind: str, params: dict, url: str = ""
) -> list[Notification]:
    """Create a notification for each recipient and e-mail it once the transaction commits.

    ``kind`` names texts registered with :func:`msp_portal.notifications.texts.register`;
    ``params`` fills their placeholders (plain JSON values).
    """
    return notify_many([Notice(organisation, recipients, kind, params, url)])


def notify_many(notices: Iterable[Notice]) -> list[Notification]:
    """:func:`notify` for many notices at once: one insert and one e-mail task (the batch jobs)."""
    rows = Notification.objects.bulk_create(
        [
            Notification(
                organisation=notice.organisation,
                recipient=user,
                kind=notice.kind,
                params=notice.params,
                url=notice.url,
            )
            for notice in notices
            for user in {user.pk: user for user in notice.recipients}.values()
        ]
    )
    if rows:
        from .tasks import notification_email_send_task

        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: notification_email_send_task.delay(ids))
    return rows


def notification_email_send(*, notification_ids: list[int], base_url: str = "") -> int:
    """E-mail the given notifications that have not been e-mailed yet; safe to run twice (each
    row is claimed by a conditional update before its e-mail goes out).

    ``base_url`` is the address the portal is served on (``PORTAL_BASE_URL``); a row's link is
    added only when its recipient may open that page in the row's organisation as things stand.
    """
    sent = 0
    rows = list(
        Notification.objects.with_scopes_disabled()
        .filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("recipient")
    )
    readers = {
        (membership.user_id, membership.organisation_id): tenant_context_of(membership)
        for membership in Membership.objects.with_scopes_disabled()
        .filter(
            user_id__in={row.recipient_id for row in rows},
            organisation_id__in={row.organisation_id for row in rows},
        )
        .select_related("organisation")
    }
    for row in rows:
        claimed = (
            Notification.objects.with_scopes_disabled()
            .filter(pk=row.pk, emailed_at__isnull=True)
            .update(emailed_at=timezone.now())
        )
        if not claimed:
            continue
        reader = readers.get((row.recipient_id, row.organisation_id))
        url = notification_link(notification=row, reader=reader) if reader else ""
        link = f"\n\n{base_url}{url}" if url else ""
        with translation.override(settings.LANGUAGE_CODE):
            title, body = row.title, row.body
        send_mail(title, f"{body}{link}", None, [row.recipient.email])
        sent += 1
    return sent


def notification_mark_read(
    *, organisation: Organisation, user: User, notification_ids: list[int] | None = None
) -> int:
    """Mark the user's notifications in this organisation read (all, or the given ones)."""
    rows = Notification.objects.for_tenant(organisation).filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now())
