"""Buying licenses: a purchase of several lines, each split over cost centers."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from msp_portal.errors import Conflict, Invalid, NotAllowed, item_key
from msp_portal.money import round_money, sale_refusal
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import TenantContext

from .. import selectors
from ..choices import BillingType, HistoryKind
from ..models import (
    CostCenter,
    License,
    Product,
    Purchase,
    PurchaseAllocation,
    PurchaseLine,
    Subscription,
)
from ._common import MAX_QUANTITY, _counts, _lock_subscription, _record, _require


@dataclass(frozen=True)
class PurchaseRequestLine:
    product_id: int
    quantity: int
    allocations: list[tuple[int | None, int]] = field(
        default_factory=list
    )  # (cost center id or None, quantity)


def _next_purchase_number(organisation: Organisation, now: dt.datetime) -> str:
    count = Purchase.objects.for_tenant(organisation).filter(created_at__year=now.year).count()
    return f"P-{now:%Y}-{count + 1:05d}"


def _purchase_line_refusal(
    line: PurchaseRequestLine, product: Product | None, organisation: Organisation
) -> tuple[str, str] | None:
    """Why one line of a purchase cannot be bought, as (the refused field, a sentence); None
    when it can. The first reason in this order wins: unknown product, not for sale to this
    MSP, quantity, allocations, billed on usage."""
    if product is None or not product.is_active:
        return "product", _("This product is not in your distributor's catalog.")
    if refusal := sale_refusal(product=product, msp=organisation):
        return "product", refusal
    if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
        return "quantity", _("Buy from 1 to %(max)s licenses.") % {"max": MAX_QUANTITY}
    allocated = sum(quantity for _cc, quantity in line.allocations) if line.allocations else line.quantity
    if allocated != line.quantity or any(quantity < 1 for _cc, quantity in line.allocations):
        return "allocations", _(
            "The cost centers of %(product)s add up to %(allocated)s licenses instead of %(quantity)s."
        ) % {"product": product.name, "allocated": allocated, "quantity": line.quantity}
    if product.billing_type != BillingType.LICENSE:
        return "product", _("%(product)s is billed on usage: there are no licenses to buy.") % {
            "product": product.name
        }
    return None


def purchase_confirm(
    *,
    tenant: TenantContext,
    acting_user: User,
    lines: Sequence[PurchaseRequestLine],
    acknowledged: bool,
    idempotency_key: str,
) -> tuple[Purchase, bool]:
    """Buy licenses: each line's quantity is split over cost centers (the allocations must add
    up to it). Over-allocated seats of the same product become owned first. The same request
    key confirms once: a second call returns the first purchase (created=False), for the cart's
    page and the API alike. Conflict when another purchase took the number at the same moment."""
    try:
        return _purchase_confirm(
            tenant=tenant,
            acting_user=acting_user,
            lines=lines,
            acknowledged=acknowledged,
            idempotency_key=idempotency_key,
        )
    except IntegrityError as exc:
        # The organisation's lock serialises confirmations; should the database still refuse a
        # twin (same key, or the same number), the first purchase is the answer if it is ours.
        existing = selectors.purchase_by_key(organisation=tenant.organisation, key=idempotency_key)
        if existing is None:
            raise Conflict(
                _("Another purchase was confirmed at the same moment. Send the request again.")
            ) from exc
        return existing, False


@transaction.atomic
def _purchase_confirm(
    *,
    tenant: TenantContext,
    acting_user: User,
    lines: Sequence[PurchaseRequestLine],
    acknowledged: bool,
    idempotency_key: str,
) -> tuple[Purchase, bool]:
    _require(tenant, Perm.MANAGE_LICENSING)
    organisation = tenant.organisation
    if not organisation.is_msp:
        raise NotAllowed(_("Only an MSP buys licenses."))
    # One purchase at a time per MSP: the request key is checked, and the next number taken,
    # under this lock, so a double click and two buyers at once are both handled cleanly.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    existing = selectors.purchase_by_key(organisation=organisation, key=idempotency_key)
    if existing is not None:
        return existing, False
    if not acknowledged:
        raise Invalid(
            _("Confirm that you accept the terms of the purchase."),
            field_errors={"acknowledged": [_("Tick the box to confirm.")]},
        )
    if not lines:
        raise Invalid(_("The cart is empty: add at least one product."))
    catalog = _checked_catalog(organisation, lines)
    cost_centers = _checked_cost_centers(organisation, lines)
    now = timezone.now()
    purchase = Purchase.objects.create(
        organisation=organisation,
        number=_next_purchase_number(organisation, now),
        idempotency_key=idempotency_key,
        created_by=acting_user,
        # Every line's product is priced in it (checked above): docs/currency.md.
        currency=organisation.currency,
        total=Decimal("0"),
        acknowledged_terms=True,
    )
    total = Decimal("0.00")
    # A fixed order of subscription locks between concurrent requests.
    for line in sorted(lines, key=lambda request: request.product_id):
        total += _buy_line(purchase, line, catalog[line.product_id], cost_centers, actor=acting_user, now=now)
    purchase.total = total
    purchase.save(update_fields=["total"])
    return purchase, True


def _checked_catalog(organisation: Organisation, lines: Sequence[PurchaseRequestLine]) -> dict[int, Product]:
    """The products of the lines by id, once every line passed; otherwise Invalid naming each
    refused line."""
    catalog = selectors.products_by_id(
        organisation=organisation, product_ids=[request.product_id for request in lines]
    )
    # Each refusal under its stable key (lines.2.quantity) for forms and API clients, and named
    # "Line 2" in the sentence a person reads.
    errors: dict[str, list[str]] = {}
    problems: list[str] = []
    for index, line in enumerate(lines, start=1):
        if refusal := _purchase_line_refusal(line, catalog.get(line.product_id), organisation):
            errors[item_key("lines", index, refusal[0])] = [refusal[1]]
            where = _("Line %(n)s") % {"n": index}
            problems.append(f"{where}: {refusal[1]}")
    if len({request.product_id for request in lines}) != len(lines):
        errors["lines"] = [_("A product appears twice in the cart: merge the lines.")]
        where = _("Cart")
        problems.append(f"{where}: {errors['lines'][0]}")
    if errors:
        raise Invalid(
            _("The purchase was not made: %(problems)s") % {"problems": " ".join(problems)},
            field_errors=errors,
        )
    return catalog


def _checked_cost_centers(
    organisation: Organisation, lines: Sequence[PurchaseRequestLine]
) -> dict[int, CostCenter]:
    """The cost centers the allocations name, by id; Invalid when one is not the MSP's."""
    cost_centers = {
        cc.pk: cc
        for cc in CostCenter.objects.for_tenant(organisation).filter(
            pk__in=[cc for line in lines for cc, _q in line.allocations if cc is not None]
        )
    }
    for line in lines:
        for cc, _q in line.allocations:
            if cc is not None and cc not in cost_centers:
                raise Invalid(
                    _("A cost center of the purchase is not one of yours."),
                    field_errors={"allocations": [_("Choose your own cost centers.")]},
                )
    return cost_centers


