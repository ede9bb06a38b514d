"""Demo licensing: Northwind's catalog, and fourteen months of licensing at Contoso and Fabrikam.

``licensing_demo_load()`` fills Northwind Distribution's catalog (Microsoft 365 plans and
add-ons, Dynamics 365, Visio, Project, Veeam, and usage-based Azure services; prices in EUR,
the product ids and SKUs of the demo usage reports) and gives each demo MSP a small tree of cost
centers and a story told through the services, as its admin would have lived it over the past
fourteen months: a first purchase split over the cost centers, staff onboarded, people leaving
(their licenses unassigned) and joining, top-up purchases, licenses removed, a Visio project
that briefly went over what was owned. Where things stand today, at each MSP:

- exactly one subscription is over-allocated, in a program that allows it (Microsoft 365 E3
  at Contoso, Dynamics 365 Sales Professional at Fabrikam), so a true-up is expected;
- exactly one is near capacity (Teams Phone Standard at Contoso, Microsoft 365 Business
  Premium at Fabrikam); the others are between 79 % and 89 % assigned.

Usage-based products (Azure) are in the catalog only: there are no licenses to buy for them.

The history is append-only and stamped with the current time, so each step runs on a clock set
to the moment it happened (never later than the real now), as in ``reports.demo``. The time line
is relative to today, so the demo always looks current.

Idempotent: catalog products and cost centers are found by their natural keys before they are
created, and an MSP's story is told only when its first purchase (found by its request key) does
not exist yet, so running it again changes nothing.

Long because: the catalog and the stories are data told one after the other on one time line;
split, a reader would have to jump between files to follow an MSP's fourteen months.
"""

import datetime as dt
import random
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from unittest import mock

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from msp_portal.jobs.services import JobRunLog
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import resolve_tenant

from . import services
from .choices import BillingType, Program
from .models import (
    AssignmentEvent,
    CostCenter,
    License,
    Product,
    Purchase,
    PurchaseLine,
    Subscription,
    TrueUpCharge,
)
from .true_up import true_up_run_due

DISTRIBUTOR = "northwind"
DISTRIBUTOR_ADMIN = "dist.admin@northwind.example"
PERIODS = 14  # the story covers the fourteen months before today, one period each
HISTORY_DAYS = 426
LICENSE, USAGE = BillingType.LICENSE, BillingType.USAGE
TRUE_UP, NO_OVERALLOCATION = Program.TRUE_UP, Program.NO_OVERALLOCATION


@dataclass(frozen=True)
class CatalogItem:
    code: str
    sku: str
    name: str
    publisher: str
    unit_type: str
    price: str  # EUR per unit and month (per GB-month, per hour for usage-based products)
    billing_type: str
    program: str  # TRUE_UP: like an Enterprise Agreement; NO_OVERALLOCATION: like Open License


MS, LIC, USE, NO_OVER = "Microsoft", LICENSE, USAGE, NO_OVERALLOCATION
CATALOG = tuple(
    CatalogItem(*row)
    for row in (
        ("MS-M365-BB", "P1M", "Microsoft 365 Business Basic", MS, "seat", "5.60", LIC, NO_OVER),
        ("MS-M365-BP", "P1M", "Microsoft 365 Business Premium", MS, "seat", "20.60", LIC, NO_OVER),
        ("MS-M365-E3", "P1M", "Microsoft 365 E3", MS, "seat", "35.70", LIC, TRUE_UP),
        ("MS-M365-E5", "P1M", "Microsoft 365 E5", MS, "seat", "54.70", LIC, TRUE_UP),
        ("MS-EXO-P1", "P1M", "Exchange Online (Plan 1)", MS, "seat", "3.70", LIC, NO_OVER),
        ("MS-MDE-P1", "P1M", "Microsoft Defender for Endpoint P1", MS, "seat", "2.80", LIC, NO_OVER),
        ("MS-INTUNE-P1", "P1M", "Microsoft Intune Plan 1", MS, "seat", "7.50", LIC, NO_OVER),
        ("MS-ENTRA-P1", "P1M", "Microsoft Entra ID P1", MS, "seat", "5.60", LIC, NO_OVER),
        ("MS-TEAMS-PHONE", "P1M", "Teams Phone Standard", MS, "seat", "7.50", LIC, TRUE_UP),
        ("MS-D365-SALES-PRO", "P1M", "Dynamics 365 Sales Professional", MS, "seat", "61.60", LIC, TRUE_UP),
        ("MS-VISIO-P2", "P1M", "Visio Plan 2", MS, "seat", "14.10", LIC, TRUE_UP),
        ("MS-PROJECT-P3", "P1M", "Project Plan 3", MS, "seat", "28.10", LIC, TRUE_UP),
        ("VEEAM-VB365", "VCSP-M", "Veeam Backup for Microsoft 365", "Veeam", "user", "1.90", LIC, NO_OVER),
        ("AZ-BACKUP-GRS", "GB-MONTH", "Azure Backup storage (GRS)", MS, "GB", "0.0448", USE, TRUE_UP),
        ("AZ-BACKUP-LRS", "GB-MONTH", "Azure Backup storage (LRS)", MS, "GB", "0.0224", USE, TRUE_UP),
        ("AZ-VM-D2SV5", "HOUR", "Azure Virtual Machines D2s v5 (Linux)", MS, "hour", "0.0880", USE, TRUE_UP),
    )
)


