"""Charge cycles of a subscription: the periods it is billed for (docs/invoicing.md, "Charge
cycles").

A subscription is billed monthly or yearly from its billing start day (1–31, the term start's
day unless set otherwise). A monthly cycle starts on that day of each month, or on the month's
last day when the month is shorter, and ends the day before the next one starts: a cycle
anchored on the 31st runs Jan 31 → Feb 27, Feb 28 → Mar 30, Mar 31 → Apr 29. A yearly cycle
starts on that day of the term start's month each year (Feb 29 → Feb 28 in other years).

Pure date rules (no database, no clock): invoicing's proration and the subscription page both
read cycles from here, so a cycle shown is the cycle prorated.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from msp_portal.calendar import add_months, local_date

from .choices import BillingFrequency


@dataclass(frozen=True)
class ChargeCycle:
    start: dt.date
    end: dt.date  # the last day of the cycle, included

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _on_day(year: int, month: int, anchor_day: int) -> dt.date:
    """``anchor_day`` of the month, or the month's last day when the month is shorter."""
    return dt.date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def next_cycle_start(cycle_start: dt.date, *, frequency: str, anchor_day: int | None = None) -> dt.date:
    """The first day of the cycle after the one starting on ``cycle_start``."""
    anchor = anchor_day or cycle_start.day
    if frequency == BillingFrequency.YEARLY:
        return _on_day(cycle_start.year + 1, cycle_start.month, anchor)
    following = add_months(cycle_start, 1)
    return _on_day(following.year, following.month, anchor)


def cycle_containing(day: dt.date, *, frequency: str, anchor_day: int, anchor_month: int = 1) -> ChargeCycle:
    """The charge cycle that ``day`` falls in. ``anchor_month`` (the term start's month) only
    matters for yearly cycles."""
    if frequency == BillingFrequency.YEARLY:
        start = _on_day(day.year, anchor_month, anchor_day)
        if start > day:
            start = _on_day(day.year - 1, anchor_month, anchor_day)
    else:
        start = _on_day(day.year, day.month, anchor_day)
        if start > day:
            previous = add_months(day, -1)
            start = _on_day(previous.year, previous.month, anchor_day)
    end = next_cycle_start(start, frequency=frequency, anchor_day=anchor_day) - dt.timedelta(days=1)
    return ChargeCycle(start=start, end=end)


def subscription_cycle(subscription, day: dt.date) -> ChargeCycle:
    """The charge cycle of ``subscription`` that its local ``day`` falls in."""
    return cycle_containing(
        day,
        frequency=subscription.billing_frequency,
        anchor_day=subscription.billing_day or subscription.term_start.day,
        anchor_month=subscription.term_start.month,
    )


@dataclass(frozen=True)
class ServiceBillingDetails:
    """What the "Service billing details" panel shows of a subscription."""

    frequency: str
    frequency_label: str
    billing_day: int
    current_cycle: ChargeCycle
    next_billing_date: dt.date  # the day the next cycle starts: the one after today's


def service_billing_details(subscription, *, timezone_name: str, now: dt.datetime) -> ServiceBillingDetails:
    """The charge cycle running today in the MSP's own time zone (``timezone_name``, the
    subscription's organisation's), and when it renews."""
    today = local_date(now, timezone_name)
    cycle = subscription_cycle(subscription, today)
    return ServiceBillingDetails(
        frequency=subscription.billing_frequency,
        frequency_label=str(BillingFrequency(subscription.billing_frequency).label),
        billing_day=subscription.billing_day,
        current_cycle=cycle,
        next_billing_date=cycle.end + dt.timedelta(days=1),
    )
