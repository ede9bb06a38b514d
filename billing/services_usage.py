"""Recording the usage events an MSP's systems send (docs/licensing.md, "Usage"): a batch is
taken whole or refused whole, and an event sent again is counted once."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from licensing.selectors import products_by_id
from msp_portal.errors import Invalid, NotAllowed, item_key
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext

from .models import UsageEvent

MAX_EVENTS = 10_000


@dataclass(frozen=True)
class UsageEventIn:
    """One event as parsed from the request (the API checks the types)."""

    event_id: str
    product_id: int
    quantity: Decimal
    occurred_at: dt.datetime

    def same_as(self, stored: UsageEvent) -> bool:
        return (stored.product_id, stored.quantity, stored.occurred_at) == (
            self.product_id,
            self.quantity,
            self.occurred_at,
        )


@dataclass(frozen=True)
class UsageEventsRecorded:
    created: int
    duplicates: int  # sent before (or twice in this batch) with the same content: skipped


@transaction.atomic
def usage_events_record(*, tenant: TenantContext, events: Sequence[UsageEventIn]) -> UsageEventsRecorded:
    """Store a batch of usage events of the MSP, all or none.

    Each product must be in the MSP's catalog and sold in its currency. An event_id already
    stored (or repeated in the batch) with the same product, quantity and moment is a duplicate
    and skipped; with other content it is refused. Any refusal raises Invalid with one key per
    event (``events.3.product``, counted from 1) and stores nothing. Safe to re-run: the same
    batch again creates nothing. One insert (ON CONFLICT DO NOTHING) for the whole batch."""
    msp = tenant.organisation
    if not msp.is_msp or not tenant.can(Perm.MANAGE_BILLING):
        raise NotAllowed()
    if not 1 <= len(events) <= MAX_EVENTS:
        raise Invalid(
            _("Send from 1 to %(max)s usage events at a time.") % {"max": f"{MAX_EVENTS:,}"},
            field_errors={"events": [_("Send from 1 to %(max)s events.") % {"max": f"{MAX_EVENTS:,}"}]},
        )
    stored = {
        event.event_id: event
        for event in UsageEvent.objects.for_tenant(msp).filter(event_id__in={e.event_id for e in events})
    }
    new, errors = _sort_out(msp, events, stored)
    if errors:
        raise _refused(errors)
    created = _insert(msp, new)
    # An event another request stored meanwhile, with the same id: a duplicate if it says the same.
    raced = {event.event_id for event in new} - created
    if raced:
        _refuse_changed(msp, events, raced)
    return UsageEventsRecorded(created=len(created), duplicates=len(events) - len(created))


def _sort_out(
    msp: Organisation, events: Sequence[UsageEventIn], stored: dict[str, UsageEvent]
) -> tuple[list[UsageEventIn], dict[str, list[str]]]:
    """The events to insert, and the refusals by key."""
    products = products_by_id(organisation=msp, product_ids={e.product_id for e in events})
    seen: dict[str, UsageEventIn] = {}
    new: list[UsageEventIn] = []  # each event_id once, not stored yet
    errors: dict[str, list[str]] = {}
    for number, event in enumerate(events, start=1):
        product = products.get(event.product_id)
        if product is None:
            errors[item_key("events", number, "product")] = [_("Not a product of your catalog.")]
        elif product.currency != msp.currency:
            errors[item_key("events", number, "product")] = [
                _("This product is not sold in your currency (%(currency)s).") % {"currency": msp.currency}
            ]
        if event.event_id in stored:
            same = event.same_as(stored[event.event_id])
        elif event.event_id in seen:
            same = event == seen[event.event_id]
        else:
            seen[event.event_id] = event
            new.append(event)
            continue
        if not same:
            errors[item_key("events", number, "event_id")] = [_changed_message()]
    return new, errors


def _refused(errors: dict[str, list[str]]) -> Invalid:
    return Invalid(
        _("Some usage events were refused and none was recorded: correct them and send the batch again."),
        field_errors=errors,
    )


def _changed_message() -> str:
    return _("This event id was already sent with another product, quantity or moment.")


_INSERT_SQL = """
INSERT INTO billing_usageevent (organisation_id, event_id, product_id, quantity, occurred_at, received_at)
SELECT %(org)s, e.event_id, e.product_id, e.quantity, e.occurred_at, %(now)s
  FROM unnest(%(ids)s::text[], %(products)s::bigint[], %(quantities)s::numeric[], %(moments)s::timestamptz[])
       AS e(event_id, product_id, quantity, occurred_at)
ON CONFLICT (organisation_id, event_id) DO NOTHING
RETURNING event_id
"""


def _insert(msp: Organisation, new: list[UsageEventIn]) -> set[str]:
    """Insert the new events in one statement; the event ids actually inserted."""
    if not new:
        return set()
    params = {
        "org": msp.pk,
        "now": timezone.now(),
        "ids": [e.event_id for e in new],
        "products": [e.product_id for e in new],
        "quantities": [e.quantity for e in new],
        "moments": [e.occurred_at for e in new],
    }
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        return {row[0] for row in cursor.fetchall()}


def _refuse_changed(msp: Organisation, events: Sequence[UsageEventIn], raced: set[str]) -> None:
    """Refuse the events whose id another request stored meanwhile with other content."""
    stored = {
        event.event_id: event for event in UsageEvent.objects.for_tenant(msp).filter(event_id__in=raced)
    }
    errors = {
        item_key("events", number, "event_id"): [_changed_message()]
        for number, event in enumerate(events, start=1)
        if event.event_id in raced and not event.same_as(stored[event.event_id])
    }
    if errors:
        raise _refused(errors)
