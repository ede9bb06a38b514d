"""The demo MSPs' fourteen months: the planner turns a spec into dated steps (pure, checked on
every day of a year by the tests), the teller performs each step through the licensing services
on a clock set to its moment."""

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from msp_portal.calendar import add_months
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import resolve_tenant

from .. import services
from ..choices import BillingFrequency
from ..models import CostCenter, License, Product, Purchase, Subscription
from .people import People, Person
from .specs import (
    CATALOG,
    DISTRIBUTOR_ADMIN,
    HISTORY_DAYS,
    NO_OVERALLOCATION,
    PERIODS,
    TRANSFERRED_ANNIVERSARY_DAY,
    TRANSFERRED_ANNIVERSARY_MONTHS_BACK,
    DemoMsp,
    Holding,
    purchase_key,
)

# --- the catalog ------------------------------------------------------------------------------


def catalog_load(distributor: Organisation) -> dict[str, Product]:
    """Northwind's catalog, through the catalog service; products found by (product id, SKU)."""
    existing = {
        (p.product_code, p.sku_code): p for p in Product.objects.for_tenant(distributor).order_by("pk")
    }
    missing = [item for item in CATALOG if (item.code, item.sku) not in existing]
    if missing:
        tenant = resolve_tenant(user=User.objects.get(email=DISTRIBUTOR_ADMIN), org_slug=distributor.slug)
        for item in missing:
            existing[(item.code, item.sku)] = services.product_save(
                tenant=tenant,
                product_code=item.code,
                sku_code=item.sku,
                name=item.name,
                publisher=item.publisher,
                unit_type=item.unit_type,
                unit_price=Decimal(item.price),
                currency="EUR",
                billing_type=item.billing_type,
                program=item.program,
            )
    return {item.code: existing[(item.code, item.sku)] for item in CATALOG}


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    kind: str  # purchase, assign, unassign, remove
    code: str = ""
    person: Person | None = None
    quantity: int = 0
    lines: tuple[tuple[str, int], ...] = ()
    period: int = 0


