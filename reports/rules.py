"""The rules of usage reports, one home each: when a report falls due, what makes a line need an
explanation, what an unexplained line costs, when a report is approved without a person, and the
line a report opens with from licensing figures. Nothing here runs a query (the expressions are
built here and run by selectors and the sweep), so the rules are tested exhaustively
(tests/reports/test_rules.py, tests/reports/test_rules_home.py). Month arithmetic lives in
msp_portal/calendar.py.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from django.db.models import Exists, F, OuterRef, Q

from msp_portal.calendar import local_date, local_midnight
from msp_portal.money import round_money

if TYPE_CHECKING:
    from licensing.selectors import ProvidedUnits

    from .models import MspAccountSettings


def deadline_after(start: dt.datetime, days: int, timezone_name: str) -> dt.datetime:
    """The moment ``days`` whole days after ``start`` end, at midnight in the MSP's time zone.

    A report opened at any time on 1 March with a 10-day delay is due at the local midnight that
    ends 11 March (= 00:00 on 12 March, local), whatever the UTC offset or daylight saving time.
    """
    return local_midnight(local_date(start, timezone_name) + dt.timedelta(days=days + 1), timezone_name)


class Declaration(StrEnum):
    """How a line's billable units stand against its provided units (docs/reports.md,
    "Penalties"). The API and the page show these values; the words are the page's."""

    MATCH = "match"
    UNDER = "under"  # billable below provided: the MSP would pay less than it received
    OVER = "over"  # billable above provided: the MSP would pay more than it received


def line_declaration(*, provided: int, billable: int) -> Declaration:
    """The one home of "under-declared" and "over-declared"."""
    if billable < provided:
        return Declaration.UNDER
    if billable > provided:
        return Declaration.OVER
    return Declaration.MATCH


@dataclass(frozen=True)
class PenaltyPolicy:
    percent: Decimal = Decimal("0")  # surcharge, as a share of the discrepancy's value
    minimum: Decimal = Decimal("0")  # the least surcharge on a penalised line, when any applies
    # The reset of an over-declared line lowers the bill, so by default it carries no surcharge.
    surcharge_over_declared: bool = False


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
    ``minimum`` when the policy charges anything; an over-declared line carries it only when the
    policy says ``surcharge_over_declared`` (its reset already lowers the bill). Each amount is
    rounded half-up to the cent. The preview, the auto-submission's charge and the invoice's
    penalty line all read this one result.
    """
    declaration = line_declaration(provided=provided, billable=billable)
    if declaration == Declaration.MATCH:
        return None
    reset_amount = round_money(max(provided - billable, 0) * unit_price)
    discrepancy_value = abs(provided - billable) * unit_price
    surcharge = Decimal("0.00")
    surcharged = declaration == Declaration.UNDER or policy.surcharge_over_declared
    if surcharged and (policy.percent > 0 or policy.minimum > 0):
        surcharge = max(round_money(discrepancy_value * policy.percent / 100), round_money(policy.minimum))
    return LinePenalty(
        reset_units=provided,
        reset_amount=reset_amount,
        surcharge=surcharge,
        total=reset_amount + surcharge,
    )


# --- what makes a line need an explanation ------------------------------------------------------


class ReportLineFigures(Protocol):
    """What the rules read of a report line (a UsageReportLine annotated by with_msp_comment)."""

    provided_units: int
    billable_units: int
    unit_price: Decimal
    has_msp_comment: bool


def line_is_discrepant(line: ReportLineFigures) -> bool:
    """The MSP declares other billable units than the provided ones."""
    return line.billable_units != line.provided_units


# The same rule in SQL, for filters and counts run in the database.
DISCREPANT = ~Q(billable_units=F("provided_units"))


def msp_comment_exists() -> Exists:
    """SQL: the MSP that owns the line wrote at least one comment on it (the distributor's
    comments explain nothing). Annotate it as ``has_msp_comment`` (see with_msp_comment)."""
    from .models import LineComment  # reports.models imports this module (is_discrepant)

    # Correlated to the outer (already tenant-filtered) line row, so it cannot reach others.
    return Exists(
        LineComment.objects.with_scopes_disabled().filter(
            line=OuterRef("pk"), author_organisation=OuterRef("organisation")
        )
    )


def with_msp_comment(lines):
    """The line queryset annotated with ``has_msp_comment``, which line_needs_explanation reads."""
    return lines.annotate(has_msp_comment=msp_comment_exists())


def line_needs_explanation(line: ReportLineFigures) -> bool:
    """A discrepant line the MSP has not explained in a comment: it blocks a person's submit,
    and auto-submission penalises it."""
    return line_is_discrepant(line) and not line.has_msp_comment


def needs_explanation_filter() -> Q:
    """:func:`line_needs_explanation` in SQL, for a queryset of lines."""
    return DISCREPANT & ~msp_comment_exists()


# --- what unexplained lines cost ---------------------------------------------------------------


def penalty_policy_of(account: "MspAccountSettings") -> PenaltyPolicy:
    """The surcharge an account's policy adds to the reset (nothing when its kind is "none")."""
    return PenaltyPolicy(
        percent=account.surcharge_percent,
        minimum=account.surcharge_minimum,
        surcharge_over_declared=bool(account.surcharge_over_declared),
    )


Line = TypeVar("Line", bound=ReportLineFigures)


def report_line_penalties(lines: Iterable[Line], policy: PenaltyPolicy) -> list[tuple[Line, LinePenalty]]:
    """The penalty of each line that needs an explanation, in the lines' order: what
    auto-submission charges, and what the report page and the reminders preview (one call, so
    the preview is the charge)."""
    penalties = []
    for line in lines:
        if not line_needs_explanation(line):
            continue
        penalty = line_penalty(
            provided=line.provided_units,
            billable=line.billable_units,
            unit_price=line.unit_price,
            policy=policy,
        )
        if penalty is not None:  # never None for a discrepant line; kept so the type says so
            penalties.append((line, penalty))
    return penalties


# --- when a report is approved without a person -------------------------------------------------


def report_approves_automatically(
    *, account: "MspAccountSettings", lines: Iterable[ReportLineFigures]
) -> bool:
    """Once submitted (by a person or by the sweep), the report is approved by the system when
    the distributor lets the account's clean reports through and no line is discrepant. ``lines``
    may be only the report's discrepant lines: the others cannot change the answer."""
    return bool(account.auto_approve_clean) and not any(line_is_discrepant(line) for line in lines)


# --- the report line built from licensing figures ------------------------------------------------


@dataclass(frozen=True)
class LineSpec:
    """A line to open a report with (from the licensing seam). ``currency`` is the one its
    ``unit_price`` is in; it has no default, so no caller can leave a price unlabelled."""

    product_code: str
    product_name: str
    unit_type: str
    unit_price: object  # Decimal
    provided_units: int
    used_units: int | None = None
    sku_code: str = ""
    currency: str = field(kw_only=True)


def line_spec_from_licensing(figures: "ProvidedUnits") -> LineSpec:
    """The report line of one product the MSP holds: its catalog identity and price, and the
    units licensing says were provided (and used, where known) in the cycle."""
    product = figures.product
    return LineSpec(
        product_code=product.product_code,
        sku_code=product.sku_code,
        product_name=product.name,
        unit_type=product.unit_type,
        unit_price=product.unit_price,
        currency=product.currency,
        provided_units=figures.provided,
        used_units=figures.used,
    )
