"""The pure rules of usage reports: when a report falls due, and what an unexplained line costs."""

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reports.rules import (
    Declaration,
    LinePenalty,
    PenaltyPolicy,
    deadline_after,
    line_declaration,
    line_penalty,
)
from tests.zones import ZONES, ZONES_WITH_MIDNIGHT_GAPS

UTC = dt.UTC
CENT = Decimal("0.01")

starts = st.datetimes(
    min_value=dt.datetime(1995, 1, 1), max_value=dt.datetime(2080, 12, 31), timezones=st.just(UTC)
)
delays = st.integers(min_value=0, max_value=120)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(zone))


# --- deadline_after: properties -------------------------------------------------------------


@given(start=starts, days=delays, zone=st.sampled_from(ZONES))
def test_deadline_is_a_local_midnight_days_plus_one_local_days_after_the_start(start, days, zone):
    deadline = deadline_after(start, days, zone)

    assert deadline.utcoffset() == dt.timedelta(0), "deadlines are stored as UTC instants"
    local_deadline = local(deadline, zone)
    assert local_deadline.time() == dt.time(0, 0), f"due at {local_deadline}, not at midnight in {zone}"
    assert local_deadline.date() == local(start, zone).date() + dt.timedelta(days=days + 1)
    assert deadline > start


@given(start=starts, days=delays, zone=st.sampled_from(ZONES + ZONES_WITH_MIDNIGHT_GAPS))
def test_deadline_is_the_first_instant_of_the_due_local_day(start, days, zone):
    """Even on a day whose midnight never happened on the wall clock, the deadline is the moment
    that day began: one microsecond earlier is still the previous local day."""
    deadline = deadline_after(start, days, zone)

    due_day = local(start, zone).date() + dt.timedelta(days=days + 1)
    assert local(deadline, zone).date() == due_day
    assert local(deadline - dt.timedelta(microseconds=1), zone).date() == due_day - dt.timedelta(days=1)


@given(start=starts, days=delays, zone=st.sampled_from(ZONES))
def test_one_more_day_of_delay_moves_the_deadline_by_one_local_day(start, days, zone):
    later = deadline_after(start, days + 1, zone)
    earlier = deadline_after(start, days, zone)

    assert local(later, zone).date() - local(earlier, zone).date() == dt.timedelta(days=1)
    # A local day lasts 23 to 25 hours (Lord Howe shifts by half an hour).
    assert dt.timedelta(hours=23) <= later - earlier <= dt.timedelta(hours=25)


@given(start=starts, days=delays, zone=st.sampled_from(ZONES))
def test_any_moment_of_the_same_local_day_gives_the_same_deadline(start, days, zone):
    zone_info = zoneinfo.ZoneInfo(zone)
    day = local(start, zone).date()
    first_moment = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone_info).astimezone(UTC)
    last_moment = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone_info).astimezone(UTC)
    if local(first_moment, zone).date() != day or local(last_moment, zone).date() != day:
        return  # a wall-clock time that did not exist that day; covered by the test above

    assert deadline_after(first_moment, days, zone) == deadline_after(start, days, zone)
    assert deadline_after(last_moment, days, zone) == deadline_after(start, days, zone)


