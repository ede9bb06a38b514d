"""Peaks of assigned licenses (docs/licensing.md): the SQL of licensing.selectors against a brute-force
replay of the history and against the reference rule licensing.peaks.peak_of; the true-up
memory of peaks; the provided units a usage report takes from licensing; the true-up date."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licensing import selectors
from licensing.choices import BillingType, HistoryKind, Program
from licensing.models import AssignmentEvent, Product, Subscription
from licensing.peaks import Peak, peak_of
from tests.factories import MspFactory

from .conftest import status_of, subscription_of

BASE = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
KIND = {1: HistoryKind.ASSIGNED, -1: HistoryKind.UNASSIGNED, 0: HistoryKind.PURCHASED}


def moment(minutes: int) -> dt.datetime:
    return BASE + dt.timedelta(minutes=minutes)


def brute_force(events: list[tuple[dt.datetime, int]], start: dt.datetime, end: dt.datetime) -> Peak:
    """Replay every moment: the count carried in at ``start`` and the count after each event of
    [start, end); the carry-in wins a tie (the peak was already there when the window opened)."""
    carry = sum(delta for at, delta in events if at < start)
    counts, running = [], carry
    for at, delta in events:
        if start <= at < end:
            running += delta
            counts.append((running, at))
    best = max([carry] + [count for count, _at in counts])
    if best == carry:
        return Peak(best, start if best > 0 else None)
    return Peak(best, min(at for count, at in counts if count == best))


@st.composite
def histories(draw, max_subscriptions=3):
    """Per subscription: (minute, delta) pairs in the order they happen, minutes non-decreasing
    (ties allowed), never more unassigned than assigned; 0 is a purchase or removal."""
    result = []
    for _ in range(draw(st.integers(1, max_subscriptions))):
        minutes = sorted(draw(st.lists(st.integers(0, 60), max_size=25)))
        events, running = [], 0
        for minute in minutes:
            delta = draw(st.sampled_from([1, 1, 0, -1, -1]) if running else st.sampled_from([1, 1, 0]))
            running += delta
            events.append((minute, delta))
        result.append(events)
    return result


def make_subscription(msp, distributor, number: int, *, billing_type=BillingType.LICENSE, term_start=None):
    product = Product.objects.create(
        organisation=distributor,
        product_code=f"P{number}",
        sku_code=f"S{number}",
        name=f"Product {number}",
        publisher="Contoso",
        unit_price=Decimal("1.00"),
        billing_type=billing_type,
        program=Program.TRUE_UP,
    )
    return Subscription.objects.create(
        organisation=msp, product=product, term_start=term_start or BASE.date()
    )


def write_history(msp, subscriptions, histories_):
    """Insert all events in time order, interleaving subscriptions (ties keep each
    subscription's own order), so ids follow the order the events happened in."""
    merged = sorted(
        (
            (minute, index, position, delta)
            for index, events in enumerate(histories_)
            for position, (minute, delta) in enumerate(events)
        ),
    )
    for minute, index, _position, delta in merged:
        AssignmentEvent.objects.create(
            organisation=msp,
            subscription=subscriptions[index],
            kind=KIND[delta],
            assigned_delta=delta,
            owned_after=0,
            at=moment(minute),
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=histories(),
    windows=st.lists(st.tuples(st.integers(-5, 65), st.integers(1, 40)), min_size=1, max_size=4),
)
def test_sql_peaks_equal_the_replay_and_the_reference_rule(world, data, windows):
    msp, distributor = world.a.msp, world.a.distributor
    with transaction.atomic():
        subscriptions = [make_subscription(msp, distributor, n) for n in range(len(data))]
        write_history(msp, subscriptions, data)
        # Another organisation's history in the same minutes must not count.
        other = make_subscription(world.b.msp, world.b.distributor, 99)
        write_history(world.b.msp, [other], [[(m, 1) for m in range(0, 60, 7)]])
        ids = [s.pk for s in subscriptions]
        for offset, length in windows:
            start, end = moment(offset), moment(offset + length)
            found = selectors.peaks(organisation=msp, subscription_ids=ids, start=start, end=end)
            assert set(found) == set(ids)
            for subscription, events in zip(subscriptions, data, strict=True):
                timed = [(moment(minute), delta) for minute, delta in events]
                expected = brute_force(timed, start, end)
                assert peak_of(timed, start=start, end=end) == expected, (events, offset, length)
                assert found[subscription.pk] == expected, (
                    f"SQL peak {found[subscription.pk]} != replay {expected} for history {events} "
                    f"over minutes [{offset}, {offset + length})"
                )
        transaction.set_rollback(True)


def test_a_subscription_without_history_has_no_peak(world):
    subscription = make_subscription(world.a.msp, world.a.distributor, 1)

    found = selectors.peaks(
        organisation=world.a.msp, subscription_ids=[subscription.pk], start=moment(0), end=moment(60)
    )

    assert found == {subscription.pk: Peak(0, None)}
    assert selectors.peaks(organisation=world.a.msp, subscription_ids=[], start=moment(0)) == {}


def test_removing_assignments_never_lowers_the_peak(world, product, buy, assign, unassign):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 5)
    subscription = subscription_of(world.a, item)
    seats = [assign(world.a, subscription, f"Person {n}") for n in range(5)]

    for seat in seats[:3]:
        unassign(world.a, seat)

    status = status_of(world.a, subscription)
    assert status.assigned == 2
    assert status.peak_year.units == 5 and status.peak_term.units == 5
    assert status.peak_year.first_reached == seats[-1].assigned_at
    history = list(selectors.assignment_history(organisation=world.a.msp, subscription=subscription))
    assert [e.assigned_delta for e in history if e.kind != HistoryKind.PURCHASED] == [1] * 5 + [-1] * 3


