"""The money rules of invoicing (docs/invoicing.md, "Proration" and "Tax rules") against an
independent computation written differently: whole numbers of 10⁻⁴ (prices), 10⁻⁸ (daily
rates) and cents, floor division for the cuts, and the cycle's end found by walking the days.
Every month length (28, 29, 30, 31), leap years (Feb 2024; Feb 2100 is not leap), a change on the
cycle's first and last day, increases and decreases."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from invoicing import rules

ONE_DAY = dt.timedelta(days=1)


# --- the independent computation ---------------------------------------------------------------


def month_length(year: int, month: int) -> int:
    """Days of a month by the Gregorian rule itself (not the calendar module)."""
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def walked_cycle_end(cycle_start: dt.date, anchor: int | None = None) -> dt.date:
    """Walk day by day until the next month's start day (its last day when shorter)."""
    anchor = anchor or cycle_start.day
    day = cycle_start + ONE_DAY
    while not (day.month != cycle_start.month and day.day == min(anchor, month_length(day.year, day.month))):
        day += ONE_DAY
    return day - ONE_DAY


def in_units(amount: Decimal, places: int) -> int:
    scaled = amount.scaleb(places)
    assert scaled == scaled.to_integral_value(), amount
    return int(scaled)


def expected(price_4: int, cycle_start: dt.date, change: dt.date, old: int, new: int, last_day=None) -> dict:
    """Price in 10⁻⁴ → rate in 10⁻⁸ (floor), refund and charge in cents (floor), the month
    in cents (old × price rounded half up)."""
    rate_8 = price_4 * 10_000 // month_length(cycle_start.year, cycle_start.month)
    days = ((last_day or walked_cycle_end(cycle_start)) - change).days + 1
    refund = old * rate_8 * days // 1_000_000
    charge = new * rate_8 * days // 1_000_000
    month = (old * price_4 + 50) // 100
    return {
        "rate": rate_8,
        "days": days,
        "refund": refund,
        "charge": charge,
        "total": month + charge - refund,
    }


def as_units(result: rules.Proration) -> dict:
    return {
        "rate": in_units(result.daily_rate, 8),
        "days": result.days,
        "refund": in_units(result.refund, 2),
        "charge": in_units(result.charge, 2),
        "total": in_units(result.month_total, 2),
    }


# --- the worked examples, exactly ----------------------------------------------------------------


def test_the_worked_proration_example():
    result = rules.prorate(
        unit_price=Decimal("10.00"),
        cycle_start=dt.date(2023, 6, 10),
        change_date=dt.date(2023, 6, 20),
        old_quantity=10,
        new_quantity=15,
    )
    assert result == rules.Proration(
        daily_rate=Decimal("0.33333333"),
        days=20,
        refund=Decimal("66.66"),
        charge=Decimal("99.99"),
        month_total=Decimal("133.33"),
    )
    assert str(result.month_total) == "133.33"


def test_the_worked_tax_example():
    lines = [Decimal("9.75"), Decimal("10.25")]
    on_total = rules.invoice_tax(
        method=rules.TaxMethod.ON_TOTAL, rate_percent=Decimal("10"), line_amounts=lines
    )
    per_line = rules.invoice_tax(
        method=rules.TaxMethod.PER_LINE, rate_percent=Decimal("10"), line_amounts=lines
    )
    assert (str(on_total), str(per_line)) == ("2.00", "2.01")
    assert rules.line_taxes(
        method=rules.TaxMethod.PER_LINE, rate_percent=Decimal("10"), line_amounts=lines
    ) == [
        Decimal("0.98"),
        Decimal("1.03"),
    ]
    assert rules.line_taxes(
        method=rules.TaxMethod.ON_TOTAL, rate_percent=Decimal("10"), line_amounts=lines
    ) == [
        Decimal("0.00"),
        Decimal("0.00"),
    ]


@pytest.mark.parametrize(
    ("cycle_start", "days_in_month"),
    [
        (dt.date(2023, 2, 10), 28),
        (dt.date(2024, 2, 10), 29),  # leap
        (dt.date(2100, 2, 10), 28),  # divisible by 100, not by 400: not leap
        (dt.date(2000, 2, 10), 29),  # divisible by 400: leap
        (dt.date(2023, 4, 10), 30),
        (dt.date(2023, 7, 10), 31),
    ],
)
def test_the_daily_rate_divides_by_the_days_of_the_cycles_first_month(cycle_start, days_in_month):
    assert rules.days_in_month(cycle_start) == days_in_month
    assert in_units(rules.daily_rate(Decimal("10.00"), cycle_start), 8) == 1_000_000_000 // days_in_month


def test_a_change_on_the_cycles_first_day_covers_the_whole_cycle_and_on_its_last_day_one_day():
    start = dt.date(2024, 2, 10)  # Feb 10 → Mar 9 of a leap year: 29 days
    first = rules.prorate(
        unit_price=Decimal("29"), cycle_start=start, change_date=start, old_quantity=1, new_quantity=2
    )
    assert (first.days, first.daily_rate, first.refund, first.charge) == (
        29,
        Decimal("1"),
        Decimal("29.00"),
        Decimal("58.00"),
    )
    last = rules.prorate(
        unit_price=Decimal("29"),
        cycle_start=start,
        change_date=dt.date(2024, 3, 9),
        old_quantity=2,
        new_quantity=1,
    )
    assert (last.days, last.refund, last.charge) == (1, Decimal("2.00"), Decimal("1.00"))
    assert rules.change_in_cycle(start, dt.date(2024, 3, 9))
    assert not rules.change_in_cycle(start, dt.date(2024, 3, 10))
    assert not rules.change_in_cycle(start, dt.date(2024, 2, 9))


