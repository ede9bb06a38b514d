"""Writes of licensing. Each service checks the role, locks the subscription it changes (so two
requests racing for the last free license are served one after the other), applies the rule,
and appends to the assignment history."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from msp_portal.errors import Conflict, Invalid, NotAllowed, NotFound, item_key
from msp_portal.money import CurrencyMismatch, round_money, sale_refusal
from msp_portal.notifications.services import notify
from msp_portal.tenancy.choices import Perm, Role
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import users_with_roles

from . import notifications, selectors
from .choices import BillingType, HistoryKind
from .models import (
    AssignmentEvent,
    CostCenter,
    License,
    Product,
    Purchase,
    PurchaseAllocation,
    PurchaseLine,
    Subscription,
)

MAX_QUANTITY = 10_000


def _require(tenant: TenantContext, perm: str) -> None:
    if not tenant.can(perm):
        raise NotAllowed()


def _lock_subscription(organisation: Organisation, subscription_id: int) -> Subscription:
    try:
        return (
            Subscription.objects.for_tenant(organisation)
            .select_for_update(of=("self",))
            .select_related("product")
            .get(pk=subscription_id)
        )
    except Subscription.DoesNotExist as exc:
        raise NotFound from exc


def _counts(subscription: Subscription) -> tuple[int, int]:
    """(owned, assigned) of a locked subscription."""
    licenses = License.objects.for_tenant(subscription.organisation).filter(subscription=subscription)
    owned = licenses.filter(is_overage=False).count()
    assigned = licenses.filter(assigned_at__isnull=False).count()
    return owned, assigned


def _record(subscription, *, kind, delta, owned_after, actor, license=None, assignee="", at=None) -> None:
    AssignmentEvent.objects.create(
        organisation_id=subscription.organisation_id,
        subscription=subscription,
        kind=kind,
        assigned_delta=delta,
        owned_after=owned_after,
        license_ref=license.pk if license else None,
        assignee=assignee[:300],
        actor=actor,
        at=at or timezone.now(),
    )


def _cost_center(organisation: Organisation, cost_center_id, field: str = "cost_center") -> CostCenter | None:
    if cost_center_id in (None, ""):
        return None
    found = CostCenter.objects.for_tenant(organisation).filter(pk=cost_center_id).first()
    if found is None:
        raise Invalid(
            _("This cost center does not exist in your organisation."),
            field_errors={field: [_("Choose one of your cost centers.")]},
        )
    return found


# --- cost centers -----------------------------------------------------------------------------


@transaction.atomic
def cost_center_save(
    *, tenant: TenantContext, code: str, name: str, parent_id=None, cost_center_id: int | None = None
) -> CostCenter:
    """Create a cost center, or rename/re-parent one; codes are unique in the organisation and a
    parent can't be the center itself or one of its descendants."""
    _require(tenant, Perm.MANAGE_LICENSING)
    organisation = tenant.organisation
    code, name = (code or "").strip(), (name or "").strip()
    errors = {}
    if not code:
        errors["code"] = [_("Give the cost center a code.")]
    if not name:
        errors["name"] = [_("Give the cost center a name.")]
    if errors:
        raise Invalid(_("The cost center needs a code and a name."), field_errors=errors)
    parent = _cost_center(organisation, parent_id, field="parent")
    if cost_center_id is None:
        cost_center = CostCenter(organisation=organisation)
    else:
        cost_center = (
            CostCenter.objects.for_tenant(organisation).select_for_update().filter(pk=cost_center_id).first()
        )
        if cost_center is None:
            raise NotFound
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == cost_center.pk:
                raise Invalid(
                    _("A cost center can't sit under itself or under one of its own sub-centers."),
                    field_errors={"parent": [_("Choose another parent.")]},
                )
            ancestor = ancestor.parent
    cost_center.code, cost_center.name, cost_center.parent = code, name, parent
    try:
        with transaction.atomic():
            cost_center.save()
    except IntegrityError as exc:
        raise Invalid(
            _("A cost center with the code %(code)s already exists.") % {"code": code},
            field_errors={"code": [_("Choose another code.")]},
        ) from exc
    return cost_center


