"""Licensing as an MSP admin lives it (docs/licensing.md): buying and splitting licenses over cost
centers, assigning beyond what is owned, the true-up that remembers the peak, removing
licenses, and what another organisation or a read-only role can't do."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from licensing import selectors, services
from licensing.choices import HistoryKind, Program
from licensing.models import AssignmentEvent, CostCenter, License, Purchase, PurchaseAllocation, Subscription
from licensing.notifications import OVERALLOCATED
from msp_portal.errors import Conflict, DomainError, NotAllowed, NotFound
from msp_portal.exceptions import status_of as http_status_of
from msp_portal.notifications.models import Notification

from .conftest import acting, licenses_of, status_of, subscription_of


def purchase_lines(product_, quantity, allocations):
    return [
        services.PurchaseRequestLine(
            product_id=product_.pk,
            quantity=quantity,
            allocations=[(cc.pk if cc is not None else None, qty) for cc, qty in allocations],
        )
    ]


def confirm(side, lines, key="order-1", acknowledged=True, role="msp_admin"):
    tenant = acting(side, role)
    return services.purchase_confirm(
        tenant=tenant,
        acting_user=tenant.membership.user,
        lines=lines,
        acknowledged=acknowledged,
        idempotency_key=key,
    )


def history(side, subscription):
    return list(selectors.assignment_history(organisation=side.msp, subscription=subscription))


# --- purchase and cost centers ---------------------------------------------------------------


def test_ten_licenses_split_six_and_four_land_on_those_cost_centers(world, product, cost_center):
    item = product(world.a.distributor, price="12.50")
    sales, support = cost_center(world.a, "SALES"), cost_center(world.a, "SUPPORT")

    purchase, created = confirm(world.a, purchase_lines(item, 10, [(sales, 6), (support, 4)]))

    assert created
    licenses = licenses_of(world.a, subscription_of(world.a, item))
    assert licenses.count() == 10
    assert licenses.filter(cost_center=sales).count() == 6
    assert licenses.filter(cost_center=support).count() == 4
    assert not licenses.filter(assigned_at__isnull=False).exists()
    assert licenses.filter(purchase=purchase).count() == 10
    assert purchase.total == Decimal("125.00")
    allocations = PurchaseAllocation.objects.for_tenant(world.a.msp).filter(line__purchase=purchase)
    assert sorted((a.cost_center.code, a.quantity) for a in allocations) == [("SALES", 6), ("SUPPORT", 4)]


def test_assign_to_all_puts_every_license_of_the_line_on_one_cost_center(world, product, cost_center):
    item = product(world.a.distributor)
    finance = cost_center(world.a, "FIN")

    confirm(world.a, purchase_lines(item, 7, [(finance, 7)]))

    licenses = licenses_of(world.a, subscription_of(world.a, item))
    assert licenses.count() == 7
    assert set(licenses.values_list("cost_center__code", flat=True)) == {"FIN"}


@pytest.mark.parametrize(
    "allocation",
    [
        pytest.param([6, 3], id="short-of-the-quantity"),
        pytest.param([6, 5], id="beyond-the-quantity"),
        pytest.param([12, -2], id="a-negative-share"),
        pytest.param([10, 0], id="a-zero-share"),
    ],
)
def test_allocations_that_do_not_add_up_name_the_line_and_create_nothing(
    world, product, cost_center, allocation
):
    good = product(world.a.distributor, name="Good Product")
    item = product(world.a.distributor, name="Split Product")
    sales, support = cost_center(world.a, "SALES"), cost_center(world.a, "SUPPORT")
    lines = [
        services.PurchaseRequestLine(product_id=good.pk, quantity=2, allocations=[]),
        purchase_lines(item, 10, [(sales, allocation[0]), (support, allocation[1])])[0],
    ]

    with pytest.raises(DomainError) as refused:
        confirm(world.a, lines)

    assert list(refused.value.field_errors) == ["lines.2.allocations"], refused.value.field_errors
    assert "Line 2" in refused.value.message and "Split Product" in refused.value.message
    assert not Purchase.objects.for_tenant(world.a.msp).exists()
    assert not License.objects.for_tenant(world.a.msp).exists()
    assert not Subscription.objects.for_tenant(world.a.msp).exists()


def test_a_purchase_must_acknowledge_the_terms_and_hold_a_product(world, product):
    item = product(world.a.distributor)

    with pytest.raises(DomainError) as unticked:
        confirm(world.a, purchase_lines(item, 1, []), acknowledged=False)
    with pytest.raises(DomainError):
        confirm(world.a, [], key="empty")

    assert "acknowledged" in unticked.value.field_errors
    assert not Purchase.objects.for_tenant(world.a.msp).exists()


def test_the_same_request_key_confirms_once(world, product):
    item = product(world.a.distributor)

    first, created = confirm(world.a, purchase_lines(item, 3, []), key="cart-42")
    again, created_again = confirm(world.a, purchase_lines(item, 3, []), key="cart-42")

    assert created and not created_again
    assert again.pk == first.pk
    assert Purchase.objects.for_tenant(world.a.msp).count() == 1
    assert licenses_of(world.a, subscription_of(world.a, item)).count() == 3
    # Another organisation's request key is its own.
    other_item = product(world.b.distributor)
    theirs, created_theirs = confirm(world.b, purchase_lines(other_item, 1, []), key="cart-42")
    assert created_theirs and theirs.pk != first.pk


def test_an_msp_cannot_buy_from_another_distributors_catalog(world, product):
    foreign = product(world.b.distributor)

    with pytest.raises(DomainError) as refused:
        confirm(world.a, purchase_lines(foreign, 2, []))

    assert list(refused.value.field_errors) == ["lines.1.product"]
    assert not License.objects.for_tenant(world.a.msp).exists()


def test_a_purchase_cannot_charge_another_organisations_cost_center(world, product, cost_center):
    item = product(world.a.distributor)
    theirs = cost_center(world.b, "THEIRS")

    with pytest.raises(DomainError):
        confirm(world.a, purchase_lines(item, 2, [(theirs, 2)]))

    assert not Purchase.objects.for_tenant(world.a.msp).exists()
    assert not License.objects.for_tenant(world.a.msp).exists()


def test_a_duplicate_cost_center_code_is_refused_on_the_code_field(world, cost_center):
    cost_center(world.a, "OPS")

    with pytest.raises(DomainError) as refused:
        cost_center(world.a, "OPS", "Operations again")

    assert "code" in refused.value.field_errors
    assert CostCenter.objects.for_tenant(world.a.msp).filter(code="OPS").count() == 1
    # The other organisation may use the same code.
    assert cost_center(world.b, "OPS").organisation == world.b.msp


def test_a_cost_center_cannot_sit_under_itself_or_its_descendants(world, cost_center):
    tenant = acting(world.a)
    top = cost_center(world.a, "TOP")
    middle = cost_center(world.a, "MID", parent=top)
    leaf = cost_center(world.a, "LEAF", parent=middle)

    for new_parent in (top, leaf):
        with pytest.raises(DomainError) as refused:
            services.cost_center_save(
                tenant=tenant, cost_center_id=top.pk, code="TOP", name="Top", parent_id=new_parent.pk
            )
        assert "parent" in refused.value.field_errors

    top.refresh_from_db()
    assert top.parent_id is None
    # A legal move still works.
    moved = services.cost_center_save(
        tenant=tenant, cost_center_id=leaf.pk, code="LEAF", name="Leaf", parent_id=top.pk
    )
    assert moved.parent_id == top.pk


def test_another_organisations_cost_center_is_refused_as_parent_and_for_a_move(
    world, product, buy, cost_center
):
    tenant = acting(world.a)
    theirs = cost_center(world.b, "THEIRS")
    item = product(world.a.distributor)
    buy(world.a, item, 2)
    ids = list(licenses_of(world.a, subscription_of(world.a, item)).values_list("pk", flat=True))

    with pytest.raises(DomainError):
        services.cost_center_save(tenant=tenant, code="MINE", name="Mine", parent_id=theirs.pk)
    with pytest.raises(DomainError):
        services.licenses_move(tenant=tenant, license_ids=ids, cost_center_id=theirs.pk)

    assert not CostCenter.objects.for_tenant(world.a.msp).filter(code="MINE").exists()
    assert not licenses_of(world.a, subscription_of(world.a, item)).filter(cost_center__isnull=False).exists()


def test_the_cost_center_of_licenses_can_be_changed_later(world, product, buy, cost_center):
    item = product(world.a.distributor)
    old, new = cost_center(world.a, "OLD"), cost_center(world.a, "NEW")
    buy(world.a, item, 3, allocations=[(old, 3)])
    licenses = licenses_of(world.a, subscription_of(world.a, item))
    two = list(licenses.order_by("pk").values_list("pk", flat=True)[:2])

    moved = services.licenses_move(tenant=acting(world.a), license_ids=two, cost_center_id=new.pk)

    assert moved == 2
    assert licenses.filter(cost_center=new).count() == 2 and licenses.filter(cost_center=old).count() == 1


# --- assignment and over-allocation -------------------------------------------------------------


def test_assigning_beyond_owned_in_a_true_up_program_adds_an_over_allocated_seat(world, product, buy, assign):
    item = product(world.a.distributor, program=Program.TRUE_UP, price="12.3450")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)

    for person in ("Ann", "Bob"):
        assert not assign(world.a, subscription, person).is_overage
    extra = assign(world.a, subscription, "Cid")

    assert extra.is_overage and extra.is_assigned
    status = status_of(world.a, subscription)
    assert (status.owned, status.assigned, status.free, status.excess) == (2, 3, 0, 1)
    assert status.true_up_units == 1
    # 1 × 12.3450 rounded half up to the cent.
    assert status.true_up_amount == Decimal("12.35")
    assert status.peak_year.units == 3 and status.peak_term.units == 3
    assert selectors.overallocation_count(selectors.subscription_statuses(organisation=world.a.msp)) == 1


def test_the_true_up_keeps_the_peak_after_unassigning(world, product, buy, assign, unassign):
    item = product(world.a.distributor, program=Program.TRUE_UP, price="19.99")
    buy(world.a, item, 3)
    subscription = subscription_of(world.a, item)
    seats = [assign(world.a, subscription, f"Person {n}") for n in range(6)]

    for seat in seats[3:]:
        unassign(world.a, seat)

    status = status_of(world.a, subscription)
    assert (status.owned, status.assigned, status.excess) == (3, 3, 0)
    assert status.peak_year.units == 6
    assert status.true_up_units == 3
    assert status.true_up_amount == Decimal("59.97")
    # The over-allocated seats went away instead of returning to the pool.
    assert licenses_of(world.a, subscription).count() == 3


def test_the_true_up_is_zero_when_the_peak_never_passed_owned(world, product, buy, assign):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 4)
    subscription = subscription_of(world.a, item)
    for n in range(4):
        assign(world.a, subscription, f"Person {n}")

    status = status_of(world.a, subscription)
    assert (status.excess, status.true_up_units, status.true_up_amount) == (0, 0, Decimal("0.00"))
    assert status.near_capacity and status.percent == 100


def test_buying_more_turns_over_allocated_seats_into_owned_licenses_first(
    world, product, buy, assign, cost_center
):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    seats = [assign(world.a, subscription, name) for name in ("Ann", "Bob", "Cid")]
    assert [seat.is_overage for seat in seats] == [False, True, True]
    it = cost_center(world.a, "IT")

    buy(world.a, item, 3, allocations=[(it, 3)])

    licenses = licenses_of(world.a, subscription)
    assert licenses.count() == 4, "2 over-allocated seats became owned and 1 new license was added"
    assert not licenses.filter(is_overage=True).exists()
    for seat in seats[1:]:
        seat.refresh_from_db()
        assert seat.is_assigned and not seat.is_overage and seat.cost_center == it
    status = status_of(world.a, subscription)
    assert (status.owned, status.assigned, status.free, status.excess) == (4, 3, 1, 0)
    assert status.true_up_units == 0
    assert history(world.a, subscription)[-1].kind == HistoryKind.PURCHASED
    assert history(world.a, subscription)[-1].owned_after == 4


def test_a_program_that_forbids_over_allocation_refuses_the_extra_assignment(world, product, buy, assign):
    item = product(world.a.distributor, program=Program.NO_OVERALLOCATION)
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    assign(world.a, subscription, "Bob")
    events_before = len(history(world.a, subscription))

    with pytest.raises(Conflict) as refused:
        assign(world.a, subscription, "Cid")

    assert refused.value.code == "no_free_license"
    assert http_status_of(refused.value) == 409
    licenses = licenses_of(world.a, subscription)
    assert licenses.count() == 2 and licenses.filter(assigned_at__isnull=False).count() == 2
    assert not licenses.filter(is_overage=True).exists()
    assert not licenses.filter(assignee_name="Cid").exists()
    assert len(history(world.a, subscription)) == events_before
    status = status_of(world.a, subscription)
    assert (status.excess, status.true_up_units) == (0, 0)


def test_assigning_a_given_license_that_is_taken_is_a_conflict(world, product, buy, assign):
    item = product(world.a.distributor)
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    taken = assign(world.a, subscription, "Ann")
    tenant = acting(world.a)

    with pytest.raises(Conflict) as refused:
        services.license_assign(
            tenant=tenant,
            acting_user=tenant.membership.user,
            subscription_id=subscription.pk,
            assignee=services.Assignee(name="Bob"),
            license_id=taken.pk,
        )

    assert refused.value.code == "already_assigned"
    taken.refresh_from_db()
    assert taken.assignee_name == "Ann"


@pytest.mark.parametrize(
    "assignee, field",
    [
        pytest.param(services.Assignee(), "name", id="nobody"),
        pytest.param(services.Assignee(name="  ", email=" ", extension=" "), "name", id="blanks"),
        pytest.param(services.Assignee(name="Ann", email="ann@"), "email", id="bad-email"),
    ],
)
def test_an_assignment_says_who_gets_the_license(world, product, buy, assignee, field):
    item = product(world.a.distributor)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    tenant = acting(world.a)

    with pytest.raises(DomainError) as refused:
        services.license_assign(
            tenant=tenant,
            acting_user=tenant.membership.user,
            subscription_id=subscription.pk,
            assignee=assignee,
        )

    assert field in refused.value.field_errors
    assert not licenses_of(world.a, subscription).filter(assigned_at__isnull=False).exists()


def test_an_assignment_by_extension_only_is_accepted(world, product, buy):
    item = product(world.a.distributor)
    buy(world.a, item, 1)
    tenant = acting(world.a)

    seat = services.license_assign(
        tenant=tenant,
        acting_user=tenant.membership.user,
        subscription_id=subscription_of(world.a, item).pk,
        assignee=services.Assignee(extension=" 4021 "),
    )

    assert seat.assignee_extension == "4021" and seat.is_assigned


def test_unassigning_returns_the_license_to_the_pool_and_twice_changes_nothing(
    world, product, buy, assign, unassign
):
    item = product(world.a.distributor)
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    seat = assign(world.a, subscription, "Ann")

    unassign(world.a, seat)
    events = len(history(world.a, subscription))
    unassign(world.a, seat)

    seat.refresh_from_db()
    assert not seat.is_assigned and seat.assignee_name == seat.assignee_email == ""
    assert len(history(world.a, subscription)) == events
    status = status_of(world.a, subscription)
    assert (status.owned, status.assigned, status.free) == (2, 0, 2)
    assert status.peak_year.units == 1
    # The returned license is the next one given out.
    assert assign(world.a, subscription, "Bob").pk == seat.pk


def test_a_free_license_shown_can_be_assigned_without_over_allocating(world, product, buy, assign, unassign):
    """Own 2, assign 3 (one over-allocated seat), then unassign an owned seat: 2 people hold 2
    licenses that are owned, so nothing is free and nothing is over-allocated."""
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    ann, _bob, cid = (assign(world.a, subscription, name) for name in ("Ann", "Bob", "Cid"))
    assert cid.is_overage

    unassign(world.a, ann)

    status = status_of(world.a, subscription)
    assert (status.owned, status.assigned, status.excess) == (2, 2, 0)
    assert status.free == status.owned - status.assigned, (
        f"the licenses page shows {status.free} free license(s) and {status.can_be_removed} that can be "
        f"removed while all {status.owned} owned licenses are taken by {status.assigned} people: the "
        "over-allocated seat kept is_overage=True although an owned license was returned to the pool"
    )


# --- removal -----------------------------------------------------------------------------------


def test_only_unassigned_licenses_are_removed_and_the_owned_count_is_recorded(world, product, buy, assign):
    item = product(world.a.distributor, program=Program.NO_OVERALLOCATION)
    buy(world.a, item, 5)
    subscription = subscription_of(world.a, item)
    holders = [assign(world.a, subscription, name) for name in ("Ann", "Bob")]
    tenant = acting(world.a)
    assert status_of(world.a, subscription).can_be_removed == 3

    removed = services.licenses_remove(
        tenant=tenant, acting_user=tenant.membership.user, subscription_id=subscription.pk, quantity=3
    )

    assert removed == 3
    licenses = licenses_of(world.a, subscription)
    assert licenses.count() == 2
    assert set(licenses.values_list("pk", flat=True)) == {h.pk for h in holders}
    last = history(world.a, subscription)[-1]
    assert (last.kind, last.assigned_delta, last.owned_after) == (HistoryKind.REMOVED, 0, 2)
    status = status_of(world.a, subscription)
    assert (status.owned, status.assigned, status.can_be_removed) == (2, 2, 0)


@pytest.mark.parametrize("quantity", [0, -1, 4, True, "2"])
def test_removal_refuses_a_quantity_out_of_range_and_removes_nothing(world, product, buy, assign, quantity):
    item = product(world.a.distributor)
    buy(world.a, item, 5)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    assign(world.a, subscription, "Bob")  # 3 can be removed
    tenant = acting(world.a)
    events = len(history(world.a, subscription))

    with pytest.raises(DomainError) as refused:
        services.licenses_remove(
            tenant=tenant,
            acting_user=tenant.membership.user,
            subscription_id=subscription.pk,
            quantity=quantity,
        )

    assert "quantity" in refused.value.field_errors
    assert "3" in refused.value.message
    assert licenses_of(world.a, subscription).count() == 5
    assert len(history(world.a, subscription)) == events


def test_nothing_can_be_removed_when_every_license_is_assigned(world, product, buy, assign):
    item = product(world.a.distributor)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    tenant = acting(world.a)

    with pytest.raises(DomainError):
        services.licenses_remove(
            tenant=tenant, acting_user=tenant.membership.user, subscription_id=subscription.pk, quantity=1
        )

    assert licenses_of(world.a, subscription).filter(assigned_at__isnull=False).count() == 1


# --- tenancy and roles ---------------------------------------------------------------------------


def test_another_organisation_cannot_touch_the_subscription(world, product, buy, assign):
    item = product(world.a.distributor)
    buy(world.a, item, 3)
    subscription = subscription_of(world.a, item)
    seat = assign(world.a, subscription, "Ann")
    outsider = acting(world.b)
    user = outsider.membership.user

    with pytest.raises(NotFound):
        services.license_assign(
            tenant=outsider,
            acting_user=user,
            subscription_id=subscription.pk,
            assignee=services.Assignee(name="X"),
        )
    with pytest.raises(NotFound):
        services.license_unassign(tenant=outsider, acting_user=user, license_id=seat.pk)
    with pytest.raises(NotFound):
        services.licenses_remove(
            tenant=outsider, acting_user=user, subscription_id=subscription.pk, quantity=1
        )
    with pytest.raises(DomainError):
        services.licenses_move(tenant=outsider, license_ids=[seat.pk], cost_center_id=None)

    seat.refresh_from_db()
    assert seat.is_assigned and seat.assignee_name == "Ann"
    assert licenses_of(world.a, subscription).count() == 3
    assert not License.objects.for_tenant(world.b.msp).exists()
    assert selectors.subscription_statuses(organisation=world.b.msp) == []


@pytest.mark.parametrize("role", ["msp_viewer", "msp_billing"])
def test_a_role_without_licensing_rights_is_forbidden(world, product, buy, assign, role):
    item = product(world.a.distributor)
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    seat = assign(world.a, subscription, "Ann")
    tenant = acting(world.a, role)
    user = tenant.membership.user
    attempts = [
        lambda: services.license_assign(
            tenant=tenant,
            acting_user=user,
            subscription_id=subscription.pk,
            assignee=services.Assignee(name="X"),
        ),
        lambda: services.license_unassign(tenant=tenant, acting_user=user, license_id=seat.pk),
        lambda: services.licenses_remove(
            tenant=tenant, acting_user=user, subscription_id=subscription.pk, quantity=1
        ),
        lambda: services.cost_center_save(tenant=tenant, code="X", name="X"),
        lambda: services.licenses_move(tenant=tenant, license_ids=[seat.pk], cost_center_id=None),
        lambda: services.purchase_confirm(
            tenant=tenant,
            acting_user=user,
            lines=purchase_lines(item, 1, []),
            acknowledged=True,
            idempotency_key="v",
        ),
        lambda: services.licenses_bulk_assign(
            tenant=tenant, acting_user=user, raw=f"sku,name\n{item.sku_code},X\n".encode()
        ),
    ]

    for attempt in attempts:
        with pytest.raises(NotAllowed):
            attempt()

    seat.refresh_from_db()
    assert seat.is_assigned
    assert licenses_of(world.a, subscription).count() == 2
    assert Purchase.objects.for_tenant(world.a.msp).count() == 1
    assert not CostCenter.objects.for_tenant(world.a.msp).exists()


# --- history, alert, export ----------------------------------------------------------------------


def test_the_assignment_history_is_append_only(world, product, buy, assign):
    item = product(world.a.distributor)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    event = AssignmentEvent.objects.for_tenant(world.a.msp).get(
        subscription=subscription, kind=HistoryKind.ASSIGNED
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        AssignmentEvent.objects.for_tenant(world.a.msp).filter(pk=event.pk).update(assigned_delta=-1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AssignmentEvent.objects.for_tenant(world.a.msp).filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()

    stored = AssignmentEvent.objects.for_tenant(world.a.msp).get(pk=event.pk)
    assert (stored.kind, stored.assigned_delta, stored.at) == (HistoryKind.ASSIGNED, 1, event.at)


def test_the_over_allocation_alert_is_sent_once_when_the_excess_passes_the_threshold(
    world, product, buy, assign
):
    from licensing.models import LicensingSettings

    LicensingSettings.objects.create(organisation=world.a.msp, overallocation_alert_units=1)
    item = product(world.a.distributor, program=Program.TRUE_UP, name="Teams Phone")
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)

    def alerts():
        return Notification.objects.for_tenant(world.a.msp).filter(kind=OVERALLOCATED)

    assign(world.a, subscription, "Ann")  # owned
    assign(world.a, subscription, "Bob")  # excess 1: at the threshold, not beyond
    assert not alerts().exists()

    assign(world.a, subscription, "Cid")  # excess 2
    assert alerts().count() == 1
    alert = alerts().get()
    assert alert.recipient == world.a.users["msp_admin"]
    assert alert.params["excess"] == 2 and alert.params["product"] == "Teams Phone"

    assign(world.a, subscription, "Dan")  # excess 3: still over, no second e-mail
    assert alerts().count() == 1
    assert (
        not Notification.objects.for_tenant(world.a.msp)
        .exclude(recipient=world.a.users["msp_admin"])
        .exists()
    )


def test_no_alert_without_a_threshold(world, product, buy, assign):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    for n in range(4):
        assign(world.a, subscription, f"Person {n}")

    assert not Notification.objects.for_tenant(world.a.msp).filter(kind=OVERALLOCATED).exists()


def test_the_history_export_lists_each_new_maximum_with_the_owned_count_of_that_day(
    world, product, buy, assign, unassign
):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    ann, _bob, _cid = (
        assign(world.a, subscription, name) for name in ("Ann", "Bob", "Cid")
    )  # 3 with 2 owned
    buy(world.a, item, 2)  # owned 4
    unassign(world.a, ann)  # 2 assigned
    assign(world.a, subscription, "Dan")  # 3: not a new maximum
    assign(world.a, subscription, "Eve")  # 4: a new maximum, 4 owned

    rows = selectors.new_maximum_rows(organisation=world.a.msp, subscription=subscription)

    assert [(assigned, owned) for _at, assigned, owned in rows] == [(1, 2), (2, 2), (3, 2), (4, 4)]
    moments = [at for at, _a, _o in rows]
    assert moments == sorted(moments)
    assigned_events = [e for e in history(world.a, subscription) if e.kind == HistoryKind.ASSIGNED]
    assert moments[-1] == assigned_events[-1].at


def test_full_term_and_past_year_peaks_differ_once_the_maximum_is_over_a_year_old(
    world, product, buy, assign, unassign
):
    item = product(world.a.distributor, program=Program.TRUE_UP, price="10.00")
    buy(world.a, item, 3)
    subscription = subscription_of(world.a, item)
    seats = [assign(world.a, subscription, f"Person {n}") for n in range(5)]
    for seat in seats[2:]:
        unassign(world.a, seat)

    today = status_of(world.a, subscription)
    later = status_of(world.a, subscription, now=seats[-1].assigned_at + dt.timedelta(days=400))

    assert (today.peak_year.units, today.peak_term.units, today.assigned) == (5, 5, 2)
    assert today.true_up_units == 2 and today.true_up_amount == Decimal("20.00")
    assert today.peak_year.first_reached == seats[-1].assigned_at
    assert later.peak_term.units == 5 and later.peak_term.first_reached == seats[-1].assigned_at
    assert later.peak_year.units == 2, "a year later the past-year peak is the count carried in"
    assert later.true_up_units == 0


def test_the_true_up_date_is_the_next_anniversary_of_the_term(world, product, buy):
    item = product(world.a.distributor)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    Subscription.objects.for_tenant(world.a.msp).filter(pk=subscription.pk).update(
        term_start=dt.date(2023, 5, 10)
    )

    status = status_of(world.a, subscription, now=dt.datetime(2026, 5, 9, 12, tzinfo=dt.UTC))

    assert status.true_up_date == dt.date(2026, 5, 10)


def test_unassigning_an_over_allocated_seat_records_which_license_left(world, product, buy, assign, unassign):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    seat = assign(world.a, subscription, "Bob")
    seat_id = seat.pk
    assert seat.is_overage

    unassign(world.a, seat)

    assert not licenses_of(world.a, subscription).filter(pk=seat_id).exists()
    event = history(world.a, subscription)[-1]
    assert (event.kind, event.assigned_delta) == (HistoryKind.UNASSIGNED, -1)
    assert event.license_ref == seat_id, (
        f"the history row of Bob's unassignment names license {event.license_ref} instead of {seat_id}: "
        "the over-allocated seat is deleted before the row is written, and delete() clears its id"
    )


def test_a_usage_based_product_cannot_be_bought_as_licenses(world, product):
    from licensing.choices import BillingType

    usage = product(world.a.distributor, billing_type=BillingType.USAGE, name="Backup GB")

    with pytest.raises(DomainError) as refused:
        confirm(world.a, purchase_lines(usage, 5, []))

    assert list(refused.value.field_errors) == ["lines.1.product"] and "Backup GB" in refused.value.message
    assert not Purchase.objects.for_tenant(world.a.msp).exists()


def test_a_purchase_never_adds_up_prices_of_different_currencies(world, product):
    euros = product(world.a.distributor, price="10.00")
    dollars = product(world.a.distributor, price="10.00")
    dollars.currency = "USD"
    dollars.save(update_fields=["currency"])
    lines = [
        services.PurchaseRequestLine(product_id=euros.pk, quantity=1),
        services.PurchaseRequestLine(product_id=dollars.pk, quantity=1),
    ]

    try:
        purchase, _created = confirm(world.a, lines)
    except DomainError:
        assert not Purchase.objects.for_tenant(world.a.msp).exists()
        return
    from licensing.models import PurchaseLine

    lines_bought = (
        PurchaseLine.objects.for_tenant(world.a.msp).filter(purchase=purchase).select_related("product")
    )
    currencies = {line.product.currency for line in lines_bought}
    assert currencies == {purchase.currency}, (
        f"purchase {purchase.number} totals {purchase.total} {purchase.currency} for a 10.00 EUR and a "
        "10.00 USD license: a cart mixing currencies must be refused (or split), not summed"
    )


def test_the_demo_licensing_objects_are_built_once_and_show_in_the_status(world):
    from licensing.demo_fixtures import licensing_objects

    objects = licensing_objects(world.a.msp)
    again = licensing_objects(world.a.msp)

    assert {k: v.pk for k, v in again.items()} == {k: v.pk for k, v in objects.items()}
    statuses = selectors.subscription_statuses(organisation=world.a.msp)
    assert [(s.owned, s.assigned, s.free, s.peak_year.units) for s in statuses] == [(2, 1, 1, 1)]
    assert licensing_objects(world.a.distributor)["product"] == objects["product"]
    assert objects["license"].cost_center == objects["cost_center"]