@dataclass(frozen=True)
class Holding:
    """What an MSP holds of one product and how its assigned count moves.

    ``path`` gives the assigned count at the end of some periods (0 = fourteen months ago,
    13 = this month, until now), straight lines in between; people leaving are replaced in the
    same period. ``bought`` and ``removed`` are (period, quantity)."""

    code: str
    bought: tuple[tuple[int, int], ...]
    path: tuple[tuple[int, int], ...]
    split: tuple[tuple[str, int], ...]  # cost center code → weight, for purchases
    removed: tuple[tuple[int, int], ...] = ()
    suite: bool = False  # a person holds at most one suite (Business Basic/Premium, E3, E5, Exchange)
    teams: tuple[str, ...] = ()  # top-level cost centers whose people get it (empty: anyone)
    phone: bool = False  # its holders have a phone extension

    def target(self, period: int) -> int:
        points = sorted(self.path)
        if period <= points[0][0]:
            return points[0][1]
        for (p0, v0), (p1, v1) in zip(points, points[1:], strict=False):
            if p0 <= period <= p1:
                return round(v0 + (v1 - v0) * (period - p0) / (p1 - p0))
        return points[-1][1]


@dataclass(frozen=True)
class DemoMsp:
    slug: str
    admin_email: str
    domain: str
    cost_centers: tuple[tuple[str, str, str | None], ...]  # code, name, parent code
    departments: tuple[tuple[str, int], ...]  # where people work (cost center code → weight)
    holdings: tuple[Holding, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    extension_base: int
    rooms: tuple[tuple[str, str], ...] = ()  # (name, extension): phones of meeting rooms
    monthly_departures: float = 0.012  # share of the people with a license who leave each month


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


CONTOSO = DemoMsp(
    slug="contoso",
    admin_email="admin@contoso.example",
    domain="contoso.example",
    cost_centers=(
        ("HQ", "Head office", None),
        ("HQ-FIN", "Finance", "HQ"),
        ("HQ-HR", "People & HR", "HQ"),
        ("SALES", "Sales", None),
        ("SALES-FR", "Sales France", "SALES"),
        ("SALES-BNL", "Sales Benelux", "SALES"),
        ("SUP", "Support", None),
        ("SUP-DESK", "Service desk", "SUP"),
        ("SUP-INFRA", "Infrastructure & cloud", "SUP"),
        ("RND", "R&D", None),
        ("RND-DEV", "Software development", "RND"),
        ("RND-LAB", "Lab & quality", "RND"),
    ),
    departments=(
        ("HQ", 2),
        ("HQ-FIN", 3),
        ("HQ-HR", 2),
        ("SALES-FR", 6),
        ("SALES-BNL", 3),
        ("SUP-DESK", 7),
        ("SUP-INFRA", 5),
        ("RND-DEV", 6),
        ("RND-LAB", 2),
    ),
    holdings=(
        Holding(
            "MS-M365-BP",
            bought=((0, 40), (8, 4)),
            path=((0, 30), (13, 39)),
            split=(("HQ-FIN", 2), ("HQ-HR", 2), ("SALES-FR", 4), ("SALES-BNL", 2), ("SUP-DESK", 5)),
            suite=True,
        ),
        Holding(
            "MS-M365-E3",  # over-allocated for three months: the true-up will bill the peak (28)
            bought=((0, 25),),
            path=((0, 18), (9, 23), (10, 25), (11, 26), (12, 28), (13, 27)),
            split=(("SUP-INFRA", 3), ("RND-DEV", 4), ("RND-LAB", 1), ("HQ", 1)),
            suite=True,
            teams=("SUP", "RND", "HQ"),
        ),
        Holding(
            "MS-M365-E5",
            bought=((0, 7),),
            path=((0, 4), (13, 6)),
            split=(("HQ", 1),),
            suite=True,
            teams=("HQ", "SUP"),
        ),
        Holding(
            "MS-EXO-P1",  # frontline mailboxes; four licenses removed when a contract ended
            bought=((0, 28),),
            removed=((6, 4),),
            path=((0, 22), (6, 20), (13, 19)),
            split=(("SUP-DESK", 3), ("SALES-FR", 1)),
            suite=True,
            teams=("SUP", "SALES"),
        ),
        Holding(
            "MS-MDE-P1",
            bought=((0, 50), (7, 8)),
            path=((0, 40), (13, 50)),
            split=(("SUP-INFRA", 1),),
        ),
        Holding(
            "MS-INTUNE-P1",
            bought=((0, 35), (10, 4)),
            path=((0, 25), (13, 33)),
            split=(("SUP-INFRA", 1),),
        ),
        Holding(
            "MS-TEAMS-PHONE",  # near capacity: 17 of 18
            bought=((0, 18),),
            path=((0, 10), (13, 17)),
            split=(("SALES-FR", 2), ("SALES-BNL", 1), ("SUP-DESK", 2)),
            teams=("SALES", "SUP"),
            phone=True,
        ),
        Holding(
            "MS-VISIO-P2",  # a project went to 8 for 6 owned, then back to 5: the last true-up billed it
            bought=((0, 6),),
            path=((0, 3), (8, 5), (10, 8), (11, 5), (13, 5)),
            split=(("RND-DEV", 1),),
            teams=("RND", "SUP"),
        ),
        Holding(
            "MS-PROJECT-P3",
            bought=((0, 5),),
            path=((0, 3), (13, 4)),
            split=(("HQ", 1), ("RND", 1)),
            teams=("HQ", "RND"),
        ),
    ),
    first_names=_names(
        "Camille, Léa, Hugo, Louis, Chloé, Manon, Lucas, Emma, Jules, Inès, Nathan, Sarah, Thomas, "
        "Julie, Antoine, Claire, Maxime, Pauline, Nicolas, Élodie, Julien, Mathilde, Alexandre, "
        "Laura, Romain, Marion, Quentin, Céline, Benoît, Sophie, Yanis, Amina, Karim, Leïla, "
        "Mehdi, Nora, Pierre, Anne, Mathieu, Aurélie, Guillaume, Hélène, Arthur, Zoé, Théo, Lucie, "
        "Bastien, Margaux, Florian, Justine, Sébastien, Émilie, Olivier, Agathe, Rayan, Salomé, "
        "Vincent, Noémie, Adrien, Jeanne"
    ),
    last_names=_names(
        "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, "
        "Laurent, Lefebvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, "
        "Girard, André, Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, Garnier, "
        "Faure, Rousseau, Blanc, Guérin, Muller, Henry, Roussel, Perrin, Morin, Mathieu, Clément, "
        "Gauthier, Dumont, Lopez, Fontaine, Chevalier, Robin, Masson, Sanchez, Benali, Nguyen, "
        "Haddad, Lemaire, Janssens, Peeters, De Smet"
    ),
    extension_base=3100,
    rooms=(
        ("Meeting room Rivoli (3rd floor)", "3010"),
        ("Meeting room Opéra", "3011"),
        ("Reception Paris", "3000"),
    ),
)

FABRIKAM = DemoMsp(
    slug="fabrikam",
    admin_email="admin@fabrikam.example",
    domain="fabrikam.example",
    cost_centers=(
        ("HQ", "Head office", None),
        ("HQ-ADM", "Administration & finance", "HQ"),
        ("SALES", "Sales", None),
        ("SALES-ON", "Sales Ontario", "SALES"),
        ("SALES-QC", "Sales Québec", "SALES"),
        ("SUP", "Support", None),
        ("SUP-NOC", "Network operations centre", "SUP"),
        ("SUP-FIELD", "Field services", "SUP"),
        ("RND", "Engineering", None),
        ("RND-LAB", "Engineering lab", "RND"),
    ),
    departments=(
        ("HQ", 1),
        ("HQ-ADM", 3),
        ("SALES-ON", 5),
        ("SALES-QC", 3),
        ("SUP-NOC", 5),
        ("SUP-FIELD", 5),
        ("RND", 3),
        ("RND-LAB", 2),
    ),
    holdings=(
        Holding(
            "MS-M365-BB",
            bought=((0, 25),),
            path=((0, 18), (13, 20)),
            split=(("SUP-FIELD", 3), ("SUP-NOC", 1)),
            suite=True,
            teams=("SUP", "HQ"),
        ),
        Holding(
            "MS-M365-BP",  # near capacity: 35 of 38
            bought=((0, 34), (9, 4)),
            path=((0, 26), (13, 35)),
            split=(("HQ-ADM", 2), ("SALES-ON", 3), ("SALES-QC", 2), ("RND", 2), ("SUP-NOC", 1)),
            suite=True,
        ),
        Holding(
            "MS-D365-SALES-PRO",  # over-allocated: 10 assigned for 8 owned
            bought=((0, 6), (6, 2)),
            path=((0, 5), (6, 7), (12, 9), (13, 10)),
            split=(("SALES-ON", 6), ("SALES-QC", 4)),
            teams=("SALES",),
        ),
        Holding(
            "MS-MDE-P1",
            bought=((0, 50),),
            path=((0, 40), (13, 43)),
            split=(("SUP-NOC", 1),),
        ),
        Holding(
            "MS-ENTRA-P1",
            bought=((0, 16),),
            path=((0, 10), (13, 13)),
            split=(("SUP-NOC", 1), ("RND", 1)),
            teams=("SUP", "RND", "HQ"),
        ),
    ),
    first_names=_names(
        "Olivia, Liam, Noah, Emma, Charlotte, Benjamin, Amelia, Lucas, Ava, William, Chloé, "
        "Gabriel, Sophia, Raj, Priya, Wei, Mei, Mohammed, Aisha, Ethan, Mia, Jacob, Zoe, Owen, "
        "Hannah, Nathan, Isabelle, Samuel, Léa, Arjun, Daniel, Grace, Félix, Maya, Jonathan, "
        "Nadia, Marc-André, Émilie, Tyler, Jessica, Kevin, Simran, Hiroshi, Yuna, Carlos, Sofia, "
        "Patrick, Megan, Alexandre, Catherine"
    ),
    last_names=_names(
        "Smith, Brown, Tremblay, Martin, Roy, Wilson, MacDonald, Gagnon, Johnson, Taylor, "
        "Campbell, Anderson, Lee, Leblanc, Côté, Bouchard, Patel, Singh, Nguyen, Chen, Wong, Kim, "
        "Young, Scott, Murphy, Clarke, Gauthier, Morin, Fortin, Pelletier, Thompson, White, "
        "Stewart, Ahmed, Ali, Khan, Li, Zhang, O'Brien, Bélanger, Lavoie, Girard, Sato, Rodrigues, "
        "Silva, Kowalski"
    ),
    extension_base=4100,
    monthly_departures=0.015,
)

DEMO_MSPS = (CONTOSO, FABRIKAM)


def _purchase_key(slug: str, period: int) -> str:
    return f"demo-{slug}-licensing-{period:02d}"


# --- the catalog ------------------------------------------------------------------------------


def _catalog_load(distributor: Organisation) -> dict[str, Product]:
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


# --- the people -------------------------------------------------------------------------------


@dataclass
class Person:
    key: int
    name: str
    email: str
    extension: str
    cost_center: str
    is_room: bool = False
    holds: set[str] = field(default_factory=set)  # product codes

    @property
    def team(self) -> str:
        return self.cost_center.split("-")[0]

    def assignee(self) -> services.Assignee:
        return services.Assignee(name=self.name, email=self.email, extension=self.extension)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == "-")


