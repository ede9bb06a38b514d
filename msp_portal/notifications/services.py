"""Telling people: one in-app row per recipient, and its e-mail in the outbox (docs/notifications.md)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation

from msp_portal.tenancy.models import Membership, Organisation, User
from msp_portal.tenancy.resolve import tenant_context_of

from .models import Notification, OutboxEmail
from .outbox import email_kind, outbox_emails_add
from .selectors import notification_link

NOTIFICATION_EMAIL = "notification"


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
    """Create a notification for each recipient, and its e-mail in the outbox (same transaction).

    ``kind`` names texts registered with :func:`msp_portal.notifications.texts.register`;
    ``params`` fills their placeholders (plain JSON values).
    """
    return notify_many([Notice(organisation, recipients, kind, params, url)])


def notify_many(notices: Iterable[Notice]) -> list[Notification]:
    """:func:`notify` for many notices at once: one insert of notifications and one of their
    e-mails (the batch jobs)."""
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
    outbox_emails_add(
        OutboxEmail(kind=NOTIFICATION_EMAIL, notification=row, to=row.recipient.email) for row in rows
    )
    return rows


@email_kind(NOTIFICATION_EMAIL)
def notification_email_render(email: OutboxEmail) -> EmailMessage | None:
    """The e-mail of one notification, in the portal's default language, rendered when it is sent.

    The link (on ``PORTAL_BASE_URL``) is added only when the recipient may open that page in the
    notification's organisation as things stand when the e-mail goes out.
    """
    row = email.notification
    if row is None:
        return None
    membership = (
        Membership.objects.with_scopes_disabled()
        .filter(user_id=row.recipient_id, organisation_id=row.organisation_id)
        .select_related("organisation")
        .first()
    )
    url = notification_link(notification=row, reader=tenant_context_of(membership)) if membership else ""
    link = f"\n\n{settings.PORTAL_BASE_URL}{url}" if url else ""
    with translation.override(settings.LANGUAGE_CODE):
        title, body = row.title, row.body
    return EmailMessage(title, f"{body}{link}", None, [email.to])


def notification_mark_read(
    *, organisation: Organisation, user: User, notification_ids: list[int] | None = None
) -> int:
    """Mark the user's notifications in this organisation read (all, or the given ones)."""
    rows = Notification.objects.for_tenant(organisation).filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now())
