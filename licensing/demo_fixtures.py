"""A minimal, idempotent set of licensing objects for an organisation, made through the
services: used by the two-organisation tests to find an object of each kind."""

from decimal import Decimal

from django_scopes import scopes_disabled

from msp_portal.tenancy.choices import ROLE_PERMISSIONS, Role
from msp_portal.tenancy.models import Membership, Organisation
from msp_portal.tenancy.resolve import TenantContext

from . import services
from .choices import BillingType, Program
from .models import CostCenter, License, Product, Purchase, Subscription


def _acting(organisation: Organisation, role: str) -> TenantContext:
    with scopes_disabled():
        membership = (
            Membership.objects.filter(organisation=organisation, role=role).select_related("user").first()
        )
    return TenantContext(organisation=organisation, membership=membership, perms=ROLE_PERMISSIONS[role])


def licensing_objects(org: Organisation) -> dict:
    """For a distributor: its product. For an MSP: its distributor's product, a cost center, a
    subscription with one assigned license, and the purchase that bought it."""
    distributor = org if org.is_distributor else org.distributor
    buyer = org if org.is_msp else Organisation.objects.filter(distributor=org).first()
    product, _ = Product.objects.for_tenant(distributor).get_or_create(
        organisation=distributor,
        product_code="FIXTURE-365",
        sku_code="FIXTURE-365-P1M",
        defaults={
            "name": "Fixture 365",
            "publisher": "Fixture",
            "unit_type": "seat",
            "unit_price": Decimal("10.00"),
            # Priced in the currency its MSP is billed in, so the MSP may buy it (docs/currency.md).
            "currency": (buyer or distributor).currency,
            "billing_type": BillingType.LICENSE,
            "program": Program.TRUE_UP,
        },
    )
    if org.is_distributor:
        objects = licensing_objects(buyer) if buyer else {}
        return {**objects, "product": product}
    tenant = _acting(org, Role.MSP_ADMIN)
    cost_center = CostCenter.objects.for_tenant(org).filter(code="FIX").first() or services.cost_center_save(
        tenant=tenant, code="FIX", name="Fixture"
    )
    purchase = Purchase.objects.for_tenant(org).filter(idempotency_key="fixture").first()
    if purchase is None:
        purchase, _ = services.purchase_confirm(
            tenant=tenant,
            acting_user=tenant.membership.user,
            lines=[
                services.PurchaseRequestLine(
                    product_id=product.pk, quantity=2, allocations=[(cost_center.pk, 2)]
                )
            ],
            acknowledged=True,
            idempotency_key="fixture",
        )
    subscription = Subscription.objects.for_tenant(org).get(product=product)
    license = (
        License.objects.for_tenant(org).filter(subscription=subscription, assigned_at__isnull=False).first()
    )
    if license is None:
        license = services.license_assign(
            tenant=tenant,
            acting_user=tenant.membership.user,
            subscription_id=subscription.pk,
            assignee=services.Assignee(name="Fixture User", email="fixture.user@example.com"),
        )
    return {
        "product": product,
        "cost_center": cost_center,
        "purchase": purchase,
        "subscription": subscription,
        "license": license,
    }
