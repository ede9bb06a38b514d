"""The seam to usage reports: the units provided and used per product and cycle
(docs/licensing.md, "Provided units of a usage report" and "Usage").

Licensing knows the licenses assigned; what was *used* comes from above (billing's imported
daily-rated quantities and its usage events). An upper layer cannot be imported from here, so
it registers its sources with :func:`register_usage_source` in its ``AppConfig.ready()``;
:func:`used_quantities` sums them.
"""

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from msp_portal import calendar
from msp_portal.calendar import month_start, months_between
from msp_portal.tenancy.models import Organisation

from .choices import BillingType
from .cycle_peaks import peaks_by_cycle
from .models import Product, Subscription

# (product_code, sku_code, cycle) → quantity used in that cycle (any day of the month names it).
UsageKey = tuple[str, str, dt.date]
UsageSource = Callable[[Organisation, dt.date, dt.date], dict[UsageKey, Decimal]]

_sources: list[UsageSource] = []


def register_usage_source(source: UsageSource) -> UsageSource:
    """Add a source of used quantities: ``source(msp, first_cycle, last_cycle)`` returns the
    quantity per (product code, SKU code, cycle) for the cycles of that range (first days of
    months). A source runs a bounded number of queries, whatever the range. Registering the
    same function twice keeps one."""
    if source not in _sources:
        _sources.append(source)
    return source


def used_quantities(
    *, msp: Organisation, first_cycle: dt.date, last_cycle: dt.date
) -> dict[UsageKey, Decimal]:
    """Every registered source's quantities, summed per (product code, SKU code, cycle)."""
    first, last = month_start(first_cycle), month_start(last_cycle)
    total: dict[UsageKey, Decimal] = {}
    for source in _sources:
        for (product_code, sku_code, cycle), quantity in source(msp, first, last).items():
            key = (product_code, sku_code, month_start(cycle))
            total[key] = total.get(key, Decimal(0)) + Decimal(quantity)
    return total


def whole_units(quantity: Decimal) -> int:
    """Units are whole: a quantity is rounded up (12.1 hours used is 13 units), a net
    negative quantity (credits beyond charges) is 0."""
    return max(math.ceil(quantity), 0)


@dataclass(frozen=True)
class ProvidedUnits:
    product: Product
    provided: int
    used: int | None


def cycle_bounds(msp: Organisation, cycle: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The cycle (a calendar month) as moments, from the MSP's local midnight to the next."""
    return calendar.cycle_bounds(cycle, msp.timezone)


def provided_units_by_cycle(
    *, msp: Organisation, first_cycle: dt.date, last_cycle: dt.date
) -> dict[dt.date, list[ProvidedUnits]]:
    """Provided and used units per product for the MSP's reports of every cycle from
    ``first_cycle`` to ``last_cycle`` (docs/licensing.md), keyed by cycle: per cycle, one row per
    subscription that existed before the cycle ended. Two queries plus one per usage source,
    whatever the number of cycles or subscriptions (the hourly job opens one MSP's missed months
    at once).

    A license-based product provides the peak of licenses assigned during the cycle and used
    what a usage source reports (None when none does). A usage-based product provides what it
    used: the cycle's reported quantity in whole units (None used when nothing was reported)."""
    first, last = month_start(first_cycle), month_start(last_cycle)
    subscriptions = list(Subscription.objects.for_tenant(msp).select_related("product").order_by("pk"))
    licensed = [s.pk for s in subscriptions if s.product.billing_type == BillingType.LICENSE]
    found = peaks_by_cycle(organisation=msp, first_cycle=first, last_cycle=last, subscription_ids=licensed)
    quantities = used_quantities(msp=msp, first_cycle=first, last_cycle=last)
    result: dict[dt.date, list[ProvidedUnits]] = {}
    for cycle in months_between(first, last):
        _, end = cycle_bounds(msp, cycle)
        result[cycle] = [
            _figures(sub, cycle, found, quantities) for sub in subscriptions if sub.created_at < end
        ]
    return result


def _figures(
    sub: Subscription, cycle: dt.date, peaks: dict, quantities: dict[UsageKey, Decimal]
) -> ProvidedUnits:
    product = sub.product
    quantity = quantities.get((product.product_code, product.sku_code, cycle))
    used = None if quantity is None else whole_units(quantity)
    if product.billing_type == BillingType.USAGE:
        return ProvidedUnits(product=product, provided=used or 0, used=used)
    return ProvidedUnits(product=product, provided=peaks.get((sub.pk, cycle), 0), used=used)