def test_full_term_and_past_year_peaks_differ_when_the_maximum_is_older_than_a_year(world):
    msp = world.a.msp
    now = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
    subscription = make_subscription(msp, world.a.distributor, 1, term_start=dt.date(2024, 1, 10))
    old_peak = now - dt.timedelta(days=500)
    recent = now - dt.timedelta(days=100)
    for at, delta in [(old_peak, 1)] * 6 + [(old_peak + dt.timedelta(days=1), -1)] * 4 + [(recent, 1)]:
        AssignmentEvent.objects.create(
            organisation=msp,
            subscription=subscription,
            kind=KIND[delta],
            assigned_delta=delta,
            owned_after=0,
            at=at,
        )

    status = status_of(world.a, subscription, now=now)

    assert status.peak_term == Peak(6, old_peak)
    assert status.peak_year == Peak(3, recent)


# --- provided units of a usage report -------------------------------------------------------------


def backdate(subscription, when: dt.datetime) -> None:
    Subscription.objects.for_tenant(subscription.organisation).filter(pk=subscription.pk).update(
        created_at=when
    )


def event(subscription, at: dt.datetime, delta: int) -> None:
    AssignmentEvent.objects.create(
        organisation=subscription.organisation,
        subscription=subscription,
        kind=KIND[delta],
        assigned_delta=delta,
        owned_after=10,
        at=at,
    )


def provided_rows(msp, cycle: dt.date) -> list[selectors.ProvidedUnits]:
    """What the hourly job reads from licensing for one cycle (reports.cycles)."""
    return selectors.provided_units_by_cycle(msp=msp, first_cycle=cycle, last_cycle=cycle)[cycle]


def provided(msp, cycle: dt.date) -> dict[str, int]:
    return {row.product.sku_code: row.provided for row in provided_rows(msp, cycle)}


def test_provided_units_are_the_peak_assigned_within_the_cycle_with_the_carry_in(world):
    msp = world.a.msp
    license_based = make_subscription(msp, world.a.distributor, 1)
    backdate(license_based, dt.datetime(2023, 12, 1, tzinfo=dt.UTC))
    # 2 assigned in December and kept; in January 3 more (5), then 4 unassigned (1).
    for day, delta in [(5, 1), (20, 1)]:
        event(license_based, dt.datetime(2023, 12, day, tzinfo=dt.UTC), delta)
    for day, delta in [(3, 1), (4, 1), (9, 1), (15, -1), (16, -1), (17, -1), (18, -1)]:
        event(license_based, dt.datetime(2024, 1, day, tzinfo=dt.UTC), delta)

    assert provided(msp, dt.date(2023, 12, 1)) == {"S1": 2}
    assert provided(msp, dt.date(2024, 1, 1)) == {"S1": 5}
    assert provided(msp, dt.date(2024, 2, 1)) == {"S1": 1}, "carried in from January, no event in February"