# --- deadline_after: worked examples -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "zone", "expected"),
    [
        # The docstring's own example: opened on 1 March with 10 days → due 00:00 on 12 March.
        (utc(2026, 3, 1, 9, 0), 10, "UTC", utc(2026, 3, 12, 0, 0)),
        (utc(2026, 3, 1, 0, 0), 10, "UTC", utc(2026, 3, 12, 0, 0)),
        (utc(2026, 3, 1, 23, 59, 59), 10, "UTC", utc(2026, 3, 12, 0, 0)),
        # Europe/Paris, spring forward on Sunday 29 March 2026 at 02:00 (CET +1 → CEST +2).
        (utc(2026, 3, 25, 12, 0), 3, "Europe/Paris", utc(2026, 3, 28, 23, 0)),  # 29 Mar 00:00 CET
        (utc(2026, 3, 25, 12, 0), 4, "Europe/Paris", utc(2026, 3, 29, 22, 0)),  # 30 Mar 00:00 CEST
        # Europe/Paris, fall back on Sunday 25 October 2026 at 03:00 (CEST → CET).
        (
            utc(2026, 10, 20, 12, 0),
            4,
            "Europe/Paris",
            utc(2026, 10, 24, 22, 0),
        ),  # 25 Oct 00:00 CEST
        (utc(2026, 10, 20, 12, 0), 5, "Europe/Paris", utc(2026, 10, 25, 23, 0)),  # 26 Oct 00:00 CET
        # 23:30 UTC on 31 October is already 1 November in Paris: the local date counts.
        (
            utc(2026, 10, 31, 23, 30),
            10,
            "Europe/Paris",
            utc(2026, 11, 11, 23, 0),
        ),  # 12 Nov 00:00 CET
        # America/Toronto, spring forward on 8 March 2026 (EST −5 → EDT −4).
        (utc(2026, 3, 1, 17, 0), 6, "America/Toronto", utc(2026, 3, 8, 5, 0)),  # 8 Mar 00:00 EST
        (utc(2026, 3, 1, 17, 0), 7, "America/Toronto", utc(2026, 3, 9, 4, 0)),  # 9 Mar 00:00 EDT
        # America/Toronto, fall back on 1 November 2026.
        (utc(2026, 10, 25, 17, 0), 6, "America/Toronto", utc(2026, 11, 1, 4, 0)),  # 1 Nov 00:00 EDT
        (utc(2026, 10, 25, 17, 0), 7, "America/Toronto", utc(2026, 11, 2, 5, 0)),  # 2 Nov 00:00 EST
        # 02:00 UTC on 1 December is still 30 November in Toronto.
        (utc(2026, 12, 1, 2, 0), 1, "America/Toronto", utc(2026, 12, 2, 5, 0)),  # 2 Dec 00:00 EST
        # Month ends: February of a leap year (2028) and of a common year (2027).
        (utc(2028, 2, 20, 10, 0), 8, "UTC", utc(2028, 2, 29, 0, 0)),
        (utc(2028, 2, 20, 10, 0), 9, "UTC", utc(2028, 3, 1, 0, 0)),
        (utc(2027, 2, 20, 10, 0), 8, "UTC", utc(2027, 3, 1, 0, 0)),
        (utc(2028, 2, 28, 10, 0), 0, "UTC", utc(2028, 2, 29, 0, 0)),
        (utc(2027, 2, 28, 10, 0), 0, "UTC", utc(2027, 3, 1, 0, 0)),
        (utc(2026, 1, 31, 10, 0), 0, "UTC", utc(2026, 2, 1, 0, 0)),
        (utc(2026, 4, 30, 10, 0), 0, "UTC", utc(2026, 5, 1, 0, 0)),
        (utc(2026, 12, 31, 10, 0), 0, "UTC", utc(2027, 1, 1, 0, 0)),
        (utc(2026, 12, 20, 10, 0), 15, "UTC", utc(2027, 1, 5, 0, 0)),
        (
            utc(2028, 2, 15, 12, 0),
            14,
            "Europe/Paris",
            utc(2028, 2, 29, 23, 0),
        ),  # 1 Mar 2028 00:00 CET
    ],
)
def test_deadline_examples(start, days, zone, expected):
    assert deadline_after(start, days, zone) == expected


def test_the_same_moment_falls_due_at_different_instants_in_utc_and_auckland():
    start = utc(2026, 3, 1, 23, 30)  # 1 March in UTC, already 12:30 on 2 March in Auckland (NZDT +13)

    in_utc = deadline_after(start, 10, "UTC")
    in_auckland = deadline_after(start, 10, "Pacific/Auckland")

    assert in_utc == utc(2026, 3, 12, 0, 0)
    assert in_auckland == utc(2026, 3, 12, 11, 0)  # 13 March 00:00 NZDT
    assert in_utc != in_auckland
    assert local(in_auckland, "Pacific/Auckland") == dt.datetime(
        2026, 3, 13, 0, 0, tzinfo=zoneinfo.ZoneInfo("Pacific/Auckland")
    )


