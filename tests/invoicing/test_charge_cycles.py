"""Charge cycles of subscriptions (docs/invoicing.md, "Charge cycles"): monthly or yearly from
the billing start day, which is the term start's day when a purchase creates the subscription;
the cycles follow each other without gap or overlap; the subscription page's "Service billing
details" and the API show the cycle running today in the MSP's own time zone."""

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from licensing import services
from licensing.charge_cycles import ChargeCycle, cycle_containing, next_cycle_start, service_billing_details
from licensing.choices import BillingFrequency
from licensing.models import Subscription
from msp_portal.errors import Invalid, NotAllowed
from msp_portal.tenancy.models import Organisation
from tests.factories import ProductFactory
from tests.licensing.conftest import acting

MONTHLY, YEARLY = BillingFrequency.MONTHLY, BillingFrequency.YEARLY


# --- the date rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "anchor", "cycle"),
    [
        (dt.date(2023, 6, 20), 10, (dt.date(2023, 6, 10), dt.date(2023, 7, 9))),
        (dt.date(2023, 6, 9), 10, (dt.date(2023, 5, 10), dt.date(2023, 6, 9))),
        (dt.date(2023, 6, 10), 10, (dt.date(2023, 6, 10), dt.date(2023, 7, 9))),
        (dt.date(2023, 2, 27), 31, (dt.date(2023, 1, 31), dt.date(2023, 2, 27))),
        (dt.date(2023, 2, 28), 31, (dt.date(2023, 2, 28), dt.date(2023, 3, 30))),
        (dt.date(2024, 2, 29), 31, (dt.date(2024, 2, 29), dt.date(2024, 3, 30))),
        (dt.date(2100, 2, 28), 29, (dt.date(2100, 2, 28), dt.date(2100, 3, 28))),  # 2100 is not leap
        (dt.date(2024, 1, 5), 15, (dt.date(2023, 12, 15), dt.date(2024, 1, 14))),  # across the year
    ],
)
def test_monthly_cycles(day, anchor, cycle):
    assert cycle_containing(day, frequency=MONTHLY, anchor_day=anchor) == ChargeCycle(*cycle)


@pytest.mark.parametrize(
    ("day", "anchor_day", "anchor_month", "cycle"),
    [
        (dt.date(2026, 3, 1), 15, 1, (dt.date(2026, 1, 15), dt.date(2027, 1, 14))),
        (dt.date(2026, 1, 14), 15, 1, (dt.date(2025, 1, 15), dt.date(2026, 1, 14))),
        (dt.date(2025, 3, 1), 29, 2, (dt.date(2025, 2, 28), dt.date(2026, 2, 27))),  # a leap-day term
        (dt.date(2028, 2, 29), 29, 2, (dt.date(2028, 2, 29), dt.date(2029, 2, 27))),
    ],
)
def test_yearly_cycles(day, anchor_day, anchor_month, cycle):
    found = cycle_containing(day, frequency=YEARLY, anchor_day=anchor_day, anchor_month=anchor_month)
    assert found == ChargeCycle(*cycle)


@given(
    day=st.dates(min_value=dt.date(1999, 1, 1), max_value=dt.date(2101, 12, 31)),
    anchor=st.integers(min_value=1, max_value=31),
    month=st.integers(min_value=1, max_value=12),
    frequency=st.sampled_from([MONTHLY, YEARLY]),
)
@example(day=dt.date(2100, 3, 1), anchor=31, month=2, frequency=MONTHLY)
@example(day=dt.date(2024, 2, 29), anchor=29, month=2, frequency=YEARLY)
def test_cycles_tile_the_calendar(day, anchor, month, frequency):
    cycle = cycle_containing(day, frequency=frequency, anchor_day=anchor, anchor_month=month)
    assert day in cycle
    following = cycle_containing(
        cycle.end + dt.timedelta(days=1), frequency=frequency, anchor_day=anchor, anchor_month=month
    )
    assert following.start == cycle.end + dt.timedelta(days=1)
    assert next_cycle_start(cycle.start, frequency=frequency, anchor_day=anchor) == following.start
    length = (cycle.end - cycle.start).days + 1
    assert 28 <= length <= 31 if frequency == MONTHLY else 365 <= length <= 366


# --- subscriptions --------------------------------------------------------------------------------


def subscription_bought(world) -> Subscription:
    """Three licenses of a new product bought by side A's MSP admin, through the service."""
    Organisation.objects.filter(pk=world.a.msp.pk).update(currency="EUR")
    made = ProductFactory(organisation=world.a.distributor, currency="EUR")
    tenant = acting(world.a)
    services.purchase_confirm(
        tenant=tenant,
        acting_user=tenant.membership.user,
        lines=[services.PurchaseRequestLine(product_id=made.pk, quantity=3)],
        acknowledged=True,
        idempotency_key="first",
    )
    return Subscription.objects.for_tenant(world.a.msp).get(product=made)


