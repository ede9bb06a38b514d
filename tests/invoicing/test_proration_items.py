"""Proration items from the licensing history (docs/invoicing.md, "Proration"): every change of
the licenses owned in a month, on the MSP's local day, against the charge cycle that contains
it; a change on the cycle's first day is not prorated; several changes in one cycle give one
item each; the events of one day make one change; assignments change nothing owned; yearly
cycles count the days to the year's end. The history is written through the licensing services
at fixed moments."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from invoicing import rules
from invoicing.proration import ProrationItem, proration_items
from licensing import services
from licensing.choices import BillingFrequency
from licensing.models import Subscription
from msp_portal.tenancy.models import Organisation
from tests.factories import ProductFactory
from tests.licensing.conftest import acting

_keys = itertools.count(1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class History:
    """Writes an MSP's licensing history through the services, each step at its own moment."""

    def __init__(self, side, clock):
        self.side, self.clock = side, clock
        Organisation.objects.filter(pk=side.msp.pk).update(currency="EUR", timezone="Europe/Paris")
        side.msp.refresh_from_db()
        self.tenant = acting(side)

    def product(self, price: str, code: str):
        return ProductFactory(
            organisation=self.side.distributor, unit_price=Decimal(price), currency="EUR", product_code=code
        )

    def buy(self, moment: str, product, quantity: int) -> Subscription:
        self.clock.move_to(at(moment), tick=False)
        services.purchase_confirm(
            tenant=self.tenant,
            acting_user=self.tenant.membership.user,
            lines=[services.PurchaseRequestLine(product_id=product.pk, quantity=quantity)],
            acknowledged=True,
            idempotency_key=f"key-{next(_keys)}",
        )
        return Subscription.objects.for_tenant(self.side.msp).get(product=product)

    def remove(self, moment: str, subscription, quantity: int) -> None:
        self.clock.move_to(at(moment), tick=False)
        services.licenses_remove(
            tenant=self.tenant,
            acting_user=self.tenant.membership.user,
            subscription_id=subscription.pk,
            quantity=quantity,
        )

    def assign(self, moment: str, subscription) -> None:
        self.clock.move_to(at(moment), tick=False)
        services.license_assign(
            tenant=self.tenant,
            acting_user=self.tenant.membership.user,
            subscription_id=subscription.pk,
            assignee=services.Assignee(name="Ada", email="ada@customer.example"),
            cost_center_id=None,
        )


def summary(item: ProrationItem) -> tuple:
    p = item.proration
    return (
        item.change_date,
        item.cycle_start,
        item.old_quantity,
        item.new_quantity,
        p.days,
        p.refund,
        p.charge,
    )


@pytest.fixture
def contoso(world, time_machine):
    """Side A's MSP in Paris: a monthly subscription at 10.00 from June 10, 2026, and its changes
    through the summer (see each step)."""
    history = History(world.a, time_machine)
    product = history.product("10.00", "M365")
    subscription = history.buy("2026-06-10T10:00:00+02:00", product, 10)  # term start: cycle's first day
    history.assign("2026-06-12T10:00:00+02:00", subscription)  # owned unchanged: nothing to prorate
    history.buy("2026-06-20T10:00:00+02:00", product, 5)  # 10 → 15: the worked example
    history.buy("2026-07-15T10:00:00+02:00", product, 3)  # 15 → 18 ┐ two changes in the cycle
    history.remove("2026-07-25T10:00:00+02:00", subscription, 2)  # 18 → 16 ┘ July 10 → August 9
    history.buy("2026-08-10T00:30:00+02:00", product, 4)  # 16 → 20 on the cycle's first day (Paris)
    history.buy("2026-08-31T23:30:00+00:00", product, 1)  # 20 → 21: already September 1 in Paris
    history.buy("2026-09-15T08:00:00+02:00", product, 2)  # 21 → 23 ┐ the same day:
    history.remove("2026-09-15T16:00:00+02:00", subscription, 2)  # 23 → 21 ┘ nothing changed
    history.buy("2026-09-20T08:00:00+02:00", product, 3)  # 21 → 24 ┐ the same day:
    history.remove("2026-09-20T18:00:00+02:00", subscription, 1)  # 24 → 23 ┘ one change, 21 → 23
    assert subscription.billing_day == 10 and subscription.billing_frequency == BillingFrequency.MONTHLY
    return history, subscription


def test_june_has_the_worked_example(world, contoso):
    _history, subscription = contoso
    (item,) = proration_items(msp=world.a.msp, month=dt.date(2026, 6, 1))
    assert item == ProrationItem(
        subscription_id=subscription.pk,
        product_code="M365",
        product_name=subscription.product.name,
        cycle_start=dt.date(2026, 6, 10),
        change_date=dt.date(2026, 6, 20),
        old_quantity=10,
        new_quantity=15,
        unit_price=Decimal("10.0000"),
        currency="EUR",
        proration=rules.Proration(
            daily_rate=Decimal("0.33333333"),
            days=20,
            refund=Decimal("66.66"),
            charge=Decimal("99.99"),
            month_total=Decimal("133.33"),
        ),
    )
    assert item.amount == Decimal("33.33")


