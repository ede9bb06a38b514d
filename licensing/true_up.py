"""The yearly true-up (docs/licensing.md, docs/jobs.md): on each anniversary of a subscription's term, the peak
excess of the year becomes a charge for billing.

The rule, for every subscription of a product whose program allows over-allocation:

- its anniversaries are the term start + k years (k ≥ 1; a term started on 29 February has
  them on 28 February off leap years); anniversary ``d`` is due at the MSP-local midnight
  starting ``d``;
- the true-up year of ``d`` runs from the local midnight of the previous anniversary (of the
  term start for the first) to that of ``d``; its peak is the highest number of licenses
  assigned at any moment of it, even if the excess was removed before ``d``;
- owned = the licenses owned at that midnight (``owned_after`` of the last history event
  before it, 0 if none); the charge bills ``max(peak − owned, 0)`` units at the product's unit
  price, rounded half-up to the cent. A charge of 0 units is kept too: the year was checked;
- catch-up: an anniversary missed while the job was down is charged on the next run, but an
  anniversary that passed before the subscription existed in the portal is never charged.

Why it is safe whatever the workers do:

- a first read without locks finds the MSPs with an anniversary due and not yet charged;
  nothing is written from it;
- each MSP is then served in its own transaction, which locks that MSP's due subscriptions
  with ``SELECT … FOR UPDATE SKIP LOCKED`` and looks again at which charges exist: two runs at
  once split the subscriptions between them, and one that comes second finds the charges made.
  The same row lock serialises the true-up with assignments (licensing.services), so no
  assignment of the year can still be uncommitted when its peak is read;
- the unique key (subscription, true-up date) refuses a second charge even to code that would
  bypass the claim; a worker killed mid-run leaves each MSP charged completely or not at all;
- the MSP's admins and billing admins are told once per MSP and run, on commit.

:func:`licensing.selectors.subscription_statuses` shows the same figure ahead of time.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from msp_portal.calendar import local_midnight
from msp_portal.jobs.services import JobRunLog
from msp_portal.jobs.tasks import TRANSIENT_ERRORS
from msp_portal.money import CurrencyMismatch, currency_check_sale, round_money
from msp_portal.notifications.services import notify
from msp_portal.tenancy.choices import Role
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.selectors import users_with_roles

from . import notifications
from .choices import Program
from .models import AssignmentEvent, Subscription, TrueUpCharge
from .peaks import Peak
from .selectors import anniversary, peaks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueTrueUp:
    """One anniversary of a subscription to charge, with its true-up year as moments."""

    subscription: Subscription
    date: dt.date
    start: dt.datetime
    end: dt.datetime


def due_anniversaries(subscription: Subscription, *, timezone_name: str, now: dt.datetime) -> list[DueTrueUp]:
    """Every anniversary of the subscription whose local midnight has come by ``now`` and came
    after the subscription was created (charged or not: the caller removes those charged)."""
    due = []
    years = 1
    while (end := local_midnight(anniversary(subscription.term_start, years), timezone_name)) <= now:
        if end > subscription.created_at:
            start = local_midnight(anniversary(subscription.term_start, years - 1), timezone_name)
            due.append(DueTrueUp(subscription, anniversary(subscription.term_start, years), start, end))
        years += 1
    return due


def _true_up_subscriptions():
    return Subscription.objects.across_tenants().filter(product__program=Program.TRUE_UP)


def _pending_by_msp(now: dt.datetime) -> list[tuple[Organisation, list[DueTrueUp]]]:
    """The MSPs with anniversaries due and not charged, read without locks (a hint: the MSP's
    transaction checks again under its locks)."""
    subscriptions = list(
        _true_up_subscriptions().select_related("organisation", "product").order_by("organisation_id", "pk")
    )
    charged = set(
        TrueUpCharge.objects.across_tenants()
        .filter(subscription__in=_true_up_subscriptions())
        .values_list("subscription_id", "true_up_date")
    )
    pending: dict[int, tuple[Organisation, list[DueTrueUp]]] = {}
    for sub in subscriptions:
        msp = sub.organisation
        for item in due_anniversaries(sub, timezone_name=msp.timezone, now=now):
            if (sub.pk, item.date) not in charged:
                pending.setdefault(msp.pk, (msp, []))[1].append(item)
    return list(pending.values())


def _owned_at(msp: Organisation, subscription_ids: list[int], moment: dt.datetime) -> dict[int, int]:
    """Licenses owned by each subscription at ``moment``: ``owned_after`` of its last history
    event before it (one query)."""
    return dict(
        AssignmentEvent.objects.for_tenant(msp)
        .filter(subscription_id__in=subscription_ids, at__lt=moment)
        .order_by("subscription_id", "-at", "-id")
        .distinct("subscription_id")
        .values_list("subscription_id", "owned_after")
    )


def plan_charges(msp: Organisation, due: list[DueTrueUp]) -> list[TrueUpCharge]:
    """The charges of ``due`` (unsaved). Subscriptions sharing a true-up year are read together:
    two queries per distinct year, whatever their number. Pure reads, so a dry run prints
    exactly what a real run writes. Raises CurrencyMismatch when a product is priced in
    another currency than the MSP's."""
    by_year: dict[tuple[dt.datetime, dt.datetime], list[DueTrueUp]] = {}
    for item in due:
        by_year.setdefault((item.start, item.end), []).append(item)
    charges = []
    for (start, end), items in by_year.items():
        ids = [item.subscription.pk for item in items]
        found = peaks(organisation=msp, subscription_ids=ids, start=start, end=end)
        owned = _owned_at(msp, ids, end)
        for item in items:
            sub = item.subscription
            # Billed in the MSP's currency, so the product must be priced in it: a true-up is
            # never charged at a price in another currency (docs/currency.md).
            currency_check_sale(product=sub.product, msp=msp)
            peak = found.get(sub.pk, Peak(0, None))
            owned_units = owned.get(sub.pk, 0)
            units = max(peak.units - owned_units, 0)
            charges.append(
                TrueUpCharge(
                    organisation=msp,
                    subscription=sub,
                    true_up_date=item.date,
                    period_start=start,
                    period_end=end,
                    peak_units=peak.units,
                    peak_reached_at=peak.first_reached,
                    owned_units=owned_units,
                    units=units,
                    unit_price=sub.product.unit_price,
                    amount=round_money(units * sub.product.unit_price),
                    currency=msp.currency,
                )
            )
    return sorted(charges, key=lambda charge: (charge.subscription_id, charge.true_up_date))