class Planner:
    """Writes the MSP's fourteen months as timed steps, period by period. In each period:
    purchases first (days 0–1), then people leaving and licenses reclaimed (days 2–11),
    licenses removed (day 12–14), then people joining (day 15 on), so that a program without
    over-allocation never runs out of free licenses."""

    def __init__(self, spec: DemoMsp, now: dt.datetime):
        self.spec = spec
        self.now = now
        self.limit = now - dt.timedelta(hours=1)
        # Two streams: the story (who is hired, leaves, gets what) must not depend on the
        # calendar, or the demo would load on some days and fail on others; the moments of the
        # steps (weekdays, the clamp to now) do depend on it, so they draw from their own stream.
        self.rng = random.Random(f"licensing-{spec.slug}-b")
        self.time_rng = random.Random(f"licensing-time-{spec.slug}")
        self.zone = zoneinfo.ZoneInfo("UTC")
        self.people = People(spec, self.rng)
        self.suites = {h.code for h in spec.holdings if h.suite}
        self.owned = {h.code: 0 for h in spec.holdings}
        self.count = {h.code: 0 for h in spec.holdings}
        self.steps: list[Step] = []

    def period_days(self, zone: zoneinfo.ZoneInfo) -> list[tuple[dt.date, int]]:
        today = self.now.astimezone(zone).date()
        first = today - dt.timedelta(days=HISTORY_DAYS)
        edges = [first + dt.timedelta(days=round(p * HISTORY_DAYS / PERIODS)) for p in range(PERIODS)]
        edges.append(today + dt.timedelta(days=1))
        return [(edges[p], (edges[p + 1] - edges[p]).days) for p in range(PERIODS)]

    def moment(self, start: dt.date, days: range) -> dt.datetime:
        """A working hour on a weekday among ``days`` after ``start`` (local time)."""
        rng = self.time_rng
        candidates = [d for d in days if (start + dt.timedelta(days=d)).weekday() < 5] or list(days)
        day = start + dt.timedelta(days=rng.choice(candidates))
        local = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=self.zone)
        at = local.astimezone(dt.UTC)
        if at > self.limit:
            at = self.limit - dt.timedelta(minutes=rng.randint(1, 50))
        return at

    def add(self, step: Step) -> None:
        self.steps.append(step)

    def assign(self, at, holding: Holding, person: Person) -> None:
        person.holds.add(holding.code)
        self.count[holding.code] += 1
        self.add(Step(at, "assign", holding.code, person))

    def unassign(self, at, code: str, person: Person) -> None:
        person.holds.discard(code)
        self.count[code] -= 1
        self.add(Step(at, "unassign", code, person))

    def check(self, holding: Holding, period: int) -> None:
        program = next(item.program for item in CATALOG if item.code == holding.code)
        if program == NO_OVERALLOCATION and self.count[holding.code] > self.owned[holding.code]:
            raise AssertionError(
                f"{self.spec.slug} {holding.code}: more assigned than owned in period {period}"
            )

    def plan(self, zone: zoneinfo.ZoneInfo) -> list[Step]:
        self.zone = zone
        for period, (start, length) in enumerate(self.period_days(zone)):
            self.purchases(period, start)
            if period > 0:
                self.departures(start)
                self.reclaims(period, start)
                self.removals(period, start)
            self.arrivals(period, start, range(1, length) if period == 0 else range(15, length))
        self.steps.sort(key=lambda step: step.at)
        return self.steps

    def purchases(self, period: int, start: dt.date) -> None:
        lines = tuple(
            (h.code, quantity) for h in self.spec.holdings for p, quantity in h.bought if p == period
        )
        if not lines:
            return
        if period == 0:
            at = dt.datetime.combine(start, dt.time(9, 0), tzinfo=self.zone).astimezone(dt.UTC)
        else:
            at = self.moment(start, range(0, 2))
        self.add(Step(at, "purchase", lines=lines, period=period))
        for code, quantity in lines:
            self.owned[code] += quantity

    def departures(self, start: dt.date) -> None:
        """People leaving: everything they held is unassigned the same day."""
        rng, people = self.rng, self.people
        holders = [p for p in people.active if p.holds and not p.is_room]
        leaving = round(len(holders) * self.spec.monthly_departures + rng.uniform(-0.8, 0.8))
        for person in rng.sample(holders, max(0, min(leaving, len(holders)))):
            at = self.moment(start, range(2, 12))
            for code in sorted(person.holds):
                self.unassign(at, code, person)
            people.active.remove(person)

    def reclaims(self, period: int, start: dt.date) -> None:
        """Licenses taken back where fewer are needed than are assigned."""
        for holding in self.spec.holdings:
            extra = self.count[holding.code] - holding.target(period)
            holders = [p for p in self.people.active if holding.code in p.holds and not p.is_room]
            for person in self.rng.sample(holders, max(0, extra)):
                self.unassign(self.moment(start, range(2, 12)), holding.code, person)

    def removals(self, period: int, start: dt.date) -> None:
        """Free licenses removed (never more than are free, nor below what will be assigned)."""
        for holding in self.spec.holdings:
            for quantity in (q for p, q in holding.removed if p == period):
                code = holding.code
                if quantity > self.owned[code] - self.count[code] or (
                    self.owned[code] - quantity < holding.target(period)
                ):
                    raise AssertionError(f"{self.spec.slug} {code}: cannot remove {quantity} in {period}")
                self.add(Step(self.moment(start, range(12, 15)), "remove", code, quantity=quantity))
                self.owned[code] -= quantity

    def arrivals(self, period: int, start: dt.date, days: range) -> None:
        """People joining (suites first: newcomers, or staff without one), and add-ons given to
        people who have a suite, up to each product's line; meeting rooms get their phones on
        the first month."""
        rng, people = self.rng, self.people
        for holding in sorted(self.spec.holdings, key=lambda h: not h.suite):
            needed = holding.target(period) - self.count[holding.code]
            busy: set[int] = set()
            if period == 0 and holding.phone:
                for room in [p for p in people.active if p.is_room]:
                    self.assign(self.moment(start, days), holding, room)
                    busy.add(room.key)
                    needed -= 1
            for _ in range(max(0, needed)):
                candidates = people.eligible(holding, self.suites, busy)
                if holding.suite and (not candidates or rng.random() < 0.7):
                    person = people.hire(teams=holding.teams)
                elif candidates:
                    person = rng.choice(candidates)
                else:
                    raise AssertionError(f"{self.spec.slug} {holding.code}: nobody left to give it to")
                busy.add(person.key)
                self.assign(self.moment(start, days), holding, person)
            self.check(holding, period)