class _People:
    """The MSP's staff over time: hired when needed, some leaving each month."""

    def __init__(self, spec: DemoMsp, rng: random.Random):
        self.spec = spec
        self.rng = rng
        self.active: list[Person] = []
        self.emails: set[str] = set()
        self.extensions: set[str] = set()
        self.next_key = 0
        for name, extension in spec.rooms:
            self.active.append(self._new(name, "", extension, "HQ", is_room=True))

    def _new(self, name, email, extension, cost_center, *, is_room=False) -> Person:
        self.next_key += 1
        if extension:
            self.extensions.add(extension)
        return Person(self.next_key, name, email, extension, cost_center, is_room)

    def _extension(self) -> str:
        while True:
            extension = str(self.spec.extension_base + self.rng.randint(0, 899))
            if extension not in self.extensions:
                return extension

    def hire(self, *, teams: tuple[str, ...] = ()) -> Person:
        rng, spec = self.rng, self.spec
        departments = [
            (code, weight) for code, weight in spec.departments if not teams or code.split("-")[0] in teams
        ]
        cost_center = rng.choices([c for c, _w in departments], [w for _c, w in departments])[0]
        while True:
            first, last = rng.choice(spec.first_names), rng.choice(spec.last_names)
            email = f"{_ascii(first)}.{_ascii(last).replace('-', '')}@{spec.domain}"
            if email not in self.emails:
                break
            email = f"{_ascii(first)}.{_ascii(last).replace('-', '')}{rng.randint(2, 9)}@{spec.domain}"
            if email not in self.emails:
                break
        self.emails.add(email)
        extension = self._extension() if rng.random() < 0.55 else ""
        person = self._new(f"{first} {last}", email, extension, cost_center)
        self.active.append(person)
        return person

    def eligible(self, holding: Holding, suites: set[str], busy: set[int]) -> list[Person]:
        found = []
        for person in self.active:
            if person.key in busy or holding.code in person.holds:
                continue
            if person.is_room:
                if holding.phone:
                    found.append(person)
                continue
            if holding.teams and person.team not in holding.teams:
                continue
            if holding.phone and not person.extension:
                continue
            has_suite = bool(person.holds & suites)
            if holding.suite and has_suite:
                continue
            if not holding.suite and not has_suite:
                continue  # add-ons go to people who already have a suite
            found.append(person)
        return found


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