def _charge_msp(msp: Organisation, subscription_ids: list[int], now: dt.datetime) -> list[TrueUpCharge]:
    """Claim the MSP's due subscriptions and charge what is still due (inside a transaction)."""
    # Locked in primary-key order, as the services lock several subscriptions; SKIP LOCKED: a
    # subscription another run (or an assignment) holds is left for the next run; OF self: the
    # product joined for its price is not locked.
    held = list(
        Subscription.objects.for_tenant(msp)
        .filter(pk__in=subscription_ids, product__program=Program.TRUE_UP)
        .select_related("product")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
    )
    if not held:
        return []
    charged = set(
        TrueUpCharge.objects.for_tenant(msp)
        .filter(subscription__in=held)
        .values_list("subscription_id", "true_up_date")
    )
    due = [
        item
        for sub in held
        for item in due_anniversaries(sub, timezone_name=msp.timezone, now=now)
        if (sub.pk, item.date) not in charged
    ]
    if not due:
        return []
    # ignore_conflicts=False: should a charge exist after all, the unique key refuses the batch
    # and the whole MSP is rolled back rather than billed twice.
    charges = TrueUpCharge.objects.bulk_create(plan_charges(msp, due), ignore_conflicts=False)
    _tell(msp, charges)
    return charges


def _total_label(charges: list[TrueUpCharge]) -> str:
    totals: dict[str, Decimal] = {}
    for charge in charges:
        totals[charge.currency] = totals.get(charge.currency, Decimal("0")) + charge.amount
    return " + ".join(f"{amount:.2f} {currency}" for currency, amount in sorted(totals.items()))


def _tell(msp: Organisation, charges: list[TrueUpCharge]) -> None:
    """One notification per MSP and run, naming what is billed (nothing when nothing is)."""
    billed = [charge for charge in charges if charge.units]
    if not billed:
        return
    notify(
        organisation=msp,
        recipients=users_with_roles(organisation=msp, roles=[Role.MSP_ADMIN, Role.MSP_BILLING]),
        kind=notifications.TRUE_UP_CHARGED,
        params={
            "count": len(billed),
            "units": sum(charge.units for charge in billed),
            "total": _total_label(billed),
            "products": ", ".join(sorted({charge.subscription.product.name for charge in billed})),
        },
        url=reverse("licensing_licenses:license-list", kwargs={"org_slug": msp.slug}),
    )


def _describe(msp: Organisation, charge: TrueUpCharge) -> str:
    product = charge.subscription.product
    return (
        f"charge {msp.name}, {product.name} ({product.sku_code}), true-up of {charge.true_up_date:%Y-%m-%d}: "
        f"peak {charge.peak_units} − owned {charge.owned_units} → {charge.units} units, "
        f"{charge.amount:.2f} {charge.currency}"
    )


def _count(log: JobRunLog, charges: list[TrueUpCharge]) -> None:
    if not charges:
        return
    log.add("msps")
    log.add("charges", len(charges))
    log.add("units", sum(charge.units for charge in charges))


def true_up_run_due(*, log: JobRunLog, now: dt.datetime | None = None) -> None:
    """Charge every anniversary due by ``now`` and not charged yet (see the module's docstring).

    Safe to run again, or at once from several processes: what is charged is never charged
    again. A dry run (``log.dry_run``) writes and locks nothing and lists each charge it would
    make in ``log.lines``. An MSP that fails for a reason other than a lost connection is logged
    and skipped (the next run tries it again); transient errors propagate (the task retries).
    """
    now = now or timezone.now()
    for msp, due in _pending_by_msp(now):
        if log.dry_run:
            try:
                charges = plan_charges(msp, due)
            except CurrencyMismatch as exc:
                log.error(f"MSP {msp.pk} ({msp.slug}): {exc.message}")
                continue
            for charge in charges:
                log.would(_describe(msp, charge))
            _count(log, charges)
            continue
        subscription_ids = sorted({item.subscription.pk for item in due})
        try:
            with transaction.atomic():
                charges = _charge_msp(msp, subscription_ids, now)
        except TRANSIENT_ERRORS:
            raise
        except DatabaseError as exc:
            log.error(f"MSP {msp.pk} ({msp.slug}): {type(exc).__name__}: {exc}")
            continue
        except CurrencyMismatch as exc:
            # Nothing of this MSP is charged until its product and currency agree again; the
            # run's errors name it, and the next run tries again.
            logger.error("true-up of MSP %s (%s) refused: %s", msp.pk, msp.slug, exc.message)
            log.error(f"MSP {msp.pk} ({msp.slug}): {exc.message}")
            continue
        _count(log, charges)
