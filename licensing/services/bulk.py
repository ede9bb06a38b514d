"""Assigning licenses from a CSV file, all rows or none."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import User
from msp_portal.tenancy.resolve import TenantContext

from .. import selectors
from ..models import (
    CostCenter,
    License,
    Subscription,
)
from ._common import _lock_subscription, _require
from .assignments import Assignee, _assign_locked


@dataclass
class BulkAssignResult:
    applied: int
    errors: list  # of licensing.bulk.RowError; nothing was applied when not empty


def _subscription_of_row(held: list[Subscription], row) -> tuple[Subscription | None, tuple[str, str] | None]:
    """The subscription a CSV row names: by product (its id or its name; and SKU when given),
    or by a SKU that only one of the MSP's products has. Returns (subscription, None) or
    (None, (column, problem)); a SKU that several products share is refused naming their ids,
    never guessed."""
    product, sku = row.product.strip().lower(), row.sku.strip().lower()
    matches = [
        sub
        for sub in held
        if (not product or product in (sub.product.product_code.lower(), sub.product.name.lower()))
        and (not sku or sub.product.sku_code.lower() == sku)
    ]
    if len(matches) == 1:
        return matches[0], None
    column = "product" if product else "sku"
    if not matches:
        wanted = " / ".join(part for part in (row.product, row.sku) if part)
        return None, (column, _("No subscription of yours is for %(product)s.") % {"product": wanted})
    candidates = ", ".join(f"{sub.product.product_code} ({sub.product.name})" for sub in matches)
    return None, (
        "product",
        _(
            "Several of your products have the SKU %(sku)s: put one of their product ids in the product column: %(ids)s."
        )
        % {"sku": row.sku, "ids": candidates},
    )


@transaction.atomic
def licenses_bulk_assign(*, tenant: TenantContext, acting_user: User, raw: bytes) -> BulkAssignResult:
    """Assign licenses from a CSV file, all rows or none: every row is checked (format, SKU,
    cost center, free licenses left where the program forbids over-allocation) and the first
    problem of the file stops it, with a report of each failing row."""
    from ..bulk import RowError, parse_assignment_csv

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
    errors += _over_allocation_errors(organisation, rows, row_subscription, wanted, locked)
    errors += _second_seat_errors(organisation, rows, row_subscription)
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


def _second_seat_errors(organisation, rows, row_subscription) -> list:
    """A RowError for each row giving a person a second license of one subscription (already
    held, or twice in the file), unless the MSP allows several (the rule of _assign_locked,
    told per row before anything is assigned)."""
    from ..bulk import RowError

    if selectors.licensing_settings(organisation=organisation).several_seats_per_person:
        return []
    named = [(row, row_subscription[row.line]) for row in rows if row.email and row.line in row_subscription]
    held = set(
        License.objects.for_tenant(organisation)
        .filter(subscription__in={sub.pk for _row, sub in named}, assigned_at__isnull=False)
        .exclude(assignee_email="")
        .values_list("subscription_id", Lower("assignee_email"))
    )
    errors, seen = [], set()
    for row, sub in named:
        key = (sub.pk, row.email.strip().lower())
        if key in held or key in seen:
            errors.append(
                RowError(
                    row.line,
                    "email",
                    _("%(email)s already holds a license of %(product)s: one per person.")
                    % {"email": row.email.strip(), "product": sub.product.name},
                )
            )
        seen.add(key)
    return errors


def _over_allocation_errors(organisation, rows, row_subscription, wanted, locked) -> list:
    """A RowError for each row beyond the free licenses of a locked subscription whose program
    forbids over-allocation."""
    from ..bulk import RowError

    errors = []
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
    return errors
