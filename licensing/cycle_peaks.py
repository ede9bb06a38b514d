"""Peaks of assigned licenses per subscription and per billing cycle, in one SQL statement.

A cycle is a calendar month in the MSP's own time zone (from its local midnight on the 1st to
the next; ``selectors.cycle_bounds`` gives the same moments). The rule is the one of
``licensing.peaks.peak_of`` applied to each month: the peak is the highest count of assigned
licenses at any moment of the month, which is the count already reached when the month opens
(the carry-in) or any count reached by an event inside it. A month without events keeps the
count it opened with.

How the statement gets there, for every subscription and every month of the range at once:

1. ``edges``: the local midnight opening each month of the range (``generate_series`` in the
   MSP's time zone, daylight saving included) and the one closing the last;
2. ``ev``: the running count of each event, a window sum per subscription over (at, id) (ties
   of the same moment keep the order they were written in, as the reference rule does);
3. ``buckets``: per (subscription, month) the highest running count inside the month and what
   the month moved in total; the month of an event is a binary search of its moment among the
   edges (``width_bucket``), bucket 0 being everything before the first month;
4. ``filled``: every (subscription, month) pair, with or without events; the carry-in of a month
   is the running count at the last event before it, i.e. the sum of what all the earlier buckets
   moved (a window sum again), so a month without events carries the last count forward;
5. the peak is the greater of the carry-in and the highest running count inside the month.
"""

import datetime as dt

from django.db import connection

from msp_portal.calendar import month_start
from msp_portal.tenancy.models import Organisation

_CYCLE_PEAKS_SQL = """
WITH edges AS (
    -- the local midnights opening each cycle, and the one closing the last: n + 1 moments
    SELECT array_agg(m AT TIME ZONE %(tz)s ORDER BY m) AS starts, array_agg(m::date ORDER BY m) AS cycles
      FROM generate_series(
               %(first)s::timestamp, %(last)s::timestamp + interval '1 month', interval '1 month'
           ) AS m
),
subs AS (
    SELECT id AS subscription_id
      FROM licensing_subscription
     WHERE organisation_id = %(org)s AND (%(all_subs)s OR id = ANY(%(subs)s::bigint[]))
),
ev AS (
    SELECT e.subscription_id,
           e.at,
           e.assigned_delta,
           SUM(e.assigned_delta) OVER (
               PARTITION BY e.subscription_id ORDER BY e.at, e.id ROWS UNBOUNDED PRECEDING
           ) AS running
      FROM licensing_assignmentevent e
     WHERE e.organisation_id = %(org)s
       AND (%(all_subs)s OR e.subscription_id = ANY(%(subs)s::bigint[]))
       AND e.at < (SELECT starts[array_upper(starts, 1)] FROM edges)
),
buckets AS (
    -- bucket 0: before the first cycle; bucket k: the k-th cycle (a binary search per event)
    SELECT subscription_id,
           width_bucket(at, (SELECT starts FROM edges)) AS bucket,
           MAX(running) AS top,
           SUM(assigned_delta) AS moved
      FROM ev
     GROUP BY 1, 2
),
filled AS (
    SELECT g.subscription_id,
           g.bucket,
           b.top,
           COALESCE(
               SUM(b.moved) OVER (
                   PARTITION BY g.subscription_id ORDER BY g.bucket
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
               ),
               0
           ) AS carry_in
      FROM (
            SELECT subs.subscription_id, n AS bucket
              FROM subs
             CROSS JOIN generate_series(0, (SELECT array_upper(starts, 1) - 1 FROM edges)) AS n
           ) AS g
      LEFT JOIN buckets b USING (subscription_id, bucket)
)
SELECT f.subscription_id,
       (SELECT cycles FROM edges)[f.bucket] AS cycle,
       GREATEST(f.carry_in, COALESCE(f.top, f.carry_in)) AS peak
  FROM filled f
 WHERE f.bucket >= 1
"""


def peaks_by_cycle(
    *,
    organisation: Organisation,
    first_cycle: dt.date,
    last_cycle: dt.date,
    subscription_ids: list[int] | None = None,
) -> dict[tuple[int, dt.date], int]:
    """The peak of assigned licenses of each subscription of the MSP in each cycle from
    ``first_cycle`` to ``last_cycle`` (months, both included; any day of a month names it), in
    one query. Every (subscription, cycle) pair has an entry: 0 before anything was assigned.
    ``subscription_ids`` limits it to some subscriptions (of this organisation only)."""
    first, last = month_start(first_cycle), month_start(last_cycle)
    if last < first or (subscription_ids is not None and not subscription_ids):
        return {}
    params = {
        "org": organisation.pk,
        "tz": organisation.timezone,
        "first": first,
        "last": last,
        "all_subs": subscription_ids is None,
        "subs": list(subscription_ids or []),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CYCLE_PEAKS_SQL, params)
        return {(row[0], row[1]): int(row[2]) for row in cursor.fetchall()}