@transaction.atomic
def licenses_move(*, tenant: TenantContext, license_ids: Sequence[int], cost_center_id) -> int:
    """Move licenses to another cost center (or to none); returns how many moved."""
    _require(tenant, Perm.MANAGE_LICENSING)
    cost_center = _cost_center(tenant.organisation, cost_center_id)
    licenses = License.objects.for_tenant(tenant.organisation).filter(pk__in=list(license_ids))
    if licenses.count() != len(set(license_ids)):
        raise Invalid(_("Some of these licenses are not yours, or no longer exist. Reload the list."))
    return licenses.update(cost_center=cost_center)


# --- assignments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignee:
    name: str = ""
    email: str = ""
    extension: str = ""

    def cleaned(self) -> "Assignee":
        assignee = Assignee(self.name.strip(), self.email.strip().lower(), self.extension.strip())
        if not (assignee.name or assignee.email or assignee.extension):
            raise Invalid(
                _("Say who gets the license: a name, an e-mail address or a phone extension."),
                field_errors={"name": [_("Give a name, an e-mail address or an extension.")]},
            )
        if assignee.email:
            try:
                validate_email(assignee.email)
            except ValidationError as exc:
                raise Invalid(
                    _("%(email)s is not an e-mail address.") % {"email": assignee.email},
                    field_errors={"email": [_("Enter a valid e-mail address.")]},
                ) from exc
        if len(assignee.name) > 200 or len(assignee.extension) > 20:
            raise Invalid(_("The name holds at most 200 characters and the extension 20."))
        return assignee

    def label(self) -> str:
        return " · ".join(part for part in (self.name, self.email, self.extension) if part)


def _assign_locked(
    subscription: Subscription, *, assignee: Assignee, actor, cost_center: CostCenter | None, license_id=None
) -> License:
    """Assign one license of a subscription the caller has locked."""
    organisation = subscription.organisation
    owned, assigned = _counts(subscription)
    licenses = License.objects.for_tenant(organisation).filter(subscription=subscription)
    if license_id is not None:
        license = licenses.filter(pk=license_id).first()
        if license is None:
            raise NotFound
        if license.is_assigned:
            raise Conflict(
                _("This license is already assigned to %(who)s.")
                % {"who": license.assignee_name or license.assignee_email},
                code="already_assigned",
            )
    else:
        license = licenses.filter(is_overage=False, assigned_at__isnull=True).order_by("pk").first()
    if license is None:
        if not subscription.product.allows_overallocation:
            raise Conflict(
                _(
                    "No free license of %(product)s is left (%(owned)s owned, all assigned), and its program "
                    "does not allow over-allocation. Buy more licenses or unassign one first."
                )
                % {"product": subscription.product.name, "owned": owned},
                code="no_free_license",
            )
        license = License(organisation=organisation, subscription=subscription, is_overage=True)
    now = timezone.now()
    license.assignee_name, license.assignee_email, license.assignee_extension = (
        assignee.name,
        assignee.email,
        assignee.extension,
    )
    license.assigned_at = now
    if cost_center is not None:
        license.cost_center = cost_center
    license.save()
    _record(
        subscription,
        kind=HistoryKind.ASSIGNED,
        delta=1,
        owned_after=owned,
        actor=actor,
        license=license,
        assignee=assignee.label(),
        at=now,
    )
    _alert_overallocation(subscription, owned=owned, before=assigned, after=assigned + 1)
    return license


def _alert_overallocation(subscription: Subscription, *, owned: int, before: int, after: int) -> None:
    """E-mail the MSP admins when a subscription's over-allocation passes the organisation's threshold."""
    threshold = selectors.licensing_settings(
        organisation=subscription.organisation
    ).overallocation_alert_units
    if threshold is None:
        return
    if max(before - owned, 0) <= threshold < max(after - owned, 0):
        organisation = subscription.organisation
        notify(
            organisation=organisation,
            recipients=users_with_roles(organisation=organisation, roles=[Role.MSP_ADMIN]),
            kind=notifications.OVERALLOCATED,
            params={"product": subscription.product.name, "excess": after - owned, "threshold": threshold},
            url="",
        )