# --- telling the story through the services ----------------------------------------------------


class _Clock:
    """The moment the services believe it is (see the module docstring)."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment


def _split(quantity: int, weights: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    """``quantity`` shared out by weight (largest remainders first), zero shares left out."""
    total = sum(weight for _code, weight in weights)
    shares = {code: quantity * weight // total for code, weight in weights}
    remainders = sorted(weights, key=lambda item: -((quantity * item[1]) % total))
    for code, _weight in remainders[: quantity - sum(shares.values())]:
        shares[code] += 1
    return [(code, share) for code, share in shares.items() if share > 0]


def transferred_term_start(now: dt.datetime) -> dt.date:
    """The term start of a transferred agreement (``Holding.transferred``): a year before its
    anniversary, the 12th of a month whose demo report is approved, so its true-up is invoiced."""
    month = add_months(now.date(), -TRANSFERRED_ANNIVERSARY_MONTHS_BACK)
    anniversary = month.replace(day=TRANSFERRED_ANNIVERSARY_DAY)
    return anniversary.replace(year=anniversary.year - 1)


class _Teller:
    """Does each step of the plan through the services, as the MSP's admin."""

    def __init__(self, spec: DemoMsp, msp: Organisation, catalog: dict[str, Product], now: dt.datetime):
        self.term_start = transferred_term_start(now)
        self.spec = spec
        self.msp = msp
        self.catalog = catalog
        self.admin = User.objects.get(email=spec.admin_email)
        self.tenant = resolve_tenant(user=self.admin, org_slug=spec.slug)
        self.holdings = {holding.code: holding for holding in spec.holdings}
        self.cost_centers: dict[str, CostCenter] = {}
        self.subscriptions: dict[str, int] = {}  # product code → subscription id
        self.held: dict[tuple[int, str], int] = {}  # (person, product code) → license id
        self.pool = _FreeLicenses(msp)

    def cost_centers_load(self) -> None:
        found = {cc.code: cc for cc in CostCenter.objects.for_tenant(self.msp)}
        for code, name, parent in self.spec.cost_centers:
            if code not in found:
                found[code] = services.cost_center_save(
                    tenant=self.tenant, code=code, name=name, parent_id=found[parent].pk if parent else None
                )
        self.cost_centers = found

    def transfer(self, step: Step) -> None:
        """A transferred agreement's subscription comes over with its own term start before its
        first purchase here (no service creates one: the purchase would start the term today);
        the purchase then finds it and adds the licenses, as for any other."""
        for code, _quantity in step.lines:
            if self.holdings[code].transferred and code not in self.subscriptions:
                Subscription.objects.for_tenant(self.msp).get_or_create(
                    organisation=self.msp,
                    product=self.catalog[code],
                    defaults={"term_start": self.term_start},
                )

    def purchase(self, step: Step) -> None:
        self.transfer(step)
        services.purchase_confirm(
            tenant=self.tenant,
            acting_user=self.admin,
            lines=[
                services.PurchaseRequestLine(
                    product_id=self.catalog[code].pk,
                    quantity=quantity,
                    allocations=[
                        (self.cost_centers[cc].pk, share)
                        for cc, share in _split(quantity, self.holdings[code].split)
                    ],
                )
                for code, quantity in step.lines
            ],
            acknowledged=True,
            idempotency_key=purchase_key(self.spec.slug, step.period),
        )
        known = set(self.subscriptions)
        self.subscriptions = dict(
            Subscription.objects.for_tenant(self.msp).values_list("product__product_code", "pk")
        )
        for code in set(self.subscriptions) - known:
            if code in self.holdings and self.holdings[code].yearly:
                services.subscription_charge_cycle_set(
                    tenant=self.tenant,
                    subscription_id=self.subscriptions[code],
                    frequency=BillingFrequency.YEARLY,
                )
        self.pool.reload()

    def assign(self, step: Step) -> None:
        cost_center = self.cost_centers[step.person.cost_center]
        subscription_id = self.subscriptions[step.code]
        license = services.license_assign(
            tenant=self.tenant,
            acting_user=self.admin,
            subscription_id=subscription_id,
            assignee=step.person.assignee(),
            cost_center_id=cost_center.pk,
            # a free license of the person's own cost center when there is one
            license_id=self.pool.first(subscription_id, cost_center.pk),
        )
        self.pool.taken(license)
        self.held[(step.person.key, step.code)] = license.pk

    def unassign(self, step: Step) -> None:
        license_id = self.held.pop((step.person.key, step.code))
        services.license_unassign(tenant=self.tenant, acting_user=self.admin, license_id=license_id)
        self.pool.returned(license_id, self.subscriptions[step.code])

    def remove(self, step: Step) -> None:
        services.licenses_remove(
            tenant=self.tenant,
            acting_user=self.admin,
            subscription_id=self.subscriptions[step.code],
            quantity=step.quantity,
        )
        self.pool.reload()