def test_a_usage_based_product_provides_no_licenses(world):
    msp = world.a.msp
    usage = make_subscription(msp, world.a.distributor, 1, billing_type=BillingType.USAGE)
    backdate(usage, dt.datetime(2023, 12, 1, tzinfo=dt.UTC))
    event(usage, dt.datetime(2024, 1, 5, tzinfo=dt.UTC), 1)

    rows = provided_rows(msp, dt.date(2024, 1, 1))

    assert [(row.product.sku_code, row.provided, row.used) for row in rows] == [("S1", 0, None)]


def test_provided_units_follow_the_msps_time_zone_at_month_boundaries(world):
    msp = world.a.msp
    msp.timezone = "Europe/Paris"
    msp.save(update_fields=["timezone"])
    subscription = make_subscription(msp, world.a.distributor, 1)
    backdate(subscription, dt.datetime(2023, 12, 1, tzinfo=dt.UTC))
    # 23:30 UTC on 31 January is 00:30 on 1 February in Paris.
    event(subscription, dt.datetime(2024, 1, 31, 23, 30, tzinfo=dt.UTC), 1)
    event(subscription, dt.datetime(2024, 2, 1, 8, tzinfo=dt.UTC), -1)

    assert provided(msp, dt.date(2024, 1, 1)) == {"S1": 0}
    assert provided(msp, dt.date(2024, 2, 1)) == {"S1": 1}
    start, end = selectors.cycle_bounds(msp, dt.date(2024, 2, 1))
    assert (start, end) == (
        dt.datetime(2024, 1, 31, 23, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 23, tzinfo=dt.UTC),
    )


def test_provided_units_ignore_another_organisations_history(world):
    mine = make_subscription(world.a.msp, world.a.distributor, 1)
    theirs = make_subscription(world.b.msp, world.b.distributor, 2)
    for subscription in (mine, theirs):
        backdate(subscription, dt.datetime(2023, 12, 1, tzinfo=dt.UTC))
    event(theirs, dt.datetime(2024, 1, 5, tzinfo=dt.UTC), 1)
    event(mine, dt.datetime(2024, 1, 6, tzinfo=dt.UTC), 1)
    event(theirs, dt.datetime(2024, 1, 7, tzinfo=dt.UTC), 1)

    assert provided(world.a.msp, dt.date(2024, 1, 1)) == {"S1": 1}
    assert provided(world.b.msp, dt.date(2024, 1, 1)) == {"S2": 2}


def test_a_new_msp_without_subscriptions_provides_nothing(world):
    lonely = MspFactory(slug="msp-lonely", distributor=world.a.distributor)

    assert provided_rows(lonely, dt.date(2024, 1, 1)) == []


# --- the true-up date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term_start, today, expected",
    [
        (dt.date(2023, 5, 10), dt.date(2025, 5, 9), dt.date(2025, 5, 10)),
        (dt.date(2023, 5, 10), dt.date(2025, 5, 10), dt.date(2026, 5, 10)),
        (dt.date(2023, 5, 10), dt.date(2025, 12, 31), dt.date(2026, 5, 10)),
        (dt.date(2025, 12, 31), dt.date(2025, 12, 31), dt.date(2026, 12, 31)),
        (dt.date(2024, 2, 29), dt.date(2024, 3, 1), dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2026, 2, 28)),
        (dt.date(2024, 2, 29), dt.date(2027, 3, 1), dt.date(2028, 2, 29)),
        (dt.date(2024, 2, 29), dt.date(2028, 2, 28), dt.date(2028, 2, 29)),
    ],
)
def test_next_anniversary(term_start, today, expected):
    assert selectors.next_anniversary(term_start, today) == expected