@transaction.atomic
def license_assign(
    *,
    tenant: TenantContext,
    acting_user: User,
    subscription_id: int,
    assignee: Assignee,
    cost_center_id=None,
    license_id: int | None = None,
) -> License:
    """Assign a license (a given one, or the first free one) to a person. Without a free
    license, programs that allow over-allocation add an over-allocated seat; the others refuse
    (409). Concurrent requests for the last free license are served one after the other."""
    _require(tenant, Perm.MANAGE_LICENSING)
    assignee = assignee.cleaned()
    cost_center = _cost_center(tenant.organisation, cost_center_id)
    subscription = _lock_subscription(tenant.organisation, subscription_id)
    return _assign_locked(
        subscription, assignee=assignee, actor=acting_user, cost_center=cost_center, license_id=license_id
    )


@transaction.atomic
def license_unassign(*, tenant: TenantContext, acting_user: User, license_id: int) -> None:
    """Return a license to the pool (an over-allocated seat, never owned, goes away). The peak
    already reached stays in the history."""
    _require(tenant, Perm.MANAGE_LICENSING)
    found = (
        License.objects.for_tenant(tenant.organisation)
        .filter(pk=license_id)
        .values_list("subscription_id", flat=True)
        .first()
    )
    if found is None:
        already_left = (
            AssignmentEvent.objects.for_tenant(tenant.organisation)
            .filter(license_ref=license_id, kind=HistoryKind.UNASSIGNED)
            .exists()
        )
        if already_left:
            return  # an over-allocated seat unassigned a moment ago: a repeated click changes nothing
        raise NotFound
    subscription = _lock_subscription(tenant.organisation, found)
    license = License.objects.for_tenant(tenant.organisation).get(pk=license_id)
    if not license.is_assigned:
        return  # already free: a repeated click changes nothing
    owned, _assigned = _counts(subscription)
    label = Assignee(license.assignee_name, license.assignee_email, license.assignee_extension).label()
    license_ref = license.pk  # kept for the history: delete() below clears it
    if license.is_overage:
        license.delete()
    else:
        overage_seat = (
            License.objects.for_tenant(tenant.organisation)
            .filter(subscription=subscription, is_overage=True)
            .order_by("pk")
            .first()
        )
        if overage_seat is not None:
            # Someone holds an over-allocated seat: it takes the place of the owned license freed
            # here (same cost center and purchase), so "free" keeps meaning "can be assigned
            # without over-allocating", and each person keeps their own license.
            overage_seat.is_overage = False
            overage_seat.cost_center_id = license.cost_center_id
            overage_seat.purchase_id = license.purchase_id
            overage_seat.save(update_fields=["is_overage", "cost_center", "purchase"])
            license.delete()
        else:
            license.assignee_name = license.assignee_email = license.assignee_extension = ""
            license.assigned_at = None
            license.save(
                update_fields=["assignee_name", "assignee_email", "assignee_extension", "assigned_at"]
            )
    AssignmentEvent.objects.create(
        organisation_id=subscription.organisation_id,
        subscription=subscription,
        kind=HistoryKind.UNASSIGNED,
        assigned_delta=-1,
        owned_after=owned,
        license_ref=license_ref,
        assignee=label[:300],
        actor=acting_user,
        at=timezone.now(),
    )


@transaction.atomic
def licenses_remove(*, tenant: TenantContext, acting_user: User, subscription_id: int, quantity: int) -> int:
    """Remove ``quantity`` unassigned licenses (never an assigned one); refuses more than can be removed."""
    _require(tenant, Perm.MANAGE_LICENSING)
    subscription = _lock_subscription(tenant.organisation, subscription_id)
    free = License.objects.for_tenant(tenant.organisation).filter(
        subscription=subscription, is_overage=False, assigned_at__isnull=True
    )
    can_be_removed = free.count()
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or quantity < 1
        or quantity > can_be_removed
    ):
        raise Invalid(
            _(
                "You can remove from 1 to %(max)s licenses of %(product)s: only unassigned licenses can be removed."
            )
            % {"max": can_be_removed, "product": subscription.product.name},
            field_errors={"quantity": [_("At most %(max)s.") % {"max": can_be_removed}]},
        )
    ids = list(free.order_by("-pk").values_list("pk", flat=True)[:quantity])
    License.objects.for_tenant(tenant.organisation).filter(pk__in=ids).delete()
    owned, _assigned = _counts(subscription)
    _record(subscription, kind=HistoryKind.REMOVED, delta=0, owned_after=owned, actor=acting_user)
    return quantity