def story_tell(spec: DemoMsp, catalog: dict[str, Product], now: dt.datetime) -> None:
    """The MSP's fourteen months, unless they were told already (its first purchase exists)."""
    msp = Organisation.objects.get(slug=spec.slug)
    if Purchase.objects.for_tenant(msp).filter(idempotency_key=purchase_key(spec.slug, 0)).exists():
        return
    steps = Planner(spec, now).plan(zoneinfo.ZoneInfo(msp.timezone))
    teller = _Teller(spec, msp, catalog, now)
    clock = _Clock(steps[0].at - dt.timedelta(days=3))  # the cost centers come first
    with mock.patch("django.utils.timezone.now", new=clock.now):
        teller.cost_centers_load()
        for step in steps:
            clock.moment = step.at
            getattr(teller, step.kind)(step)


class _FreeLicenses:
    """The MSP's free licenses per (subscription, cost center), kept in step with the services
    so that choosing one costs no query; read again after purchases, removals, and when an
    unassignment meets over-allocated seats (the services may then swap licenses)."""

    def __init__(self, msp: Organisation):
        self.msp = msp
        self.free: dict[tuple[int, int | None], list[int]] = {}
        self.where: dict[int, tuple[int, int | None]] = {}  # assigned owned license → its key
        self.overage: dict[int, set[int]] = {}  # subscription → its over-allocated seats

    def reload(self) -> None:
        self.free, self.where, self.overage = {}, {}, {}
        rows = (
            License.objects.for_tenant(self.msp)
            .order_by("pk")
            .values_list("pk", "subscription_id", "cost_center_id", "is_overage", "assigned_at")
        )
        for pk, subscription_id, cost_center_id, is_overage, assigned_at in rows:
            if is_overage:
                self.overage.setdefault(subscription_id, set()).add(pk)
            elif assigned_at is None:
                self.free.setdefault((subscription_id, cost_center_id), []).append(pk)
            else:
                self.where[pk] = (subscription_id, cost_center_id)

    def first(self, subscription_id: int, cost_center_id: int) -> int | None:
        free = self.free.get((subscription_id, cost_center_id))
        return free[0] if free else None

    def taken(self, license: License) -> None:
        if license.is_overage:
            self.overage.setdefault(license.subscription_id, set()).add(license.pk)
            return
        for free in self.free.values():
            if license.pk in free:
                free.remove(license.pk)
                break
        self.where[license.pk] = (license.subscription_id, license.cost_center_id)

    def returned(self, license_id: int, subscription_id: int) -> None:
        seats = self.overage.get(subscription_id)
        if license_id in (seats or ()):  # an over-allocated seat goes away when unassigned
            seats.discard(license_id)
        elif seats:
            self.reload()
        else:
            free = self.free.setdefault(self.where.pop(license_id), [])
            free.append(license_id)
            free.sort()
