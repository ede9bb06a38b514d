"""Pure rules of usage reports: deadlines and penalties. No ORM here, so they can be tested
exhaustively (tests/reports/test_rules.py)."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from msp_portal.money import round_money


def deadline_after(start: dt.datetime, days: int, timezone_name: str) -> dt.datetime:
    """The moment ``days`` whole days after ``start`` end, at midnight in the MSP's time zone.

    A report opened at any time on 1 March with a 10-day delay is due at the local midnight that
    ends 11 March (= 00:00 on 12 March, local), whatever the UTC offset or daylight saving time.
    """
    zone = zoneinfo.ZoneInfo(timezone_name)
    local_day = start.astimezone(zone).date() + dt.timedelta(days=days + 1)
    return dt.datetime.combine(local_day, dt.time.min, tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class PenaltyPolicy:
    percent: Decimal = Decimal("0")  # surcharge, as a share of the discrepancy's value
    minimum: Decimal = Decimal("0")  # the least surcharge on a penalised line, when any applies


@dataclass(frozen=True)
class LinePenalty:
    reset_units: int  # billable units are set back to this (the provided units)
    reset_amount: Decimal  # what the reset adds to the bill (never negative)
    surcharge: Decimal
    total: Decimal


def line_penalty(
    *, provided: int, billable: int, unit_price: Decimal, policy: PenaltyPolicy
) -> LinePenalty | None:
    """The penalty of one unexplained line, or None when the line is not discrepant.

    The billable units go back to the provided units. The reset adds
    ``(provided − billable) × unit price`` when the MSP declared fewer units than it provided (a
    declaration above the provided units is lowered, which adds nothing). The surcharge is
    ``percent`` of the discrepancy's value ``|provided − billable| × unit price``, at least
    ``minimum`` when the policy charges anything. Each amount is rounded half-up to the cent.
    """
    if provided == billable:
        return None
    reset_amount = round_money(max(provided - billable, 0) * unit_price)
    discrepancy_value = abs(provided - billable) * unit_price
    surcharge = Decimal("0.00")
    if policy.percent > 0 or policy.minimum > 0:
        surcharge = max(round_money(discrepancy_value * policy.percent / 100), round_money(policy.minimum))
    return LinePenalty(
        reset_units=provided,
        reset_amount=reset_amount,
        surcharge=surcharge,
        total=reset_amount + surcharge,
    )
