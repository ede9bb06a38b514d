"""Usage feeds the reports (docs/licensing.md, "Usage"): usage events sent through the API are
taken whole or refused whole and counted once; a usage report's used units come from the
imported daily-rated quantities and from the events."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import UsageEvent
from licensing.choices import BillingType, HistoryKind
from licensing.models import AssignmentEvent, Subscription
from licensing.usage import provided_units_by_cycle
from reports.models import UsageReportLine
from reports.services import usage_reports_open_from_licensing
from tests.factories import ProductFactory, SubscriptionFactory

from .files import csv_bytes, daily_usage_row
from .test_import import run_import

JULY = dt.date(2025, 7, 1)


def url(org) -> str:
    return f"/api/v1/orgs/{org.slug}/usage-events/"


def usage_product(side, **fields):
    """A usage-based product of the side's catalog, priced in its MSP's currency."""
    return ProductFactory(
        organisation=side.distributor,
        billing_type=BillingType.USAGE,
        currency=side.msp.currency,
        unit_type="hour",
        **fields,
    )


def held(msp, product) -> Subscription:
    """The MSP's subscription of ``product``, held since before July 2025."""
    subscription = SubscriptionFactory(organisation=msp, product=product)
    Subscription.objects.for_tenant(msp).filter(pk=subscription.pk).update(
        created_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    )
    return subscription


def event(event_id, product, quantity="12.5", occurred_at="2025-07-03T10:00:00Z") -> dict:
    return {"event_id": event_id, "product": product.pk, "quantity": quantity, "occurred_at": occurred_at}


def post(client, org, events):
    return client.post(url(org), {"events": events}, content_type="application/json")


def test_a_batch_sent_twice_is_recorded_once(world, login):
    product = usage_product(world.a)
    client = login(world.a.users["msp_billing"])
    batch = [event("e-1", product), event("e-2", product, quantity="0")]

    first = post(client, world.a.msp, batch)
    again = post(client, world.a.msp, batch)

    assert (first.status_code, first.json()) == (201, {"created": 2, "duplicates": 0})
    assert (again.status_code, again.json()) == (200, {"created": 0, "duplicates": 2})
    assert UsageEvent.objects.for_tenant(world.a.msp).count() == 2
    # One new event among known ones: only the new one is created.
    response = post(client, world.a.msp, [*batch, event("e-3", product)])
    assert (response.status_code, response.json()) == (201, {"created": 1, "duplicates": 2})


def test_one_bad_event_refuses_the_whole_batch_and_names_it(world, login):
    product = usage_product(world.a)
    client = login(world.a.users["msp_admin"])

    response = post(
        client,
        world.a.msp,
        [
            event("ok", product),
            event("negative", product, quantity="-1"),
            {**event("float", product), "quantity": 12.5},
            event("no-offset", product, occurred_at="2025-07-03T10:00:00"),
            event("no-such-minute", product, occurred_at="2025-07-03T12:99:00Z"),  # was a 500
        ],
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "events.2.quantity",
        "events.3.quantity",
        "events.4.occurred_at",
        "events.5.occurred_at",
    }
    assert not UsageEvent.objects.for_tenant(world.a.msp).exists(), "nothing is stored"


def test_an_event_id_sent_again_with_other_content_is_refused(world, login):
    product = usage_product(world.a)
    client = login(world.a.users["msp_admin"])
    assert post(client, world.a.msp, [event("e-1", product)]).status_code == 201

    response = post(client, world.a.msp, [event("e-2", product), event("e-1", product, quantity="13")])

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["events.2.event_id"]
    assert list(UsageEvent.objects.for_tenant(world.a.msp).values_list("event_id", "quantity")) == [
        ("e-1", Decimal("12.5"))
    ]


def test_a_product_outside_the_msps_catalog_or_currency_is_refused(world, login):
    others = usage_product(world.b)
    foreign_currency = usage_product(world.a)
    foreign_currency.currency = "JPY"
    foreign_currency.save(update_fields=["currency"])
    client = login(world.a.users["msp_admin"])

    response = post(client, world.a.msp, [event("b", others), event("yen", foreign_currency)])

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["events.1.product"] == ["Not a product of your catalog."]
    assert errors["events.2.product"] == ["This product is not sold in your currency (USD)."]
    assert not UsageEvent.objects.for_tenant(world.a.msp).exists()


