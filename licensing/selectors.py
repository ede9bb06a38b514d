"""Reads of licensing: catalog, cost centers, licenses, subscription status with peaks and
true-up, and (from licensing/usage.py) the seam that gives usage reports their provided units
(docs/licensing.md)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum, Window
from django.utils import timezone

from msp_portal.calendar import local_date, local_midnight
from msp_portal.errors import NotFound
from msp_portal.money import round_money
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.selectors import one_or_not_found

from .models import (
    AssignmentEvent,
    CostCenter,
    License,
    LicensingSettings,
    Product,
    Purchase,
    PurchaseAllocation,
    PurchaseLine,
    Subscription,
    TrueUpCharge,
)
from .peaks import Peak

# The seam to usage reports lives in licensing/usage.py; reports read it here.
from .usage import ProvidedUnits, cycle_bounds, provided_units_by_cycle  # noqa: F401

# --- catalog and cost centers -----------------------------------------------------------------


def catalog_for(*, organisation: Organisation) -> QuerySet:
    """The catalog an organisation sees: its own (distributor) or its distributor's (MSP)."""
    owner = organisation if organisation.is_distributor else organisation.distributor
    return Product.objects.for_tenant(owner).order_by("publisher", "name", "sku_code")


def catalog_list(*, organisation: Organisation) -> QuerySet:
    """The catalog as listed (page, CSV and API alike): a distributor sees all of its products,
    an MSP only those on sale."""
    products = catalog_for(organisation=organisation)
    return products if organisation.is_distributor else products.filter(is_active=True)


def product_get(*, organisation: Organisation, product_id: int) -> Product:
    """A product of the catalog the organisation sees, or NotFound."""
    return one_or_not_found(catalog_for(organisation=organisation), pk=product_id)


def product_on_sale(*, organisation: Organisation, product_id: int) -> Product | None:
    """A product an MSP may put in its cart (on sale in its distributor's catalog), or None."""
    return catalog_list(organisation=organisation).filter(pk=product_id, is_active=True).first()


def products_by_id(*, organisation: Organisation, product_ids) -> dict[int, Product]:
    """The products of the catalog the organisation sees among ``product_ids``, by id."""
    return {p.pk: p for p in catalog_for(organisation=organisation).filter(pk__in=list(product_ids))}


def catalog_publishers(*, products: QuerySet) -> list[str]:
    """The publishers of a catalog as listed, each once, alphabetically (the page's filter)."""
    return list(products.order_by("publisher").values_list("publisher", flat=True).distinct())


def cost_center_list(*, organisation: Organisation) -> QuerySet:
    return (
        CostCenter.objects.for_tenant(organisation)
        .select_related("parent")
        .annotate(license_count=Count("licenses"))
        .order_by("code")
    )


def cost_center_get(*, organisation: Organisation, cost_center_id: int) -> CostCenter:
    """A cost center of the MSP with its parent and license count, or NotFound."""
    return one_or_not_found(cost_center_list(organisation=organisation), pk=cost_center_id)


def cost_center_choices(*, organisation: Organisation) -> list[CostCenter]:
    """The MSP's cost centers by code, with only what a select shows."""
    return list(CostCenter.objects.for_tenant(organisation).only("pk", "code", "name").order_by("code"))


def licensing_settings(*, organisation: Organisation) -> LicensingSettings:
    return LicensingSettings.objects.for_tenant(organisation).first() or LicensingSettings(
        organisation=organisation
    )


# --- licenses ---------------------------------------------------------------------------------


def license_list(*, organisation: Organisation) -> QuerySet:
    """Every license of the MSP with what the list shows (filter with LicenseFilter)."""
    return (
        License.objects.for_tenant(organisation)
        .select_related("subscription__product", "cost_center")
        .order_by("subscription__product__name", "assigned_at", "pk")
    )


def license_get(*, organisation: Organisation, license_id: int) -> License:
    """A license of the MSP with what its row shows, or NotFound."""
    return one_or_not_found(license_list(organisation=organisation), pk=license_id)


def license_find(*, organisation: Organisation, license_id: int) -> License | None:
    """:func:`license_get`, or None: an over-allocated seat goes away when it is unassigned."""
    return license_list(organisation=organisation).filter(pk=license_id).first()


def subscription_get(*, organisation: Organisation, subscription_id: int) -> Subscription:
    """A subscription of the MSP with its product, or NotFound."""
    return one_or_not_found(
        Subscription.objects.for_tenant(organisation).select_related("product"), pk=subscription_id
    )


