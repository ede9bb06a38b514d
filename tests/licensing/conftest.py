"""Shared fixtures of the licensing tests: a catalog product, an MSP admin acting in its
organisation, a purchase, an assignment, and the status the licenses page shows. Catalog
products are plain rows (tests/factories.py); cost centers, purchases and assignments go through
the services, as a person using the portal would: they write the history, and tests of the
services' rules use these fixtures."""

import itertools
from decimal import Decimal

import pytest

from licensing import selectors, services
from licensing.choices import BillingType, Program
from licensing.models import CostCenter, License, Product, Subscription
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext, resolve_tenant
from tests.factories import ProductFactory

_numbers = itertools.count(1)


def acting(side, role: str = "msp_admin") -> TenantContext:
    """The tenant context of the side's user with that role, resolved as a request would."""
    user = side.users[role]
    return resolve_tenant(user=user, org_slug=side.org_of(role).slug)


@pytest.fixture
def world(world):
    """The test world with its MSPs billed in euros, the currency of the ``product`` fixture's
    prices: a product is sold only to MSPs billed in its currency (docs/currency.md)."""
    for side in (world.a, world.b):
        Organisation.objects.filter(pk=side.msp.pk).update(currency="EUR")
        side.msp.currency = "EUR"
    return world


@pytest.fixture
def msp_admin_tenant():
    """``msp_admin_tenant(side)`` → the MSP admin of that side acting in its MSP."""
    return acting


@pytest.fixture
def product(db):
    """``product(distributor, program=..., billing_type=..., price=...)`` → a product on sale in
    the distributor's catalog (a new SKU each call)."""

    def make(
        distributor,
        *,
        program: str = Program.TRUE_UP,
        billing_type: str = BillingType.LICENSE,
        price="10.00",
        name: str | None = None,
        sku: str | None = None,
    ) -> Product:
        given = {key: value for key, value in (("name", name), ("sku_code", sku)) if value}
        return ProductFactory(
            organisation=distributor,
            unit_price=Decimal(str(price)),
            billing_type=billing_type,
            program=program,
            **given,
        )

    return make


@pytest.fixture
def buy(db):
    """``buy(side, product, quantity, allocations=None, key=None)`` → the confirmed purchase
    (allocations: list of (cost center or None, quantity))."""

    def purchase(side, product_, quantity: int, *, allocations=None, key: str | None = None):
        tenant = acting(side)
        pairs = [((cc.pk if cc is not None else None), qty) for cc, qty in (allocations or [])]
        made, _created = services.purchase_confirm(
            tenant=tenant,
            acting_user=tenant.membership.user,
            lines=[
                services.PurchaseRequestLine(product_id=product_.pk, quantity=quantity, allocations=pairs)
            ],
            acknowledged=True,
            idempotency_key=key or f"key-{next(_numbers)}",
        )
        return made

    return purchase


@pytest.fixture
def assign(db):
    """``assign(side, subscription, name, cost_center=None)`` → the assigned license."""

    def give(side, subscription: Subscription, name: str, *, cost_center: CostCenter | None = None):
        tenant = acting(side)
        return services.license_assign(
            tenant=tenant,
            acting_user=tenant.membership.user,
            subscription_id=subscription.pk,
            assignee=services.Assignee(name=name, email=f"{name.lower().replace(' ', '.')}@customer.example"),
            cost_center_id=cost_center.pk if cost_center else None,
        )

    return give


@pytest.fixture
def unassign(db):
    def take_back(side, license_: License) -> None:
        tenant = acting(side)
        services.license_unassign(tenant=tenant, acting_user=tenant.membership.user, license_id=license_.pk)

    return take_back


@pytest.fixture
def cost_center(db):
    """``cost_center(side, code, name=None, parent=None)`` → a new cost center of the side's MSP."""

    def make(side, code: str, name: str | None = None, *, parent: CostCenter | None = None) -> CostCenter:
        # Through the service: tests of its rules (duplicate codes, loops) use this fixture.
        return services.cost_center_save(
            tenant=acting(side),
            code=code,
            name=name or f"Center {code}",
            parent_id=parent.pk if parent else None,
        )

    return make


def subscription_of(side, product_: Product) -> Subscription:
    return Subscription.objects.for_tenant(side.msp).get(product=product_)


def status_of(side, subscription: Subscription, **kwargs) -> selectors.SubscriptionStatus:
    statuses = selectors.subscription_statuses(organisation=side.msp, **kwargs)
    return next(status for status in statuses if status.subscription.pk == subscription.pk)


def licenses_of(side, subscription: Subscription):
    return License.objects.for_tenant(side.msp).filter(subscription=subscription)
