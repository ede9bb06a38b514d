"""Peaks per subscription and per cycle in one SQL statement (licensing.cycle_peaks) against a
plain replay of the history with the reference rule licensing.peaks.peak_of, month by month:
empty months, the carry-in, ties, the MSP's time zone at month boundaries (daylight saving
included) and other organisations' history."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from licensing import selectors
from licensing.choices import BillingType, HistoryKind, Program
from licensing.cycle_peaks import peaks_by_cycle
from licensing.models import AssignmentEvent, Product, Subscription
from licensing.peaks import peak_of
from msp_portal.calendar import months_between

KIND = {1: HistoryKind.ASSIGNED, -1: HistoryKind.UNASSIGNED, 0: HistoryKind.PURCHASED}
ZONES = ("UTC", "Europe/Paris", "America/Toronto", "Pacific/Auckland", "Asia/Kolkata")
# The months the histories span: two before the range asked for, one after it.
HISTORY_MONTHS = [dt.date(2023, 11, 1), dt.date(2023, 12, 1)] + [
    dt.date(2024, month, 1) for month in range(1, 8)
]
FIRST_CYCLE, LAST_CYCLE = dt.date(2024, 1, 1), dt.date(2024, 6, 1)
# Moments near a local month boundary, in minutes from local midnight on the 1st.
NEAR_BOUNDARY = (-90, -1, 0, 1, 59, 60)


def local_moment(zone: str, month: dt.date, minutes: int) -> dt.datetime:
    """``minutes`` after local midnight on the 1st of ``month`` (negative: before it)."""
    midnight = dt.datetime.combine(month, dt.time.min, tzinfo=zoneinfo.ZoneInfo(zone))
    return (midnight.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).replace(microsecond=0)


def replay(msp, events: list[tuple[dt.datetime, int]], first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """The naive way: each cycle's bounds in the MSP's time zone, and the reference rule over
    the whole history for each of them."""
    found = {}
    for cycle in months_between(first, last):
        start, end = selectors.cycle_bounds(msp, cycle)
        found[cycle] = peak_of(events, start=start, end=end).units
    return found


@st.composite
def moments(draw):
    """(month index, minutes from local midnight of the 1st): often right at a boundary."""
    month = draw(st.integers(0, len(HISTORY_MONTHS) - 1))
    if draw(st.booleans()):
        minutes = draw(st.sampled_from(NEAR_BOUNDARY))
    else:
        minutes = draw(st.integers(0, 27 * 24 * 60))
    return month, minutes


@st.composite
def histories(draw, max_subscriptions=3):
    """Per subscription: moments in time order (ties allowed) with +1 / −1 / 0 deltas, never
    more unassigned than assigned; some subscriptions have no history at all."""
    result = []
    for _ in range(draw(st.integers(1, max_subscriptions))):
        points = sorted(draw(st.lists(moments(), max_size=30)))
        events, running = [], 0
        for point in points:
            delta = draw(st.sampled_from([1, 1, 0, -1, -1]) if running else st.sampled_from([1, 1, 0]))
            running += delta
            events.append((point, delta))
        result.append(events)
    return result


def make_subscription(msp, distributor, number: int) -> Subscription:
    product = Product.objects.create(
        organisation=distributor,
        product_code=f"CP{number}",
        sku_code=f"CS{number}",
        name=f"Cycle product {number}",
        publisher="Contoso",
        unit_price=Decimal("1.00"),
        billing_type=BillingType.LICENSE,
        program=Program.TRUE_UP,
    )
    return Subscription.objects.create(organisation=msp, product=product, term_start=dt.date(2023, 11, 1))


def write_history(msp, subscriptions, timed_histories) -> None:
    """All events in time order, subscriptions interleaved (ties keep each subscription's own
    order), so ids follow the order the events happened in."""
    merged = sorted(
        (at, index, position, delta)
        for index, events in enumerate(timed_histories)
        for position, (at, delta) in enumerate(events)
    )
    AssignmentEvent.objects.bulk_create(
        [
            AssignmentEvent(
                organisation=msp,
                subscription=subscriptions[index],
                kind=KIND[delta],
                assigned_delta=delta,
                owned_after=0,
                at=at,
            )
            for at, index, _position, delta in merged
        ]
    )


def timed(zone: str, events) -> list[tuple[dt.datetime, int]]:
    return [(local_moment(zone, HISTORY_MONTHS[month], minutes), delta) for (month, minutes), delta in events]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=histories(), zone=st.sampled_from(ZONES))
@example(data=[[]], zone="UTC")  # a subscription without history: 0 in every month
@example(  # assigned before the range, nothing inside it: carried through every month
    data=[[((0, 600), 1), ((1, 600), 1), ((1, 700), 0)]], zone="Europe/Paris"
)
@example(  # one minute before and right at a local month boundary, across daylight saving
    data=[[((4, -1), 1), ((4, 0), 1), ((4, 1), -1), ((5, 0), -1)]], zone="Europe/Paris"
)
@example(data=[[((2, 0), 1), ((2, 0), -1), ((2, 0), 1)], [((3, -90), 1)]], zone="Pacific/Auckland")
def test_sql_peaks_per_cycle_equal_a_replay_of_the_history(world, data, zone):
    msp, distributor = world.a.msp, world.a.distributor
    with transaction.atomic():
        msp.timezone = zone
        msp.save(update_fields=["timezone"])
        subscriptions = [make_subscription(msp, distributor, n) for n in range(len(data))]
        timed_histories = [timed(zone, events) for events in data]
        write_history(msp, subscriptions, timed_histories)
        # Another organisation's history in the same months must not count.
        other = make_subscription(world.b.msp, world.b.distributor, 99)
        write_history(world.b.msp, [other], [timed("UTC", [((m, 60), 1) for m in range(9)])])

        found = peaks_by_cycle(organisation=msp, first_cycle=FIRST_CYCLE, last_cycle=LAST_CYCLE)

        expected = {
            (subscription.pk, cycle): units
            for subscription, events in zip(subscriptions, timed_histories, strict=True)
            for cycle, units in replay(msp, events, FIRST_CYCLE, LAST_CYCLE).items()
        }
        assert found == expected, f"history {data} in {zone}"
        transaction.set_rollback(True)


def test_months_without_events_carry_the_last_count_and_the_carry_in_counts(world):
    msp = world.a.msp
    subscription = make_subscription(msp, world.a.distributor, 1)
    events = [
        (dt.datetime(2023, 12, 5, tzinfo=dt.UTC), 1),
        (dt.datetime(2023, 12, 6, tzinfo=dt.UTC), 1),  # 2 carried into January
        (dt.datetime(2024, 1, 10, tzinfo=dt.UTC), -1),  # January: peak is the carry-in, 2
        (dt.datetime(2024, 3, 3, tzinfo=dt.UTC), 1),
        (dt.datetime(2024, 3, 4, tzinfo=dt.UTC), 1),
        (dt.datetime(2024, 3, 5, tzinfo=dt.UTC), 1),  # March: 4
        (dt.datetime(2024, 3, 20, tzinfo=dt.UTC), -1),
        (dt.datetime(2024, 3, 21, tzinfo=dt.UTC), -1),  # 2 carried into April and May
    ]
    write_history(msp, [subscription], [events])

    found = peaks_by_cycle(
        organisation=msp, first_cycle=dt.date(2024, 1, 15), last_cycle=dt.date(2024, 5, 31)
    )

    assert found == {
        (subscription.pk, dt.date(2024, 1, 1)): 2,
        (subscription.pk, dt.date(2024, 2, 1)): 1,
        (subscription.pk, dt.date(2024, 3, 1)): 4,
        (subscription.pk, dt.date(2024, 4, 1)): 2,
        (subscription.pk, dt.date(2024, 5, 1)): 2,
    }


def test_month_boundaries_are_the_msps_local_midnight(world):
    msp = world.a.msp
    msp.timezone = "America/Toronto"
    msp.save(update_fields=["timezone"])
    subscription = make_subscription(msp, world.a.distributor, 1)
    # 03:30 and 04:30 UTC on 1 March are still 29 February (22:30 and 23:30) in Toronto: in UTC
    # months the license would count in March, in the MSP's months it was back before March began.
    write_history(
        msp,
        [subscription],
        [
            [
                (dt.datetime(2024, 3, 1, 3, 30, tzinfo=dt.UTC), 1),
                (dt.datetime(2024, 3, 1, 4, 30, tzinfo=dt.UTC), -1),
            ]
        ],
    )

    found = peaks_by_cycle(organisation=msp, first_cycle=dt.date(2024, 2, 1), last_cycle=dt.date(2024, 3, 1))

    assert found == {(subscription.pk, dt.date(2024, 2, 1)): 1, (subscription.pk, dt.date(2024, 3, 1)): 0}


def test_some_subscriptions_only_and_an_empty_range(world):
    msp = world.a.msp
    first, second = (make_subscription(msp, world.a.distributor, n) for n in (1, 2))
    at = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    write_history(msp, [first, second], [[(at, 1)], [(at, 1), (at, 1)]])
    theirs = make_subscription(world.b.msp, world.b.distributor, 3)

    assert peaks_by_cycle(
        organisation=msp,
        first_cycle=dt.date(2024, 1, 1),
        last_cycle=dt.date(2024, 1, 1),
        subscription_ids=[second.pk, theirs.pk],
    ) == {(second.pk, dt.date(2024, 1, 1)): 2}
    assert peaks_by_cycle(
        organisation=msp, first_cycle=dt.date(2024, 1, 1), last_cycle=dt.date(2024, 1, 1)
    ) == {
        (first.pk, dt.date(2024, 1, 1)): 1,
        (second.pk, dt.date(2024, 1, 1)): 2,
    }
    assert (
        peaks_by_cycle(organisation=msp, first_cycle=dt.date(2024, 2, 1), last_cycle=dt.date(2024, 1, 1))
        == {}
    )
    assert (
        peaks_by_cycle(
            organisation=msp,
            first_cycle=dt.date(2024, 1, 1),
            last_cycle=dt.date(2024, 1, 1),
            subscription_ids=[],
        )
        == {}
    )


def test_agrees_with_the_provided_units_of_each_cycle(world):
    """The seam to usage reports asks cycle by cycle; one statement gives the same figures."""
    msp = world.a.msp
    msp.timezone = "Europe/Paris"
    msp.save(update_fields=["timezone"])
    subscription = make_subscription(msp, world.a.distributor, 1)
    Subscription.objects.for_tenant(msp).filter(pk=subscription.pk).update(
        created_at=dt.datetime(2023, 11, 1, tzinfo=dt.UTC)
    )
    events = [
        (local_moment("Europe/Paris", month, minutes), delta)
        for month in HISTORY_MONTHS
        for minutes, delta in ((-1, 1), (0, 1), (600, -1), (9000, 1), (20000, -1))
    ]
    write_history(msp, [subscription], [events])

    found = peaks_by_cycle(organisation=msp, first_cycle=FIRST_CYCLE, last_cycle=LAST_CYCLE)

    for cycle in months_between(FIRST_CYCLE, LAST_CYCLE):
        (row,) = selectors.provided_units_by_cycle(msp=msp, first_cycle=cycle, last_cycle=cycle)[cycle]
        assert found[(subscription.pk, cycle)] == row.provided, cycle
