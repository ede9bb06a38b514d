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
  Premium at Fabrikam); the others are between 79 % and 89 % assigned;
- one agreement was transferred from another distributor with its own term (Microsoft 365 E5
  at Contoso, Visio Plan 2 at Fabrikam): its anniversary came five months ago, in a month whose
  demo report is approved, and billed the few weeks it went one over what was owned; so that
  true-up is on an issued invoice, while the others' anniversary, two months ago, waits for
  the report under review.

Usage-based products (Azure) are in the catalog only: there are no licenses to buy for them.

The history is append-only and stamped with the current time, so each step runs on a clock set
to the moment it happened (never later than the real now), as in ``reports.demo``. The time line
is relative to today, so the demo always looks current.

Idempotent: catalog products and cost centers are found by their natural keys before they are
created, and an MSP's story is told only when its first purchase (found by its request key) does
not exist yet, so running it again changes nothing.

The package reads in three parts: ``specs`` (the catalog and each MSP's people and holdings, as
data), ``story`` (the planner that turns a spec into dated steps, and the teller that performs
them through the services) and this module (the loader).
"""

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from msp_portal.jobs.services import JobRunLog
from msp_portal.tenancy.models import Organisation

from ..models import (
    AssignmentEvent,
    CostCenter,
    License,
    Product,
    Purchase,
    PurchaseLine,
    Subscription,
    TrueUpCharge,
)
from ..true_up import true_up_run_due
from .specs import CATALOG, DEMO_MSPS, DISTRIBUTOR
from .story import catalog_load, story_tell

__all__ = ["CATALOG", "DEMO_MSPS", "licensing_demo_load"]


@transaction.atomic
def licensing_demo_load() -> dict[str, int]:
    """Create the catalog, the demo MSPs' cost centers and their fourteen months of licensing
    (see the module docstring); returns how many rows of each kind now exist. Expects the demo
    organisations and users of :mod:`msp_portal.tenancy.demo`."""
    now = timezone.now()
    distributor = Organisation.objects.get(slug=DISTRIBUTOR)
    catalog = catalog_load(distributor)
    for spec in DEMO_MSPS:
        story_tell(spec, catalog, now)
    # The anniversary of the demo terms was two months ago, the transferred agreements' five: the
    # true-up job bills those years, as the beat would have (run again, it bills nothing twice).
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