def _buy_line(
    purchase: Purchase,
    line: PurchaseRequestLine,
    product: Product,
    cost_centers: dict[int, CostCenter],
    *,
    actor: User,
    now: dt.datetime,
) -> Decimal:
    """Write one purchase line, its allocations and its licenses under the subscription's lock,
    and record the purchase in the history; returns the line's total."""
    organisation = purchase.organisation
    subscription, _created = Subscription.objects.for_tenant(organisation).get_or_create(
        organisation=organisation, product=product, defaults={"term_start": now.date()}
    )
    subscription = _lock_subscription(organisation, subscription.pk)
    line_total = round_money(line.quantity * product.unit_price)
    purchase_line = PurchaseLine.objects.create(
        organisation=organisation,
        purchase=purchase,
        product=product,
        quantity=line.quantity,
        unit_price=product.unit_price,
        total=line_total,
    )
    overage = list(
        License.objects.for_tenant(organisation)
        .filter(subscription=subscription, is_overage=True)
        .order_by("pk")
    )
    new_licenses = []
    for cc_id, quantity in line.allocations or [(None, line.quantity)]:
        PurchaseAllocation.objects.create(
            organisation=organisation,
            line=purchase_line,
            cost_center=cost_centers.get(cc_id),
            quantity=quantity,
        )
        for _seat in range(quantity):
            if overage:
                # An over-allocated seat in use becomes an owned license.
                seat = overage.pop(0)
                seat.is_overage, seat.purchase = False, purchase
                if cc_id is not None:
                    seat.cost_center = cost_centers[cc_id]
                seat.save(update_fields=["is_overage", "purchase", "cost_center"])
            else:
                new_licenses.append(
                    License(
                        organisation=organisation,
                        subscription=subscription,
                        purchase=purchase,
                        cost_center=cost_centers.get(cc_id),
                    )
                )
    License.objects.bulk_create(new_licenses, batch_size=1000)
    owned, _assigned = _counts(subscription)
    _record(subscription, kind=HistoryKind.PURCHASED, delta=0, owned_after=owned, actor=actor, at=now)
    return line_total