def test_another_organisation_cannot_post_and_a_viewer_may_not(world, login):
    product = usage_product(world.a)

    outsider = post(login(world.b.users["msp_admin"]), world.a.msp, [event("e", product)])
    viewer = post(login(world.a.users["msp_viewer"]), world.a.msp, [event("e", product)])
    distributor = post(login(world.a.users["dist_admin"]), world.a.distributor, [event("e", product)])

    assert (outsider.status_code, viewer.status_code, distributor.status_code) == (404, 403, 404)
    assert not UsageEvent.objects.for_tenant(world.a.msp).exists()


def test_a_report_takes_its_used_units_from_daily_usage_and_events(world, login):
    msp = world.a.msp
    vm = held(msp, usage_product(world.a, product_code="DZH318Z0BQ3Q", sku_code="0001"))
    seats = held(msp, ProductFactory(organisation=world.a.distributor, currency=msp.currency))
    # 10 seats assigned in June and kept through July: 10 provided.
    AssignmentEvent.objects.bulk_create(
        AssignmentEvent(
            organisation=msp,
            subscription=seats,
            kind=HistoryKind.ASSIGNED,
            assigned_delta=1,
            owned_after=10,
            at=dt.datetime(2025, 6, 10, hour, tzinfo=dt.UTC),
        )
        for hour in range(10)
    )
    daily = [daily_usage_row(Quantity="24"), daily_usage_row(Quantity="24.25", UsageDate="7/4/2025 0:00")]
    assert run_import(msp, csv_bytes(daily)).state == "done"
    client = login(world.a.users["msp_billing"])
    response = post(
        client,
        msp,
        [
            event("vm-1", vm.product, quantity="1.5"),
            event("seats-1", seats.product, quantity="7.2"),
            event("august", vm.product, quantity="100", occurred_at="2025-08-01T00:00:00Z"),
        ],
    )
    assert response.status_code == 201

    (opened,) = usage_reports_open_from_licensing(msp=msp, cycles=[JULY])

    lines = {
        line.product_code: line
        for line in UsageReportLine.objects.for_tenant(msp).filter(report=opened.report)
    }
    # 24 + 24.25 imported + 1.5 sent = 49.75 hours, whole units rounded up: 50.
    vm_line = lines["DZH318Z0BQ3Q"]
    assert (vm_line.provided_units, vm_line.used_units, vm_line.billable_units) == (50, 50, 50)
    seat_line = lines[seats.product.product_code]
    assert (seat_line.provided_units, seat_line.used_units) == (10, 8)
    assert seat_line.over_provisioned_percent == Decimal("20.0")


def test_events_count_in_the_month_of_the_msps_time_zone_in_a_bounded_number_of_queries(
    world, django_assert_num_queries
):
    msp = world.a.msp
    msp.timezone = "Europe/Paris"
    msp.save(update_fields=["timezone"])
    vm = held(msp, usage_product(world.a))
    license_based = held(msp, ProductFactory(organisation=world.a.distributor, currency=msp.currency))
    # 23:30 UTC on 31 July is 01:30 on 1 August in Paris.
    for event_id, moment, quantity in [("a", "2025-07-31T21:00Z", "2"), ("b", "2025-07-31T23:30Z", "3")]:
        UsageEvent.objects.create(
            organisation=msp,
            event_id=event_id,
            product=vm.product,
            quantity=Decimal(quantity),
            occurred_at=dt.datetime.fromisoformat(moment),
        )

    # The subscriptions, the peaks, then one query per source, whatever the months or products.
    with django_assert_num_queries(4):
        found = provided_units_by_cycle(msp=msp, first_cycle=JULY, last_cycle=dt.date(2025, 9, 1))

    figures = {
        (cycle, row.product.pk): (row.provided, row.used) for cycle, rows in found.items() for row in rows
    }
    assert figures[(JULY, vm.product.pk)] == (2, 2)
    assert figures[(dt.date(2025, 8, 1), vm.product.pk)] == (3, 3)
    assert figures[(dt.date(2025, 9, 1), vm.product.pk)] == (0, None), "nothing reported"
    assert figures[(JULY, license_based.product.pk)] == (0, None)


@pytest.mark.parametrize("events", [[], "no list", [None]])
def test_a_malformed_batch_is_refused(world, login, events):
    response = post(login(world.a.users["msp_admin"]), world.a.msp, events)
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"events", "events.1"}
