"""Billing's sources of used quantities for the usage reports (docs/licensing.md, "Usage"):
the imported daily-rated usage and the usage events sent through the API. Importing this
module registers both with licensing (billing/apps.py does, in ready()); each source is one
query whatever the range.
"""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from licensing.usage import UsageKey, register_usage_source
from msp_portal.calendar import local_midnight, next_month
from msp_portal.tenancy.models import Organisation

from .models import ImportState, UsageEvent

# Only rows of files in force: a refused file has no rows, a replaced file's rows were deleted
# when its correction was imported, and a file still loading is not counted yet.
_DAILY_USAGE_SQL = """
SELECT d.product_id, d.sku_id, date_trunc('month', d.usage_date)::date AS cycle, SUM(d.quantity)
  FROM billing_daily_usage d
  JOIN billing_reconciliationimport i ON i.id = d.reconciliation_import_id
 WHERE d.organisation_id = %(org)s
   AND i.organisation_id = %(org)s
   AND i.state = %(done)s
   AND d.usage_date >= %(first)s AND d.usage_date < %(end)s
 GROUP BY 1, 2, 3
"""


@register_usage_source
def daily_usage_quantities(
    msp: Organisation, first_cycle: dt.date, last_cycle: dt.date
) -> dict[UsageKey, Decimal]:
    """The daily-rated quantities of the MSP's imported files, summed per ProductId, SkuId and
    month of UsageDate (a day of the vendor's file is already a calendar day)."""
    params = {"org": msp.pk, "done": ImportState.DONE, "first": first_cycle, "end": next_month(last_cycle)}
    with connection.cursor() as cursor:
        cursor.execute(_DAILY_USAGE_SQL, params)
        return {(product, sku, cycle): quantity for product, sku, cycle, quantity in cursor.fetchall()}


@register_usage_source
def usage_event_quantities(
    msp: Organisation, first_cycle: dt.date, last_cycle: dt.date
) -> dict[UsageKey, Decimal]:
    """The quantities of the MSP's usage events, summed per product and month of the moment
    they occurred, read in the MSP's time zone (as the cycles are)."""
    rows = (
        UsageEvent.objects.for_tenant(msp)
        .filter(
            occurred_at__gte=local_midnight(first_cycle, msp.timezone),
            occurred_at__lt=local_midnight(next_month(last_cycle), msp.timezone),
        )
        .annotate(cycle=TruncMonth("occurred_at", tzinfo=zoneinfo.ZoneInfo(msp.timezone)))
        .values("product__product_code", "product__sku_code", "cycle")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    return {
        (row["product__product_code"], row["product__sku_code"], _date(row["cycle"])): row["quantity"]
        for row in rows
    }


def _date(cycle) -> dt.date:
    return cycle.date() if isinstance(cycle, dt.datetime) else cycle
