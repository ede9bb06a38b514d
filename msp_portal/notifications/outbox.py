"""The e-mail outbox (docs/notifications.md): every e-mail is a row written in the transaction of
the change that causes it, so a change and its e-mail are committed together or not at all.

After the commit the rows are handed to a worker if the broker answers at once; whatever the
broker does, the beat's sweep sends every row that is due, so a lost hand-over only delays an
e-mail. A row is claimed by a conditional update before it is sent and marked sent only once the
mail server accepted it; a refused send is tried again later, less and less often."""

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from msp_portal.jobs.handover import hand_over

from .choices import EmailState
from .models import OutboxEmail

logger = logging.getLogger(__name__)

# Ten attempts, waiting 1, 2, 4 … minutes between them, never more than an hour: a mail server
# down for about four hours is waited out; after that the row is failed and an operator looks.
MAX_ATTEMPTS = 10
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
# A row still "sending" this long after its claim belongs to a worker that died mid-send; the
# sweep takes it over. Far above EMAIL_TIMEOUT, so a slow send is never taken over (taking over
# a send that did reach the server is the one way an e-mail can go out twice).
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
SWEEP_BATCH = 500

Renderer = Callable[[OutboxEmail], EmailMessage | None]
_RENDERERS: dict[str, Renderer] = {}


def email_kind(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that renders the e-mails of ``kind`` when they are sent (apps call
    it from their ``ready()``). It returns the message, or None when there is nothing left to
    send (the thing it was about is gone): the row is then cancelled."""

    def register(render: Renderer) -> Renderer:
        _RENDERERS[kind] = render
        return render

    return register


def outbox_emails_add(emails: Iterable[OutboxEmail]) -> list[OutboxEmail]:
    """Write unsaved rows (``kind``, ``to``, ``params`` or ``notification``) in the caller's
    transaction, due now; once it commits, offer them to a worker (see :func:`outbox_emails_enqueue`)."""
    now = timezone.now()
    rows = list(emails)
    for row in rows:
        row.state, row.next_attempt_at = EmailState.PENDING, now
    rows = OutboxEmail.objects.bulk_create(rows)
    if rows:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: outbox_emails_enqueue(ids))
    return rows


def outbox_emails_enqueue(email_ids: list[int]) -> bool:
    """Hand rows to a worker if the broker takes them within half a second; never raises.
    False when it did not: the sweep sends them instead."""
    return hand_over("notifications.outbox_email_send", (email_ids,), f"Outbox: {len(email_ids)} e-mail(s)")


def _due(now: dt.datetime) -> Q:
    return Q(state=EmailState.PENDING, next_attempt_at__lte=now) | Q(
        state=EmailState.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )


def outbox_email_send(*, email_id: int, now: dt.datetime | None = None) -> bool:
    """Send one row if it is due and nobody else holds it; True when this call sent it.

    Safe to run twice, or in two workers at once: the conditional claim lets one of them through,
    and a sent row is never due again. A failed send puts the row back with a later attempt
    (or fails it after MAX_ATTEMPTS). A connection cut while the row is claimed is reopened once
    to end the claim; a database that stays away propagates, for the task to retry.
    """
    now = now or timezone.now()
    claimed = OutboxEmail.objects.filter(_due(now), pk=email_id).update(
        state=EmailState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    row = OutboxEmail.objects.select_related("notification").get(pk=email_id)
    try:
        message = _RENDERERS[row.kind](row)
        if message is not None:
            message.send()
    except Exception as exc:  # SMTP refusals, a mail server down, an unknown kind: try again later
        _put_back(row, now, exc)
        return False
    holding = OutboxEmail.objects.filter(pk=row.pk, state=EmailState.SENDING)
    if message is None:
        _reconnecting(lambda: holding.update(state=EmailState.CANCELLED, claimed_at=None))
        return False
    sent_at = timezone.now()
    _reconnecting(
        lambda: holding.update(state=EmailState.SENT, sent_at=sent_at, claimed_at=None, last_error="")
    )
    return True


def _reconnecting(write: Callable[[], object]) -> None:
    """Run a write that ends a claim; if the connection was cut meanwhile (a database restart),
    reconnect once and write again. A claim left in place would hold its row until CLAIM_TIMEOUT,
    and a sent row left "sending" would then be sent a second time by the sweep."""
    try:
        write()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:  # a caller's transaction is lost anyway: let it see why
            raise
        logger.warning("Outbox: database connection lost while ending a claim; reconnecting once")
        connection.close()
        write()


def _put_back(row: OutboxEmail, now: dt.datetime, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    holding = OutboxEmail.objects.filter(pk=row.pk, state=EmailState.SENDING)
    if row.attempts >= MAX_ATTEMPTS:
        _reconnecting(lambda: holding.update(state=EmailState.FAILED, claimed_at=None, last_error=error))
        logger.error(
            "Outbox: e-mail %s to %s failed for good after %d attempts: %s",
            row.pk,
            row.to,
            row.attempts,
            error,
        )
        return
    wait = min(FIRST_RETRY * 2 ** (row.attempts - 1), LONGEST_RETRY)
    _reconnecting(
        lambda: holding.update(
            state=EmailState.PENDING, claimed_at=None, next_attempt_at=now + wait, last_error=error
        )
    )
    logger.warning(
        "Outbox: e-mail %s to %s not sent (attempt %d), next try in %s: %s",
        row.pk,
        row.to,
        row.attempts,
        wait,
        error,
    )


def outbox_emails_send(*, email_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """:func:`outbox_email_send` for each row; returns how many this call sent."""
    return sum(outbox_email_send(email_id=pk, now=now) for pk in email_ids)


def outbox_sweep(*, now: dt.datetime | None = None) -> int:
    """Send what is due: pending rows whose next attempt has come (among them any whose hand-over
    to a worker was lost) and rows a dead worker left claimed. Run by the beat every minute;
    safe to run in parallel with itself and with the send task. Returns how many it sent."""
    now = now or timezone.now()
    ids = list(
        OutboxEmail.objects.filter(_due(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return outbox_emails_send(email_ids=ids, now=now)