def test_auckland_deadline_across_its_autumn_clock_change():
    # NZDT (+13) ends on Sunday 5 April 2026 at 03:00; NZST is +12.
    start = utc(2026, 3, 30, 0, 0)  # 30 March 13:00 NZDT
    assert deadline_after(start, 4, "Pacific/Auckland") == utc(2026, 4, 3, 11, 0)  # 4 Apr 00:00 NZDT
    assert deadline_after(start, 5, "Pacific/Auckland") == utc(2026, 4, 4, 11, 0)  # 5 Apr 00:00 NZDT
    assert deadline_after(start, 6, "Pacific/Auckland") == utc(2026, 4, 5, 12, 0)  # 6 Apr 00:00 NZST


def test_deadline_on_a_day_whose_midnight_was_skipped():
    # São Paulo moved its clocks from 00:00 to 01:00 on 4 November 2018: that day began at
    # 01:00 −02 = 03:00 UTC.
    start = utc(2018, 11, 1, 15, 0)
    deadline = deadline_after(start, 2, "America/Sao_Paulo")
    assert deadline == utc(2018, 11, 4, 3, 0)


# --- line_penalty ---------------------------------------------------------------------------

units = st.integers(min_value=0, max_value=10_000_000)
prices = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
minimums = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
policies = st.builds(PenaltyPolicy, percent=percents, minimum=minimums, surcharge_over_declared=st.booleans())


def half_up(amount) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def has_two_places(amount: Decimal) -> bool:
    return isinstance(amount, Decimal) and amount.as_tuple().exponent == -2


@given(units=units, price=prices, policy=policies)
def test_a_line_without_discrepancy_has_no_penalty(units, price, policy):
    assert line_penalty(provided=units, billable=units, unit_price=price, policy=policy) is None


@given(provided=units, billable=units, price=prices, policy=policies)
@example(provided=3, billable=1, price=Decimal("0.0125"), policy=PenaltyPolicy())  # 0.025 → 0.03
@example(provided=1, billable=3, price=Decimal("0"), policy=PenaltyPolicy(percent=Decimal("50")))
@example(provided=10, billable=12, price=Decimal("3.50"), policy=PenaltyPolicy(percent=Decimal("10")))
@example(
    provided=10,
    billable=12,
    price=Decimal("3.50"),
    policy=PenaltyPolicy(percent=Decimal("10"), surcharge_over_declared=True),
)
def test_penalty_amounts(provided, billable, price, policy):
    penalty = line_penalty(provided=provided, billable=billable, unit_price=price, policy=policy)

    if provided == billable:
        assert penalty is None
        return
    assert isinstance(penalty, LinePenalty)
    assert penalty.reset_units == provided, "billable units go back to the provided units"
    assert penalty.reset_amount == half_up(max(provided - billable, 0) * price)
    assert penalty.total == penalty.reset_amount + penalty.surcharge
    for name in ("reset_amount", "surcharge", "total"):
        amount = getattr(penalty, name)
        assert has_two_places(amount), f"{name}={amount!r} is not a Decimal with exactly 2 places"
        assert amount >= 0, f"{name}={amount} is negative"

    charges_anything = policy.percent > 0 or policy.minimum > 0
    surcharged = billable < provided or policy.surcharge_over_declared
    if not (charges_anything and surcharged):
        assert penalty.surcharge == 0
    else:
        assert penalty.surcharge >= half_up(policy.minimum)
        assert penalty.surcharge >= half_up(abs(provided - billable) * price * policy.percent / 100)
        assert penalty.surcharge in {
            half_up(policy.minimum),
            half_up(abs(provided - billable) * price * policy.percent / 100),
        }


@given(provided=units, billable=units, price=prices)
def test_a_policy_that_charges_nothing_leaves_only_the_reset(provided, billable, price):
    penalty = line_penalty(provided=provided, billable=billable, unit_price=price, policy=PenaltyPolicy())
    if provided == billable:
        assert penalty is None
    else:
        assert penalty.surcharge == Decimal("0.00")
        assert penalty.total == penalty.reset_amount