# --- purchases --------------------------------------------------------------------------------


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


@transaction.atomic
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
    key confirms once: a second call returns the first purchase (created=False)."""
    _require(tenant, Perm.MANAGE_LICENSING)
    organisation = tenant.organisation
    if not organisation.is_msp:
        raise NotAllowed(_("Only an MSP buys licenses."))
    # One purchase at a time per MSP: the request key is checked, and the next number taken,
    # under this lock, so a double click and two buyers at once are both handled cleanly.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    existing = Purchase.objects.for_tenant(organisation).filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    if not acknowledged:
        raise Invalid(
            _("Confirm that you accept the terms of the purchase."),
            field_errors={"acknowledged": [_("Tick the box to confirm.")]},
        )
    if not lines:
        raise Invalid(_("The cart is empty: add at least one product."))
    catalog = {
        p.pk: p
        for p in selectors.catalog_for(organisation=organisation).filter(
            pk__in=[request.product_id for request in lines]
        )
    }
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
    for line in sorted(
        lines, key=lambda request: request.product_id
    ):  # a fixed order of locks between requests
        product = catalog[line.product_id]
        subscription, _created = Subscription.objects.for_tenant(organisation).get_or_create(
            organisation=organisation, product=product, defaults={"term_start": now.date()}
        )
        subscription = _lock_subscription(organisation, subscription.pk)
        line_total = round_money(line.quantity * product.unit_price)
        total += line_total
        purchase_line = PurchaseLine.objects.create(
            organisation=organisation,
            purchase=purchase,
            product=product,
            quantity=line.quantity,
            unit_price=product.unit_price,
            total=line_total,
        )
        allocations = line.allocations or [(None, line.quantity)]
        overage = list(
            License.objects.for_tenant(organisation)
            .filter(subscription=subscription, is_overage=True)
            .order_by("pk")
        )
        new_licenses = []
        for cc_id, quantity in allocations:
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
        _record(
            subscription, kind=HistoryKind.PURCHASED, delta=0, owned_after=owned, actor=acting_user, at=now
        )
    purchase.total = total
    purchase.save(update_fields=["total"])
    return purchase, True


# --- catalog ------------------------------------------------------------------------------------


@transaction.atomic
def product_save(*, tenant: TenantContext, product_id: int | None = None, **fields) -> Product:
    """Create or change a product of the distributor's own catalog (distributor admins)."""
    if not (tenant.organisation.is_distributor and tenant.can(Perm.MANAGE_ACCOUNTS)):
        raise NotAllowed(_("Only the distributor's admins manage its catalog."))
    if product_id is None:
        product = Product(organisation=tenant.organisation)
    else:
        product = (
            Product.objects.for_tenant(tenant.organisation).select_for_update().filter(pk=product_id).first()
        )
        if product is None:
            raise NotFound
    new_currency = fields.get("currency", product.currency)
    if product.pk is not None and new_currency != product.currency:
        _check_currency_change(product, new_currency)
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean(exclude=["organisation"])
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:  # the same SKU saved by someone else a moment ago
        raise Invalid(
            _("This product and SKU are already in the catalog."),
            field_errors={"sku_code": [_("Choose another SKU id.")]},
        ) from exc
    return product


def _check_currency_change(product: Product, currency: str) -> None:
    """A product MSPs hold keeps its currency: their licenses, true-ups and reports are billed
    at its price in their own currency, which a new label would not convert (docs/currency.md)."""
    holders = Subscription.objects.for_served_msps_of(product.organisation).filter(product=product).count()
    if holders:
        message = ngettext(
            "%(product)s is held by %(count)s MSP billed in %(old)s: its currency cannot change to "
            "%(new)s. Add a new product priced in %(new)s instead.",
            "%(product)s is held by %(count)s MSPs billed in %(old)s: its currency cannot change to "
            "%(new)s. Add a new product priced in %(new)s instead.",
            holders,
        ) % {"product": product.name, "count": holders, "old": product.currency, "new": currency}
        raise CurrencyMismatch(message, field_errors={"currency": [message]})