@pytest.mark.now("2026-03-17T09:00:00+00:00")
def test_a_purchase_starts_a_monthly_cycle_on_the_term_starts_day(world):
    subscription = subscription_bought(world)
    assert (subscription.term_start, subscription.billing_frequency, subscription.billing_day) == (
        dt.date(2026, 3, 17),
        MONTHLY,
        17,
    )


@pytest.mark.now("2026-03-17T09:00:00+00:00")
def test_only_a_licensing_manager_sets_the_cycle_and_a_day_is_1_to_31(world):
    subscription = subscription_bought(world)
    with pytest.raises(NotAllowed):
        services.subscription_charge_cycle_set(
            tenant=acting(world.a, "msp_viewer"), subscription_id=subscription.pk, frequency=YEARLY
        )
    with pytest.raises(Invalid) as refused:
        services.subscription_charge_cycle_set(
            tenant=acting(world.a), subscription_id=subscription.pk, frequency="weekly", billing_day=32
        )
    assert set(refused.value.field_errors) == {"frequency", "billing_day"}
    changed = services.subscription_charge_cycle_set(
        tenant=acting(world.a), subscription_id=subscription.pk, frequency=YEARLY, billing_day=31
    )
    assert (changed.billing_frequency, changed.billing_day) == (YEARLY, 31)


@pytest.mark.now("2026-03-31T22:30:00+00:00")  # already April 1 in Paris
def test_the_cycle_of_today_is_read_in_the_msps_time_zone(world):
    subscription = subscription_bought(world)  # term start: the UTC date, March 31
    now = dt.datetime(2026, 3, 31, 22, 30, tzinfo=dt.UTC)
    utc = service_billing_details(subscription, timezone_name="UTC", now=now)
    paris = service_billing_details(subscription, timezone_name="Europe/Paris", now=now)
    assert utc.current_cycle == ChargeCycle(dt.date(2026, 3, 31), dt.date(2026, 4, 29))
    assert paris.current_cycle == utc.current_cycle  # April 1 is inside the same cycle
    later = dt.datetime(2026, 4, 29, 22, 30, tzinfo=dt.UTC)  # April 30 in Paris: a new cycle
    assert service_billing_details(subscription, timezone_name="UTC", now=later).next_billing_date == dt.date(
        2026, 4, 30
    )
    assert service_billing_details(
        subscription, timezone_name="Europe/Paris", now=later
    ).current_cycle == ChargeCycle(dt.date(2026, 4, 30), dt.date(2026, 5, 30))


@pytest.mark.now("2026-03-17T09:00:00+00:00")
def test_the_subscription_page_shows_service_billing_details(world, login, time_machine):
    subscription = subscription_bought(world)
    Organisation.objects.filter(pk=world.a.msp.pk).update(timezone="Europe/Paris")
    services.subscription_charge_cycle_set(
        tenant=acting(world.a), subscription_id=subscription.pk, frequency=MONTHLY, billing_day=31
    )
    time_machine.move_to(dt.datetime(2026, 4, 30, 22, 30, tzinfo=dt.UTC), tick=False)  # May 1 in Paris
    for role in ("msp_admin", "msp_viewer"):
        response = login(world.a.users[role]).get(
            f"/o/{world.a.msp.slug}/licensing/subscriptions/{subscription.pk}/"
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Service billing details" in html
        assert 'id="billing-frequency">Monthly<' in html
        assert 'id="billing-day">31<' in html
        assert 'id="current-cycle">April 30, 2026 to May 30, 2026<' in html
        assert 'id="next-billing-date">May 31, 2026<' in html


@pytest.mark.now("2026-03-17T09:00:00+00:00")
def test_the_api_shows_the_charge_cycle_and_another_msp_does_not_see_it(world, login):
    subscription = subscription_bought(world)
    services.subscription_charge_cycle_set(
        tenant=acting(world.a), subscription_id=subscription.pk, frequency=YEARLY
    )
    client = login(world.a.users["msp_viewer"])
    expected = {
        "frequency": "yearly",
        "billing_day": 17,
        "cycle_start": "2026-03-17",
        "cycle_end": "2027-03-16",
        "next_billing_date": "2027-03-17",
    }
    listed = client.get(f"/api/v1/orgs/{world.a.msp.slug}/subscriptions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["service_billing"] for row in rows] == [expected]
    detail = client.get(f"/api/v1/orgs/{world.a.msp.slug}/subscriptions/{subscription.pk}/")
    assert detail.json()["service_billing"] == expected
    other = login(world.b.users["msp_admin"]).get(
        f"/api/v1/orgs/{world.a.msp.slug}/subscriptions/{subscription.pk}/"
    )
    assert other.status_code == 404