def subscription_choices(*, organisation: Organisation) -> list[Subscription]:
    """The MSP's subscriptions by product name (the license list's filter)."""
    return list(
        Subscription.objects.for_tenant(organisation).select_related("product").order_by("product__name")
    )


# --- purchases ----------------------------------------------------------------------------------


def purchase_list(*, organisation: Organisation) -> QuerySet:
    """The MSP's purchases, newest first, with the buyer and the count of lines (page, CSV and
    API alike; filter with PurchaseFilter)."""
    return (
        Purchase.objects.for_tenant(organisation)
        .select_related("created_by")
        .annotate(line_count=Count("lines", distinct=True))
        .order_by("-created_at", "-pk")
    )


def purchase_lines(organisation: Organisation) -> QuerySet:
    """Lines with their product and cost center allocations (one query each, whatever the count)."""
    return (
        PurchaseLine.objects.for_tenant(organisation)
        .select_related("product")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PurchaseAllocation.objects.for_tenant(organisation)
                .select_related("cost_center")
                .order_by("pk"),
            )
        )
        .order_by("pk")
    )


def purchase_export_lines(*, organisation: Organisation, purchases: QuerySet) -> QuerySet:
    """The lines of ``purchases`` (a filtered :func:`purchase_list`), each with its purchase, in
    the list's order: the purchases CSV."""
    return (
        purchase_lines(organisation)
        .filter(purchase__in=purchases.values("pk"))
        .select_related("purchase__created_by")
        .annotate(purchase_line_count=Count("purchase__lines", distinct=True))
        .order_by("-purchase__created_at", "-purchase_id", "pk")
    )


def purchase_get(*, organisation: Organisation, purchase_id: int, with_lines: bool = False) -> Purchase:
    """A purchase of the MSP with its buyer (and its lines, products, cost centers), or NotFound."""
    purchases = purchase_list(organisation=organisation)
    if with_lines:
        purchases = purchases.prefetch_related("lines__product", "lines__allocations__cost_center")
    return one_or_not_found(purchases, pk=purchase_id)


def purchase_by_key(*, organisation: Organisation, key: str) -> Purchase | None:
    """The purchase confirmed with this request key, if any: the one lookup behind "the same
    key confirms once", for the service, the cart's confirmation page and the API."""
    return purchase_list(organisation=organisation).filter(idempotency_key=key).first()


def purchase_lines_of(organisation: Organisation, purchase: Purchase) -> QuerySet:
    return purchase_lines(organisation).filter(purchase=purchase)


# --- peaks (SQL) ------------------------------------------------------------------------------

_PEAK_SQL = """
WITH ev AS (
    SELECT subscription_id, at, id,
           SUM(assigned_delta) OVER (PARTITION BY subscription_id ORDER BY at, id) AS running
      FROM licensing_assignmentevent
     WHERE organisation_id = %(org)s AND subscription_id = ANY(%(subs)s) AND at < %(end)s
),
carry AS (
    SELECT DISTINCT ON (subscription_id) subscription_id, running
      FROM ev WHERE at < %(start)s
     ORDER BY subscription_id, at DESC, id DESC
),
win AS (
    SELECT subscription_id, MAX(running) AS peak FROM ev WHERE at >= %(start)s GROUP BY subscription_id
),
reached AS (
    SELECT ev.subscription_id, MIN(ev.at) AS first_at
      FROM ev JOIN win USING (subscription_id)
     WHERE ev.at >= %(start)s AND ev.running = win.peak
     GROUP BY ev.subscription_id
)
SELECT s.id,
       GREATEST(COALESCE(carry.running, 0), COALESCE(win.peak, 0)) AS units,
       CASE WHEN COALESCE(carry.running, 0) >= COALESCE(win.peak, 0)
            THEN CASE WHEN COALESCE(carry.running, 0) > 0 THEN %(start)s END
            ELSE reached.first_at END AS first_reached
  FROM unnest(%(subs)s::bigint[]) AS s(id)
  LEFT JOIN carry ON carry.subscription_id = s.id
  LEFT JOIN win ON win.subscription_id = s.id
  LEFT JOIN reached ON reached.subscription_id = s.id
"""


