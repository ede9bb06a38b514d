"""Two people acting at the same moment, each on a real database connection of its own: the
last free license goes to one of them only, and a purchase confirmed twice at once is bought
once.

To make the two requests really meet, the test holds the subscription's row lock while both
threads start together (threading.Barrier), waits until both are blocked inside the database,
then lets go."""

import threading
import time

import pytest
from django.db import connection, transaction

from licensing import services
from licensing.choices import HistoryKind, Program
from licensing.models import AssignmentEvent, Purchase, Subscription
from msp_portal.errors import Conflict
from tests.factories import MembershipFactory, UserFactory

from .conftest import acting, licenses_of, subscription_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_admins(world):
    second = UserFactory(email="second.admin@a.example")
    MembershipFactory(organisation=world.a.msp, user=second, role="msp_admin")
    return [world.a.users["msp_admin"], second]


def _blocked_in_the_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def at_once(subscription: Subscription, calls) -> list:
    """Run each call in its own thread and connection while this connection holds the
    subscription's row lock; release it once both calls wait in the database (or one ended).
    Returns what each call returned or raised."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    with transaction.atomic():
        Subscription.objects.for_tenant(subscription.organisation).select_for_update().get(pk=subscription.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and all(t.is_alive() for t in threads):
            if _blocked_in_the_database() >= len(calls):
                break
            time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a request never finished: a deadlock?"
    return results


def assign_call(user, side, subscription, name):
    def call():
        tenant = acting(side)
        return services.license_assign(
            tenant=tenant,
            acting_user=user,
            subscription_id=subscription.pk,
            assignee=services.Assignee(name=name),
        )

    return call


def test_the_last_free_license_goes_to_one_of_two_simultaneous_requests(
    world, two_admins, product, buy, assign
):
    item = product(world.a.distributor, program=Program.NO_OVERALLOCATION)
    buy(world.a, item, 3)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    assign(world.a, subscription, "Bob")  # 1 free left

    results = at_once(
        subscription,
        [
            assign_call(user, world.a, subscription, name)
            for user, name in zip(two_admins, ("Cid", "Dan"), strict=True)
        ],
    )

    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict) and lost[0].code == "no_free_license", repr(lost[0])
    licenses = licenses_of(world.a, subscription)
    assert licenses.count() == 3
    assert licenses.filter(assigned_at__isnull=False).count() == 3
    assert not licenses.filter(is_overage=True).exists()
    assert licenses.filter(assignee_name__in=["Cid", "Dan"]).get().pk == won[0].pk
    events = AssignmentEvent.objects.for_tenant(world.a.msp).filter(subscription=subscription)
    assert events.filter(kind=HistoryKind.ASSIGNED).count() == 3, "Ann, Bob and exactly one of Cid and Dan"
    assert events.filter(kind=HistoryKind.ASSIGNED, assignee__in=["Cid", "Dan"]).count() == 1


def test_in_a_true_up_program_both_get_a_license_and_one_is_over_allocated(
    world, two_admins, product, buy, assign
):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")  # 1 free left

    results = at_once(
        subscription,
        [
            assign_call(user, world.a, subscription, name)
            for user, name in zip(two_admins, ("Cid", "Dan"), strict=True)
        ],
    )

    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.is_overage for r in results) == [False, True]
    licenses = licenses_of(world.a, subscription)
    assert licenses.filter(assigned_at__isnull=False).count() == 3
    assert licenses.filter(is_overage=False).count() == 2
    events = AssignmentEvent.objects.for_tenant(world.a.msp).filter(
        subscription=subscription, kind=HistoryKind.ASSIGNED
    )
    assert sorted(events.values_list("owned_after", flat=True)) == [2, 2, 2]


def purchase_call(user, side, product_, quantity, key):
    def call():
        tenant = acting(side)
        return services.purchase_confirm(
            tenant=tenant,
            acting_user=user,
            lines=[services.PurchaseRequestLine(product_id=product_.pk, quantity=quantity)],
            acknowledged=True,
            idempotency_key=key,
        )

    return call


def test_a_purchase_confirmed_twice_at_once_with_the_same_key_is_bought_once(world, two_admins, product, buy):
    item = product(world.a.distributor)
    buy(world.a, item, 1, key="earlier-order")
    subscription = subscription_of(world.a, item)

    results = at_once(
        subscription,
        [purchase_call(user, world.a, item, 5, "double-click") for user in two_admins],
    )

    purchases = Purchase.objects.for_tenant(world.a.msp).filter(idempotency_key="double-click")
    assert purchases.count() == 1
    assert licenses_of(world.a, subscription).count() == 6, "1 bought earlier and 5 bought once"
    assert not any(isinstance(r, Exception) for r in results), (
        f"the second click of the same purchase got an error instead of the purchase: {results!r}"
    )
    assert {purchase.pk for purchase, _created in results} == {purchases.get().pk}
    assert sorted(created for _purchase, created in results) == [False, True]


def test_two_different_purchases_at_once_are_both_bought(world, two_admins, product, buy):
    item = product(world.a.distributor)
    buy(world.a, item, 1, key="earlier-order")
    subscription = subscription_of(world.a, item)

    results = at_once(
        subscription,
        [
            purchase_call(two_admins[0], world.a, item, 2, "order-of-admin-1"),
            purchase_call(two_admins[1], world.a, item, 3, "order-of-admin-2"),
        ],
    )

    assert not any(isinstance(r, Exception) for r in results), (
        f"two admins buying at the same moment: one got an error instead of a purchase: {results!r}"
    )
    numbers = set(Purchase.objects.for_tenant(world.a.msp).values_list("number", flat=True))
    assert len(numbers) == 3
    assert licenses_of(world.a, subscription).count() == 6
