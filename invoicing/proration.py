"""Proration items: every mid-cycle change of the licenses an MSP owns, priced by the rules
(docs/invoicing.md, "Proration").

The invoice builder adds one line per item; the calculator page and its API price a change
typed by hand with the same ``rules.prorate``.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from licensing.charge_cycles import subscription_cycle
from licensing.models import AssignmentEvent, Subscription
from msp_portal.calendar import local_date, local_midnight, month_start, next_month
from msp_portal.errors import Invalid
from msp_portal.tenancy.models import Organisation

from . import rules


@dataclass(frozen=True)
class ProrationItem:
    subscription_id: int
    product_code: str
    product_name: str
    cycle_start: dt.date
    change_date: dt.date
    old_quantity: int
    new_quantity: int
    unit_price: Decimal  # monthly unit price of the product
    currency: str
    proration: rules.Proration  # refund, charge, days, daily_rate

    @property
    def amount(self) -> Decimal:
        return self.proration.charge - self.proration.refund


def _owned_changes(msp: Organisation, month: dt.date) -> tuple[list[Subscription], dict[int, list]]:
    """The subscriptions of ``msp`` with the licenses each owned when ``month`` opened
    (``owned_before``, None without history), and per subscription the local days of the month
    on which the count owned changed: ``(day, count before the day, count at the day's end)``.

    Two queries: the subscriptions with their opening count (a subquery per row, not a query),
    and the month's history in order."""
    start, end = local_midnight(month, msp.timezone), local_midnight(next_month(month), msp.timezone)
    history = AssignmentEvent.objects.for_tenant(msp)
    opening = history.filter(subscription=OuterRef("pk"), at__lt=start).order_by("-at", "-pk")
    subscriptions = list(
        Subscription.objects.for_tenant(msp)
        .select_related("product")
        .annotate(owned_before=Subquery(opening.values("owned_after")[:1]))
        .order_by("pk")
    )
    owned = {sub.pk: sub.owned_before or 0 for sub in subscriptions}
    # Per subscription and local day: the count before the day's first event, and after its last.
    days: dict[int, dict[dt.date, list[int]]] = {}
    events = history.filter(at__gte=start, at__lt=end).order_by("at", "pk")
    for subscription_id, at, owned_after in events.values_list("subscription_id", "at", "owned_after"):
        day = local_date(at, msp.timezone)
        counts = days.setdefault(subscription_id, {}).setdefault(day, [owned.get(subscription_id, 0), 0])
        counts[1] = owned[subscription_id] = owned_after
    changes = {
        sub_id: [(day, before, after) for day, (before, after) in sorted(by_day.items()) if before != after]
        for sub_id, by_day in days.items()
    }
    return subscriptions, changes


def proration_items(*, msp: Organisation, month: dt.date) -> list[ProrationItem]:
    """Every mid-cycle change of the licenses OWNED (AssignmentEvent.owned_after changes) of each
    subscription of ``msp`` whose change date falls in the calendar month ``month`` (first day),
    against the charge cycle that contains the change; ordered by date, subscription.

    Changes are read per local day of the MSP: the events of one day make one change, from the
    count owned before the day to the count at its end (none when they cancel out). A change on
    its cycle's first day is not prorated: that whole cycle is billed at the new count."""
    subscriptions, changes = _owned_changes(msp, month_start(month))
    items = []
    for subscription in subscriptions:
        product = subscription.product
        for day, before, after in changes.get(subscription.pk, []):
            cycle = subscription_cycle(subscription, day)
            if day == cycle.start:
                continue
            proration = rules.prorate(
                unit_price=product.unit_price,
                cycle_start=cycle.start,
                change_date=day,
                old_quantity=before,
                new_quantity=after,
                last_day=cycle.end,
            )
            items.append(
                ProrationItem(
                    subscription_id=subscription.pk,
                    product_code=product.product_code,
                    product_name=product.name,
                    cycle_start=cycle.start,
                    change_date=day,
                    old_quantity=before,
                    new_quantity=after,
                    unit_price=product.unit_price,
                    currency=product.currency,
                    proration=proration,
                )
            )
    items.sort(key=lambda item: (item.change_date, item.subscription_id))
    return items


# --- the calculator (page and API) ---------------------------------------------------------------


def proration_quote(
    *, unit_price: Decimal, cycle_start: dt.date, change_date: dt.date, old_quantity: int, new_quantity: int
) -> rules.Proration:
    """A change typed by hand, priced like the invoice's proration lines: the monthly cycle
    that starts on ``cycle_start``. Refuses a change outside that cycle or a negative count."""
    problems: dict[str, list[str]] = {}
    for field, quantity in (("old_quantity", old_quantity), ("new_quantity", new_quantity)):
        if quantity < 0:
            problems[field] = [_("Enter a number of licenses, 0 or more.")]
    if unit_price < 0:
        problems["unit_price"] = [_("Enter a price of 0 or more.")]
    if not rules.change_in_cycle(cycle_start, change_date):
        problems["change_date"] = [
            _("The change must fall inside the cycle, from %(start)s to %(end)s.")
            % {"start": date_format(cycle_start), "end": date_format(rules.cycle_end(cycle_start))}
        ]
    if problems:
        raise Invalid(_("The change cannot be prorated."), field_errors=problems)
    return rules.prorate(
        unit_price=unit_price,
        cycle_start=cycle_start,
        change_date=change_date,
        old_quantity=old_quantity,
        new_quantity=new_quantity,
    )