class _Planner:
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
        self.people = _People(spec, self.rng)
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


class _Teller:
    """Does each step of the plan through the services, as the MSP's admin."""

    def __init__(self, spec: DemoMsp, msp: Organisation, catalog: dict[str, Product]):
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

    def purchase(self, step: Step) -> None:
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
            idempotency_key=_purchase_key(self.spec.slug, step.period),
        )
        self.subscriptions = dict(
            Subscription.objects.for_tenant(self.msp).values_list("product__product_code", "pk")
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


def _story_tell(spec: DemoMsp, catalog: dict[str, Product], now: dt.datetime) -> None:
    """The MSP's fourteen months, unless they were told already (its first purchase exists)."""
    msp = Organisation.objects.get(slug=spec.slug)
    if Purchase.objects.for_tenant(msp).filter(idempotency_key=_purchase_key(spec.slug, 0)).exists():
        return
    steps = _Planner(spec, now).plan(zoneinfo.ZoneInfo(msp.timezone))
    teller = _Teller(spec, msp, catalog)
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


@transaction.atomic
def licensing_demo_load() -> dict[str, int]:
    """Create the catalog, the demo MSPs' cost centers and their fourteen months of licensing
    (see the module docstring); returns how many rows of each kind now exist. Expects the demo
    organisations and users of :mod:`msp_portal.tenancy.demo`."""
    now = timezone.now()
    distributor = Organisation.objects.get(slug=DISTRIBUTOR)
    catalog = _catalog_load(distributor)
    for spec in DEMO_MSPS:
        _story_tell(spec, catalog, now)
    # The anniversary of the demo terms was two months ago: the true-up job bills that year, as
    # the beat would have (run again, it bills nothing twice).
    true_up_run_due(log=JobRunLog(), now=now)
    with scopes_disabled():
        return {
            "catalog_products": Product.objects.count(),
            "cost_centers": CostCenter.objects.count(),
            "subscriptions": Subscription.objects.count(),
            "purchases": Purchase.objects.count(),
            "purchase_lines": PurchaseLine.objects.count(),
            "licenses": License.objects.count(),
            "assignment_events": AssignmentEvent.objects.count(),
            "true_up_charges": TrueUpCharge.objects.count(),
        }