@dataclass
class BulkAssignResult:
    applied: int
    errors: list  # of licensing.bulk.RowError; nothing was applied when not empty


def _subscription_of_row(held: list[Subscription], row) -> tuple[Subscription | None, tuple[str, str] | None]:
    """The subscription a CSV row names: by product id (and SKU when given), or by a SKU that
    only one of the MSP's products has. Returns (subscription, None) or (None, (column, problem))."""
    product, sku = row.product.lower(), row.sku.lower()
    matches = [
        sub
        for sub in held
        if (not product or sub.product.product_code.lower() == product)
        and (not sku or sub.product.sku_code.lower() == sku)
    ]
    if len(matches) == 1:
        return matches[0], None
    column = "product" if product else "sku"
    if not matches:
        wanted = " / ".join(part for part in (row.product, row.sku) if part)
        return None, (column, _("No subscription of yours is for %(product)s.") % {"product": wanted})
    return None, (
        "product",
        _("Several of your products have the SKU %(sku)s: add their product id in the product column.")
        % {"sku": row.sku},
    )


@transaction.atomic
def licenses_bulk_assign(*, tenant: TenantContext, acting_user: User, raw: bytes) -> BulkAssignResult:
    """Assign licenses from a CSV file, all rows or none: every row is checked (format, SKU,
    cost center, free licenses left where the program forbids over-allocation) and the first
    problem of the file stops it, with a report of each failing row."""
    from .bulk import RowError, parse_assignment_csv

    _require(tenant, Perm.MANAGE_LICENSING)
    organisation = tenant.organisation
    rows, errors = parse_assignment_csv(raw)
    held = list(Subscription.objects.for_tenant(organisation).select_related("product").order_by("pk"))
    cost_centers = {cc.code.lower(): cc for cc in CostCenter.objects.for_tenant(organisation)}
    wanted: dict[int, int] = {}
    row_subscription: dict[int, Subscription] = {}
    for row in rows:
        sub, problem = _subscription_of_row(held, row)
        if problem:
            errors.append(RowError(row.line, problem[0], problem[1]))
        else:
            row_subscription[row.line] = sub
        if row.cost_center and row.cost_center.lower() not in cost_centers:
            errors.append(
                RowError(
                    row.line,
                    "cost_center",
                    _("No cost center has the code %(code)s.") % {"code": row.cost_center},
                )
            )
        if sub is not None:
            wanted[sub.pk] = wanted.get(sub.pk, 0) + 1
    locked = {pk: _lock_subscription(organisation, pk) for pk in sorted(wanted)}
    for pk, count in wanted.items():
        sub = locked[pk]
        free = (
            License.objects.for_tenant(organisation)
            .filter(subscription=sub, is_overage=False, assigned_at__isnull=True)
            .count()
        )
        if count > free and not sub.product.allows_overallocation:
            over_rows = [
                row.line for row in rows if getattr(row_subscription.get(row.line), "pk", None) == pk
            ][free:]
            for line in over_rows:
                errors.append(
                    RowError(
                        line,
                        "sku",
                        _(
                            "No free license of %(product)s is left for this row (%(free)s free), and its program forbids over-allocation."
                        )
                        % {"product": sub.product.name, "free": free},
                    )
                )
    if errors:
        transaction.set_rollback(True)
        return BulkAssignResult(applied=0, errors=sorted(errors, key=lambda e: (e.line, e.column)))
    for row in rows:
        sub = locked[row_subscription[row.line].pk]
        _assign_locked(
            sub,
            assignee=Assignee(row.name, row.email, row.extension).cleaned(),
            actor=acting_user,
            cost_center=cost_centers.get(row.cost_center.lower()) if row.cost_center else None,
        )
    return BulkAssignResult(applied=len(rows), errors=[])