@given(provided=units, billable=units, price=prices, policy=policies)
def test_declaring_more_than_provided_never_adds_a_reset_amount(provided, billable, price, policy):
    penalty = line_penalty(provided=provided, billable=billable, unit_price=price, policy=policy)
    if billable > provided:
        assert penalty.reset_amount == Decimal("0.00")
        assert penalty.total == penalty.surcharge


@pytest.mark.parametrize(
    ("provided", "billable", "price", "percent", "minimum", "reset", "surcharge", "total"),
    [
        # 4 seats at 22.00 unexplained: reset 88.00; 10 % of 88.00 = 8.80 beats the 5.00 minimum.
        (40, 36, "22.00", "10", "5", "88.00", "8.80", "96.80"),
        # 200 GB at 0.05: reset 10.00; 10 % = 1.00, so the 5.00 minimum applies.
        (1200, 1000, "0.0500", "10", "5", "10.00", "5.00", "15.00"),
        # Declared 2 devices too many at 3.50: nothing to reset, and no surcharge by default.
        (10, 12, "3.50", "10", "0", "0.00", "0.00", "0.00"),
        # Half-up, not half-even: 2 × 0.0125 = 0.025 → 0.03.
        (2, 0, "0.0125", "0", "0", "0.03", "0.00", "0.03"),
        # Surcharge rounded half-up too: 5 × 0.05 = 0.25 reset; 10 % = 0.025 → 0.03.
        (5, 0, "0.05", "10", "0", "0.25", "0.03", "0.28"),
        # A minimum-only policy: every penalised line pays the minimum.
        (11, 10, "1.00", "0", "7.5", "1.00", "7.50", "8.50"),
        # Percent of the value, rounded: 3 × 19.99 = 59.97; 12.5 % = 7.49625 → 7.50.
        (3, 0, "19.99", "12.5", "0", "59.97", "7.50", "67.47"),
        # All of a line unexplained at 100 %: the surcharge equals the reset.
        (7, 0, "4.2500", "100", "1", "29.75", "29.75", "59.50"),
        # A free product: nothing to reset, but the minimum still applies to an under-declaration.
        (9, 3, "0", "10", "2", "0.00", "2.00", "2.00"),
    ],
)
def test_penalty_examples(provided, billable, price, percent, minimum, reset, surcharge, total):
    penalty = line_penalty(
        provided=provided,
        billable=billable,
        unit_price=Decimal(price),
        policy=PenaltyPolicy(percent=Decimal(percent), minimum=Decimal(minimum)),
    )
    assert (penalty.reset_units, penalty.reset_amount, penalty.surcharge, penalty.total) == (
        provided,
        Decimal(reset),
        Decimal(surcharge),
        Decimal(total),
    )
    assert all(has_two_places(a) for a in (penalty.reset_amount, penalty.surcharge, penalty.total))


@given(provided=units, billable=units, price=prices, policy=policies)
@example(provided=10, billable=12, price=Decimal("3.50"), policy=PenaltyPolicy(minimum=Decimal("5")))
def test_only_under_declared_lines_are_surcharged_unless_the_policy_says(provided, billable, price, policy):
    """For any figures and policy: a surcharge above 0 only on an under-declared line (billable
    below provided), or on an over-declared one when the policy surcharges those too."""
    penalty = line_penalty(provided=provided, billable=billable, unit_price=price, policy=policy)
    assert line_declaration(provided=provided, billable=billable) == (
        Declaration.UNDER
        if billable < provided
        else Declaration.OVER
        if billable > provided
        else Declaration.MATCH
    )
    if penalty is not None and penalty.surcharge > 0:
        assert billable < provided or policy.surcharge_over_declared


@pytest.mark.parametrize("switch, surcharge", [(False, "0.00"), (True, "0.70")])
def test_over_declared_surcharge_follows_the_switch(switch, surcharge):
    policy = PenaltyPolicy(percent=Decimal("10"), surcharge_over_declared=switch)
    penalty = line_penalty(provided=10, billable=12, unit_price=Decimal("3.50"), policy=policy)
    assert (penalty.reset_amount, penalty.surcharge, penalty.total) == (
        Decimal("0.00"),
        Decimal(surcharge),
        Decimal(surcharge),
    )