def test_a_cycle_anchored_on_the_31st_keeps_its_day_after_a_short_month():
    assert rules.cycle_end(dt.date(2023, 1, 31)) == dt.date(2023, 2, 27)
    assert rules.cycle_end(dt.date(2024, 1, 31)) == dt.date(2024, 2, 28)  # leap: next starts Feb 29
    assert rules.cycle_end(dt.date(2023, 2, 28), anchor_day=31) == dt.date(2023, 3, 30)
    assert rules.cycle_end(dt.date(2023, 12, 31)) == dt.date(2024, 1, 30)
    # the cycle's last day given (a cycle anchored on the 31st that February cut short)
    result = rules.prorate(
        unit_price=Decimal("28"),
        cycle_start=dt.date(2023, 2, 28),
        change_date=dt.date(2023, 3, 30),
        old_quantity=0,
        new_quantity=1,
        last_day=dt.date(2023, 3, 30),
    )
    assert (result.days, result.charge) == (1, Decimal("1.00"))


# --- properties ------------------------------------------------------------------------------------

prices = st.integers(min_value=0, max_value=10**9)  # in 10⁻⁴: up to 100,000.0000
quantities = st.integers(min_value=0, max_value=100_000)
cycle_starts = st.dates(min_value=dt.date(1999, 1, 1), max_value=dt.date(2101, 12, 31))


@st.composite
def changes(draw):
    start = draw(cycle_starts)
    length = (walked_cycle_end(start) - start).days + 1
    offset = draw(st.integers(min_value=0, max_value=length - 1))
    return start, start + dt.timedelta(days=offset)


@given(price_4=prices, change=changes(), old=quantities, new=quantities)
@example(price_4=100_000, change=(dt.date(2023, 6, 10), dt.date(2023, 6, 20)), old=10, new=15)
@example(
    price_4=123_350, change=(dt.date(2024, 2, 29), dt.date(2024, 2, 29)), old=7, new=3
)  # leap, first day
@example(price_4=99_999, change=(dt.date(2100, 2, 1), dt.date(2100, 2, 28)), old=3, new=9)  # 2100: last day
@example(price_4=1, change=(dt.date(2023, 1, 31), dt.date(2023, 2, 27)), old=100_000, new=0)  # decrease
@example(price_4=310_000, change=(dt.date(2023, 12, 31), dt.date(2024, 1, 30)), old=0, new=1)
@example(price_4=300_000, change=(dt.date(2023, 4, 30), dt.date(2023, 5, 29)), old=1, new=2)  # 30-day month
def test_prorate_agrees_with_whole_number_arithmetic(price_4, change, old, new):
    cycle_start, change_date = change
    price = Decimal(price_4).scaleb(-4)
    assert rules.change_in_cycle(cycle_start, change_date)
    result = rules.prorate(
        unit_price=price, cycle_start=cycle_start, change_date=change_date, old_quantity=old, new_quantity=new
    )
    assert as_units(result) == expected(price_4, cycle_start, change_date, old, new)
    # an increase never refunds more than it charges, a decrease never the reverse
    if new > old:
        assert result.charge >= result.refund
    elif new < old:
        assert result.charge <= result.refund
    else:
        assert result.charge == result.refund


@given(start=cycle_starts, anchor=st.integers(min_value=1, max_value=31))
@example(start=dt.date(2100, 2, 28), anchor=31)
@example(start=dt.date(2024, 2, 29), anchor=30)
def test_cycle_end_is_the_day_before_the_next_anchor_day(start, anchor):
    if start.day != min(anchor, month_length(start.year, start.month)):
        return  # not a start of a cycle anchored there
    assert rules.cycle_end(start, anchor_day=anchor) == walked_cycle_end(start, anchor)


# --- tax ---------------------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**10)
rates_bp = st.integers(min_value=0, max_value=10_000)  # percent in 1/100: 0.00 % to 100.00 %


def tax_cents(amount_cents: int, rate_bp: int) -> int:
    """amount × rate / 100, rounded half up to the cent, in whole numbers."""
    return (2 * amount_cents * rate_bp + 10_000) // 20_000


@given(lines=st.lists(cents, min_size=0, max_size=20), rate_bp=rates_bp)
@example(lines=[975, 1025], rate_bp=1000)
@example(lines=[5], rate_bp=1000)  # 0.005 → 0.01: half up, not half to even
def test_tax_agrees_with_whole_number_arithmetic(lines, rate_bp):
    amounts = [Decimal(c).scaleb(-2) for c in lines]
    rate = Decimal(rate_bp).scaleb(-2)
    on_total = rules.invoice_tax(method=rules.TaxMethod.ON_TOTAL, rate_percent=rate, line_amounts=amounts)
    per_line = rules.invoice_tax(method=rules.TaxMethod.PER_LINE, rate_percent=rate, line_amounts=amounts)
    assert in_units(on_total, 2) == tax_cents(sum(lines), rate_bp)
    assert in_units(per_line, 2) == sum(tax_cents(c, rate_bp) for c in lines)
    # the two methods differ by at most half a cent per line
    assert abs(in_units(on_total, 2) - in_units(per_line, 2)) <= max(len(lines), 1)