def peaks(
    *,
    organisation: Organisation,
    subscription_ids: list[int],
    start: dt.datetime,
    end: dt.datetime | None = None,
) -> dict[int, Peak]:
    """The peak of assigned licenses of each subscription over [start, end), in one query
    (window functions over the append-only history; see licensing.peaks for the rule)."""
    if not subscription_ids:
        return {}
    end = end or timezone.now() + dt.timedelta(seconds=1)
    with connection.cursor() as cursor:
        cursor.execute(
            _PEAK_SQL, {"org": organisation.pk, "subs": list(subscription_ids), "start": start, "end": end}
        )
        return {row[0]: Peak(units=int(row[1]), first_reached=row[2]) for row in cursor.fetchall()}


# --- subscription status ----------------------------------------------------------------------


def anniversary(term_start: dt.date, years: int) -> dt.date:
    """The term's anniversary ``years`` after its start (0: the start itself); a term started on
    29 February has its anniversaries on 28 February off leap years."""
    try:
        return term_start.replace(year=term_start.year + years)
    except ValueError:
        return dt.date(term_start.year + years, 2, 28)


def next_anniversary(term_start: dt.date, today: dt.date) -> dt.date:
    """The next yearly true-up date of a term (29 February falls on 28 February off leap years)."""
    years = max(today.year - term_start.year, 1)
    while anniversary(term_start, years) <= today:
        years += 1
    return anniversary(term_start, years)


@dataclass(frozen=True)
class TrueUpYear:
    """The true-up year running at some moment: from the MSP-local midnight of the previous
    anniversary (or of the term start) to that of the next one, the true-up ``date``."""

    start: dt.datetime
    end: dt.datetime
    date: dt.date


def true_up_year(*, term_start: dt.date, timezone_name: str, now: dt.datetime) -> TrueUpYear:
    """The true-up year of a term running at ``now`` in the MSP's time zone (the one the next
    true-up will charge; licensing.true_up uses the same anniversaries)."""
    date = next_anniversary(term_start, local_date(now, timezone_name))
    years = date.year - term_start.year
    return TrueUpYear(
        start=local_midnight(anniversary(term_start, years - 1), timezone_name),
        end=local_midnight(date, timezone_name),
        date=date,
    )


@dataclass(frozen=True)
class SubscriptionStatus:
    subscription: Subscription
    owned: int
    assigned: int
    free: int
    excess: int  # assigned beyond owned (over-allocation)
    percent: int  # assigned as a share of owned (100 when nothing is owned but something assigned)
    near_capacity: bool
    can_be_removed: int  # unassigned owned licenses
    peak_year: Peak  # the past 365 days
    peak_term: Peak
    peak_true_up: Peak  # the current true-up year, from the last anniversary: what the true-up bills
    true_up_units: int
    true_up_amount: Decimal
    true_up_date: dt.date

    @property
    def product(self) -> Product:
        return self.subscription.product


def subscription_statuses(
    *, organisation: Organisation, now: dt.datetime | None = None
) -> list[SubscriptionStatus]:
    """Every subscription of the MSP with counts, peaks (past year and full term) and the
    expected true-up: what :mod:`licensing.true_up` will charge at the next anniversary if
    nothing changes (the peak since the last anniversary beyond the licenses owned now). One
    query per distinct term start for the peaks, else a fixed number.

    Long because: the counts, the three peaks and the true-up year are read in bulk first, then
    combined per subscription; steps apart would pass the same five maps around."""
    now = now or timezone.now()
    subscriptions = list(
        Subscription.objects.for_tenant(organisation)
        .select_related("product")
        .annotate(
            owned=Count("licenses", filter=Q(licenses__is_overage=False)),
            assigned=Count("licenses", filter=Q(licenses__assigned_at__isnull=False)),
            free_owned=Count(
                "licenses", filter=Q(licenses__is_overage=False, licenses__assigned_at__isnull=True)
            ),
        )
        .order_by("product__publisher", "product__name")
    )
    ids = [s.pk for s in subscriptions]
    until = now + dt.timedelta(seconds=1)
    year_peaks = peaks(
        organisation=organisation, subscription_ids=ids, start=now - dt.timedelta(days=365), end=until
    )
    term_peaks = _peaks_by_term_start(
        organisation,
        subscriptions,
        lambda start: dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
        until,
    )
    years = {
        term_start: true_up_year(term_start=term_start, timezone_name=organisation.timezone, now=now)
        for term_start in {sub.term_start for sub in subscriptions}
    }
    true_up_peaks = _peaks_by_term_start(organisation, subscriptions, lambda start: years[start].start, until)
    settings = licensing_settings(organisation=organisation)
    statuses = []
    for sub in subscriptions:
        year_peak = year_peaks.get(sub.pk, Peak(0, None))
        true_up_peak = true_up_peaks.get(sub.pk, Peak(0, None))
        # The true-up bills the highest count of its year beyond what is owned, even if the
        # excess was removed since (only programs that allow over-allocation have one).
        true_up_units = max(true_up_peak.units - sub.owned, 0) if sub.product.allows_overallocation else 0
        excess = max(sub.assigned - sub.owned, 0)
        percent = round(sub.assigned * 100 / sub.owned) if sub.owned else (100 if sub.assigned else 0)
        statuses.append(
            SubscriptionStatus(
                subscription=sub,
                owned=sub.owned,
                assigned=sub.assigned,
                free=sub.free_owned,
                excess=excess,
                percent=percent,
                near_capacity=excess == 0 and sub.owned > 0 and percent >= settings.near_capacity_percent,
                can_be_removed=sub.free_owned,
                peak_year=year_peak,
                peak_term=term_peaks.get(sub.pk, Peak(0, None)),
                peak_true_up=true_up_peak,
                true_up_units=true_up_units,
                true_up_amount=round_money(true_up_units * sub.product.unit_price),
                true_up_date=years[sub.term_start].date,
            )
        )
    return statuses


