"""Money of licensing on the API (docs/money.md): catalog prices, purchases, expected and charged
true-ups are decimal strings with their places, never JSON numbers; another organisation gets
404. The price 10.125 makes every amount land on a half cent, where half-up (10.13) and DRF's
default half-to-even (10.12) part."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from knox.models import AuthToken

from licensing.choices import Program
from licensing.true_up import true_up_run_due
from msp_portal.jobs.services import JobRunLog

from ..wire import floats_in
from .conftest import subscription_of

BOUGHT = dt.datetime(2025, 3, 10, 10, 0, tzinfo=dt.UTC)
AFTER = BOUGHT + dt.timedelta(hours=1)
# The first anniversary of the term, late enough in the day to be past midnight in any zone.
ANNIVERSARY = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)


def api(org, path: str = "") -> str:
    return f"/api/v1/orgs/{org.slug}/{path}"


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    body = response.json()
    assert floats_in(body) == [], url
    return body


@pytest.fixture
def over_allocated(world, product, buy, assign):
    """MSP A bought 1 license at 10.125 and assigned it twice: one seat over-allocated."""
    with time_machine.travel(BOUGHT, tick=False):
        item = product(world.a.distributor, program=Program.TRUE_UP, price="10.125", sku="MONEY-1")
        purchase = buy(world.a, item, 1)
        subscription = subscription_of(world.a, item)
        assign(world.a, subscription, "Alice Martin")
        assign(world.a, subscription, "Bob Durand")
    return purchase, subscription


@time_machine.travel(AFTER, tick=False)
def test_catalog_purchases_and_expected_true_up_are_decimal_strings(world, login, over_allocated):
    purchase, subscription = over_allocated
    client = login(world.a.users["msp_admin"])

    [product] = get(client, api(world.a.msp, "catalog/"))["results"]
    assert product["unit_price"] == "10.1250"

    [listed] = get(client, api(world.a.msp, "purchases/"))["results"]
    assert listed["total"] == "10.13"
    detail = get(client, api(world.a.msp, f"purchases/{purchase.pk}/"))
    assert detail["total"] == "10.13"
    assert [(line["unit_price"], line["total"]) for line in detail["lines"]] == [("10.1250", "10.13")]
    assert detail["lines"][0]["product"]["unit_price"] == "10.1250"

    status = get(client, api(world.a.msp, f"subscriptions/{subscription.pk}/"))
    assert (status["true_up"]["units"], status["true_up"]["amount"]) == (1, "10.13")
    assert [
        row["true_up"]["amount"] for row in get(client, api(world.a.msp, "subscriptions/"))["results"]
    ] == ["10.13"]
    licenses = get(client, api(world.a.msp, "licenses/"))["results"]
    assert {row["product"]["unit_price"] for row in licenses} == {"10.1250"}


def test_true_up_charges_are_decimal_strings_for_the_msp_and_its_distributor(world, login, over_allocated):
    true_up_run_due(log=JobRunLog(), now=ANNIVERSARY)
    with time_machine.travel(ANNIVERSARY, tick=False):
        for user, org in (
            (world.a.users["msp_billing"], world.a.msp),
            (world.a.users["dist_admin"], world.a.distributor),
        ):
            [charge] = get(login(user), api(org, "true-ups/"))["results"]
            assert (charge["units"], charge["unit_price"], charge["amount"]) == (1, "10.1250", "10.13")
            assert charge["product"]["unit_price"] == "10.1250"


def test_another_organisation_gets_404_on_the_money(world, login, over_allocated):
    purchase, subscription = over_allocated
    true_up_run_due(log=JobRunLog(), now=ANNIVERSARY)
    with time_machine.travel(ANNIVERSARY, tick=False):
        token = AuthToken.objects.create(world.b.users["msp_admin"])[1]
        by_token = {"HTTP_AUTHORIZATION": f"Token {token}"}
        b_session = login(world.b.users["msp_admin"])
        for path in (f"purchases/{purchase.pk}/", f"subscriptions/{subscription.pk}/", "true-ups/"):
            assert Client().get(api(world.a.msp, path), **by_token).status_code == 404
            assert b_session.get(api(world.a.msp, path)).status_code == 404
        # Under its own organisation, B finds none of A's rows.
        assert b_session.get(api(world.b.msp, f"purchases/{purchase.pk}/")).status_code == 404
        assert b_session.get(api(world.b.msp, f"subscriptions/{subscription.pk}/")).status_code == 404
        assert get(b_session, api(world.b.msp, "true-ups/"))["results"] == []
        other_distributor = login(world.b.users["dist_admin"])
        assert other_distributor.get(api(world.a.distributor, "true-ups/")).status_code == 404
        assert get(other_distributor, api(world.b.distributor, "true-ups/"))["results"] == []


def test_subscription_page_shows_the_price_as_stored_and_amounts_to_the_cent(world, login, over_allocated):
    """The page showed the unit price rounded to the cent (10.13), a price no amount was
    computed from; the amounts are 10.125 rounded half-up."""
    _purchase, subscription = over_allocated
    true_up_run_due(log=JobRunLog(), now=ANNIVERSARY)
    with time_machine.travel(ANNIVERSARY, tick=False):
        response = login(world.a.users["msp_admin"]).get(
            f"/o/{world.a.msp.slug}/licensing/subscriptions/{subscription.pk}/"
        )
    assert response.status_code == 200
    html = response.content.decode()
    price = html[html.index("Unit price") :]
    assert price[: price.index("</dd>")].endswith("10.125 EUR")
    charged = html[html.index("True-up date") :]
    assert "10.13 EUR" in charged
