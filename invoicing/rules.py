"""The money rules of invoicing, each in one place (docs/invoicing.md, "Proration" and "Tax").

Pure functions of Decimals and dates: no database, no HTTP. The services, the calculator page
and its API all call these, so a figure shown anywhere is the figure billed.
"""

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from licensing import charge_cycles
from licensing.choices import BillingFrequency
from msp_portal.money import round_money

RATE_PLACES = 8  # the daily rate is cut to 8 decimals
MONEY_PLACES = 2


def _cut(amount: Decimal, places: int) -> Decimal:
    """Toward zero to ``places`` decimals, computed wide enough that no earlier rounding of the
    division can carry into the kept digits."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def days_in_month(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def daily_rate(monthly_unit_price: Decimal, cycle_start: dt.date) -> Decimal:
    """A license's price for one day: the monthly unit price over the number of days of the month
    in which the charge cycle starts (28, 29, 30 or 31), cut to 8 decimals."""
    with localcontext() as context:
        context.prec = 60
        return _cut(Decimal(monthly_unit_price) / days_in_month(cycle_start), RATE_PLACES)


@dataclass(frozen=True)
class Proration:
    daily_rate: Decimal
    days: int  # from the change, that day included, to the cycle's end
    refund: Decimal  # the old count for those days, given back
    charge: Decimal  # the new count for those days, billed
    month_total: Decimal  # the old count's full month, plus the charge, less the refund


def cycle_end(cycle_start: dt.date, anchor_day: int | None = None) -> dt.date:
    """The last day of the monthly charge cycle that starts on ``cycle_start``: the day before the
    next cycle starts, on the subscription's start day (``anchor_day``, the cycle start's own day
    by default) of the next month, or that month's last day when it is shorter (a cycle anchored
    on the 31st runs Jan 31 → Feb 27, then Feb 28 → Mar 30, then Mar 31 → …). The cycle rule
    itself lives with the subscriptions (licensing.charge_cycles), so the page and the
    proration read the same cycle."""
    return charge_cycles.next_cycle_start(
        cycle_start, frequency=BillingFrequency.MONTHLY, anchor_day=anchor_day
    ) - dt.timedelta(days=1)


def prorate(
    *,
    unit_price: Decimal,
    cycle_start: dt.date,
    change_date: dt.date,
    old_quantity: int,
    new_quantity: int,
    last_day: dt.date | None = None,
) -> Proration:
    """A mid-cycle change of the license count from ``old_quantity`` to ``new_quantity`` on
    ``change_date`` (docs/invoicing.md, worked example: 10 → 15 licenses at 10.00 on June 20 of
    a cycle from June 10 → rate 0.33333333, refund 66.66, charge 99.99, total 133.33).

    Refund and charge are each cut to the cent; the caller checks that the change falls inside
    the cycle (``change_in_cycle``). ``last_day`` is the cycle's last day when it is not the
    monthly cycle anchored on ``cycle_start``'s own day (a cycle anchored on a later day that a
    short month cut, or a yearly cycle: docs/invoicing.md, "Proration")."""
    rate = daily_rate(unit_price, cycle_start)
    days = ((last_day or cycle_end(cycle_start)) - change_date).days + 1
    with localcontext() as context:
        context.prec = 60
        refund = _cut(old_quantity * rate * days, MONEY_PLACES)
        charge = _cut(new_quantity * rate * days, MONEY_PLACES)
        # The old count's full month is a line amount: rounded half-up to the cent
        # (docs/money.md), so a unit price of more than two decimals still gives cents.
        month_total = round_money(old_quantity * Decimal(unit_price)) + charge - refund
    return Proration(daily_rate=rate, days=days, refund=refund, charge=charge, month_total=month_total)


def change_in_cycle(cycle_start: dt.date, change_date: dt.date, last_day: dt.date | None = None) -> bool:
    return cycle_start <= change_date <= (last_day or cycle_end(cycle_start))


# --- tax ------------------------------------------------------------------------------------------


class TaxMethod:
    ON_TOTAL = "total"  # once on the invoice total; lines carry no tax
    PER_LINE = "line"  # on each line, rounded per line, summed


def tax_amount(rate_percent: Decimal, amount: Decimal) -> Decimal:
    """``rate_percent`` % of ``amount``, rounded half up to the cent."""
    with localcontext() as context:
        context.prec = 60
        return (Decimal(amount) * Decimal(rate_percent) / 100).quantize(
            Decimal(1).scaleb(-MONEY_PLACES), rounding=ROUND_HALF_UP
        )


def line_taxes(*, method: str, rate_percent: Decimal, line_amounts: list[Decimal]) -> list[Decimal]:
    """The tax of each line: each line's own under PER_LINE, none under ON_TOTAL."""
    if method == TaxMethod.PER_LINE:
        return [tax_amount(rate_percent, amount) for amount in line_amounts]
    return [Decimal("0.00") for _ in line_amounts]


def invoice_tax(*, method: str, rate_percent: Decimal, line_amounts: list[Decimal]) -> Decimal:
    """The invoice's tax (example: 9.75 and 10.25 at 10 % → 2.00 on the total, 2.01 per line)."""
    if method == TaxMethod.PER_LINE:
        return sum(
            line_taxes(method=method, rate_percent=rate_percent, line_amounts=line_amounts), Decimal("0.00")
        )
    return tax_amount(rate_percent, sum(line_amounts, Decimal("0.00")))