def subscription_status(*, organisation: Organisation, subscription_id: int) -> SubscriptionStatus:
    """One subscription's status (:func:`subscription_statuses`), or NotFound."""
    for status in subscription_statuses(organisation=organisation):
        if status.subscription.pk == subscription_id:
            return status
    raise NotFound()


def _peaks_by_term_start(
    organisation: Organisation,
    subscriptions: list[Subscription],
    start_of: Callable[[dt.date], dt.datetime],
    until: dt.datetime,
) -> dict[int, Peak]:
    """Peaks from ``start_of(term start)`` to ``until``: subscriptions are grouped by term start
    so that each group is one query (the full term, or the current true-up year)."""
    by_start: dict[dt.date, list[int]] = {}
    for sub in subscriptions:
        by_start.setdefault(sub.term_start, []).append(sub.pk)
    found: dict[int, Peak] = {}
    for term_start, ids in by_start.items():
        found.update(
            peaks(organisation=organisation, subscription_ids=ids, start=start_of(term_start), end=until)
        )
    return found


def overallocation_count(statuses: list[SubscriptionStatus]) -> int:
    """Over-allocated licenses across all subscription types (the overview figure)."""
    return sum(status.excess for status in statuses)


def assignment_history(
    *, organisation: Organisation, subscription: Subscription, with_actor=False
) -> QuerySet:
    events = AssignmentEvent.objects.for_tenant(organisation).filter(subscription=subscription)
    return (events.select_related("actor") if with_actor else events).order_by("at", "pk")


def assignment_history_with_counts(*, organisation: Organisation, subscription: Subscription) -> QuerySet:
    """The history newest first, each event with the count of assigned licenses right after it
    (a window over the whole history, computed before any page is cut)."""
    return (
        assignment_history(organisation=organisation, subscription=subscription)
        .select_related("actor")
        .annotate(assigned_after=Window(Sum("assigned_delta"), order_by=[F("at").asc(), F("id").asc()]))
        .order_by("-at", "-id")
    )


def new_maximum_rows(
    *, organisation: Organisation, subscription: Subscription
) -> list[tuple[dt.datetime, int, int]]:
    """(moment, assigned, owned that day) for each event that set a new maximum of assigned
    licenses over the subscription's whole history (the CSV export)."""
    rows, running, best = [], 0, 0
    for event in assignment_history(organisation=organisation, subscription=subscription).only(
        "at", "assigned_delta", "owned_after"
    ):
        running += event.assigned_delta
        if running > best:
            best = running
            rows.append((event.at, running, event.owned_after))
    return rows


def true_up_charge_list(*, organisation: Organisation, subscription: Subscription | None = None) -> QuerySet:
    """True-up charges, newest true-up first: an MSP's own, or those of every MSP a distributor
    serves; optionally of one subscription."""
    if organisation.is_distributor:
        charges = TrueUpCharge.objects.for_served_msps_of(organisation)
    else:
        charges = TrueUpCharge.objects.for_tenant(organisation)
    if subscription is not None:
        charges = charges.filter(subscription=subscription)
    return charges.select_related("organisation", "subscription__product").order_by(
        "-true_up_date", "organisation__name", "subscription_id", "pk"
    )
