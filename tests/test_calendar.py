"""Month and cycle arithmetic (msp_portal/calendar.py): properties over any day and time zone,
checked against the standard library's own calendar."""

import calendar as stdlib_calendar
import datetime as dt
import zoneinfo

from hypothesis import example, given
from hypothesis import strategies as st

from msp_portal.calendar import (
    add_months,
    cycle_bounds,
    cycle_of,
    last_ended_cycle,
    local_date,
    local_midnight,
    month_start,
    months_between,
    next_month,
)
from tests.zones import ZONES, ZONES_WITH_MIDNIGHT_GAPS

days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
shifts = st.integers(min_value=-600, max_value=600)
moments = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 12, 31), timezones=st.just(dt.UTC)
)
zones = st.sampled_from(ZONES + ZONES_WITH_MIDNIGHT_GAPS)


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


@given(day=days)
@example(day=dt.date(2026, 12, 31))
@example(day=dt.date(2024, 2, 29))
def test_next_month_is_the_day_after_the_last_day_of_the_month(day):
    last_day = stdlib_calendar.monthrange(day.year, day.month)[1]
    assert next_month(day) == day.replace(day=last_day) + dt.timedelta(days=1)
    assert month_start(day) == dt.date(day.year, day.month, 1)


@given(day=days, a=shifts, b=shifts)
def test_adding_months_composes_and_undoes(day, a, b):
    moved = add_months(day, a)
    assert moved.day == 1
    assert month_index(moved) == month_index(day) + a
    assert add_months(moved, -a) == month_start(day)
    assert add_months(add_months(day, a), b) == add_months(day, a + b)


@given(first=days, last=days)
def test_months_between_lists_every_cycle_once_oldest_first(first, last):
    months = months_between(first, last)
    assert len(months) == max(month_index(last) - month_index(first) + 1, 0)
    if months:
        assert months[0] == month_start(first) and months[-1] == month_start(last)
    assert all(later == next_month(earlier) for earlier, later in zip(months, months[1:], strict=False))


@given(day=days, zone=zones)
def test_local_midnight_is_the_first_instant_of_the_local_day(day, zone):
    midnight = local_midnight(day, zone)
    assert midnight.utcoffset() == dt.timedelta(0)
    assert local_date(midnight, zone) == day
    assert local_date(midnight - dt.timedelta(microseconds=1), zone) == day - dt.timedelta(days=1)


def test_a_day_whose_clocks_jumped_at_midnight_begins_at_one_on_the_wall_clock():
    # Santiago, 2022-09-11: clocks went from 00:00 straight to 01:00 (UTC−4 → UTC−3).
    midnight = local_midnight(dt.date(2022, 9, 11), "America/Santiago")
    assert midnight == dt.datetime(2022, 9, 11, 4, 0, tzinfo=dt.UTC)
    assert midnight.astimezone(zoneinfo.ZoneInfo("America/Santiago")).time() == dt.time(1, 0)


@given(moment=moments, zone=zones)
def test_a_moment_lies_inside_the_bounds_of_its_cycle(moment, zone):
    cycle = cycle_of(moment, zone)
    start, end = cycle_bounds(cycle, zone)
    assert start <= moment < end
    assert (start, end) == (local_midnight(cycle, zone), local_midnight(next_month(cycle), zone))
    assert cycle_bounds(next_month(cycle), zone)[0] == end, "cycles tile time without gap or overlap"


@given(moment=moments, zone=zones)
def test_the_last_ended_cycle_is_the_one_before_the_running_one(moment, zone):
    ended = last_ended_cycle(moment, zone)
    assert cycle_bounds(ended, zone)[1] <= moment
    assert next_month(ended) == cycle_of(moment, zone)


def test_the_month_ends_at_each_zones_own_midnight():
    # 1 December 2026, 00:30 UTC: November has ended in Paris and London, not yet in Toronto.
    now = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC)
    assert last_ended_cycle(now, "Europe/Paris") == dt.date(2026, 11, 1)
    assert last_ended_cycle(now, "UTC") == dt.date(2026, 11, 1)
    assert last_ended_cycle(now, "America/Toronto") == dt.date(2026, 10, 1)
    assert cycle_bounds(dt.date(2026, 11, 17), "Europe/Paris") == (
        dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC),
    )
