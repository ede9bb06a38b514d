"""Month and cycle arithmetic: the one place that turns moments into local days and months.

A cycle is a calendar month named by its first day (``dt.date(2026, 11, 1)``); it runs from the
MSP's local midnight opening that day to the one opening the next month. Moments are aware
datetimes stored in UTC; days and months are naive dates read in one time zone. Pure: no
database, no clock (callers pass ``now``). Tests: tests/test_calendar.py.
"""

import datetime as dt
import zoneinfo


def month_start(day: dt.date) -> dt.date:
    """The first day of the month ``day`` is in (the name of its cycle)."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after the month of ``day`` (before it when negative)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after the one ``day`` is in."""
    return add_months(day, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The cycles from the month of ``first`` to the month of ``last``, both included, oldest
    first (empty when ``last`` is in an earlier month)."""
    months, cycle, last = [], month_start(first), month_start(last)
    while cycle <= last:
        months.append(cycle)
        cycle = next_month(cycle)
    return months


def local_date(moment: dt.datetime, timezone_name: str) -> dt.date:
    """The calendar day it is at ``moment`` in the given time zone."""
    return moment.astimezone(zoneinfo.ZoneInfo(timezone_name)).date()


def local_midnight(day: dt.date, timezone_name: str) -> dt.datetime:
    """The moment ``day`` begins in the given time zone, in UTC. On a day whose clocks jumped
    forward at midnight, that is the first instant of the day (01:00 on the wall clock)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(timezone_name)).astimezone(dt.UTC)


def cycle_of(moment: dt.datetime, timezone_name: str) -> dt.date:
    """The cycle running at ``moment`` in the given time zone."""
    return month_start(local_date(moment, timezone_name))


def last_ended_cycle(now: dt.datetime, timezone_name: str) -> dt.date:
    """The month before the one it is at ``now`` in the given time zone: the latest that ended."""
    return add_months(cycle_of(now, timezone_name), -1)


def cycle_bounds(cycle: dt.date, timezone_name: str) -> tuple[dt.datetime, dt.datetime]:
    """The cycle of ``cycle`` (any day of the month names it) as moments: from the local
    midnight opening it (included) to the one opening the next month (excluded)."""
    first = month_start(cycle)
    return local_midnight(first, timezone_name), local_midnight(next_month(first), timezone_name)