def test_two_changes_in_one_cycle_give_one_item_each(world, contoso):
    items = proration_items(msp=world.a.msp, month=dt.date(2026, 7, 1))
    # July 10 → August 9; the cycle starts in July (31 days): 10 / 31 = 0.32258064
    assert [item.proration.daily_rate for item in items] == [Decimal("0.32258064")] * 2
    assert [summary(item) for item in items] == [
        # 26 days (July 15 → August 9): 15 × 0.32258064 × 26 = 125.806…, 18 × … = 150.967…
        (dt.date(2026, 7, 15), dt.date(2026, 7, 10), 15, 18, 26, Decimal("125.80"), Decimal("150.96")),
        # 16 days (July 25 → August 9): 18 × 0.32258064 × 16 = 92.903…, 16 × … = 82.580…
        (dt.date(2026, 7, 25), dt.date(2026, 7, 10), 18, 16, 16, Decimal("92.90"), Decimal("82.58")),
    ]
    assert [item.amount for item in items] == [Decimal("25.16"), Decimal("-10.32")]


def test_a_change_on_the_cycles_first_day_is_not_prorated_and_days_are_local(world, contoso):
    # August 10 (Paris) is the first day of a cycle; August 31 23:30 UTC is September 1 in Paris.
    assert proration_items(msp=world.a.msp, month=dt.date(2026, 8, 1)) == []
    september = proration_items(msp=world.a.msp, month=dt.date(2026, 9, 1))
    # cycle August 10 → September 9 (August: 31 days); September 10 → October 9 (30 days)
    assert [summary(item) for item in september] == [
        (dt.date(2026, 9, 1), dt.date(2026, 8, 10), 20, 21, 9, Decimal("58.06"), Decimal("60.96")),
        (dt.date(2026, 9, 20), dt.date(2026, 9, 10), 21, 23, 20, Decimal("139.99"), Decimal("153.33")),
    ]


def test_the_month_is_read_in_two_queries(world, contoso, django_assert_num_queries):
    with django_assert_num_queries(2):
        items = proration_items(msp=world.a.msp, month=dt.date(2026, 9, 1))
    assert len(items) == 2


def test_items_are_ordered_by_date_then_subscription_and_another_msp_is_not_included(world, time_machine):
    contoso = History(world.a, time_machine)
    monthly = contoso.product("10.00", "MONTHLY")
    yearly_product = contoso.product("31.00", "YEARLY")
    yearly = contoso.buy("2026-01-15T10:00:00+01:00", yearly_product, 4)
    services.subscription_charge_cycle_set(
        tenant=contoso.tenant, subscription_id=yearly.pk, frequency=BillingFrequency.YEARLY
    )
    contoso.buy("2026-06-05T10:00:00+02:00", yearly_product, 1)  # yearly: 4 → 5
    first = contoso.buy("2026-06-10T10:00:00+02:00", monthly, 10)  # the cycle's first day
    contoso.buy("2026-06-20T10:00:00+02:00", yearly_product, 2)  # yearly: 5 → 7
    contoso.buy("2026-06-20T11:00:00+02:00", monthly, 5)  # monthly: 10 → 15
    other = History(world.b, time_machine)
    other.buy("2026-06-10T10:00:00+02:00", other.product("10.00", "OTHER"), 3)
    other.buy("2026-06-20T10:00:00+02:00", Subscription.objects.for_tenant(world.b.msp).get().product, 3)

    items = proration_items(msp=world.a.msp, month=dt.date(2026, 6, 1))
    assert [(item.change_date, item.subscription_id) for item in items] == [
        (dt.date(2026, 6, 5), yearly.pk),
        (dt.date(2026, 6, 20), min(yearly.pk, first.pk)),
        (dt.date(2026, 6, 20), max(yearly.pk, first.pk)),
    ]
    # Yearly cycle January 15, 2026 → January 14, 2027: the daily rate is still the monthly price
    # over the days of the month the cycle starts in (January: 31 → 1.00000000), and the days run
    # to the year's end: June 20 → January 14 is 209 days.
    by_sub = {(item.change_date, item.subscription_id): item for item in items}
    yearly_item = by_sub[(dt.date(2026, 6, 20), yearly.pk)]
    assert (yearly_item.cycle_start, yearly_item.proration.daily_rate, yearly_item.proration.days) == (
        dt.date(2026, 1, 15),
        Decimal("1.00000000"),
        209,
    )
    assert (yearly_item.proration.refund, yearly_item.proration.charge) == (
        Decimal("1045.00"),
        Decimal("1463.00"),
    )
    assert by_sub[(dt.date(2026, 6, 5), yearly.pk)].proration.days == 224
