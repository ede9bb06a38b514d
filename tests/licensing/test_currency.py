"""One currency per MSP (docs/currency.md), where licensing lets prices in: the catalog, the
cart, the purchase (page and API), a product's currency, an MSP's currency, and the true-up.

The licensing world bills its MSPs in euros (tests/licensing/conftest.py); a "dollar" product
is one the distributor prices in US dollars."""

import datetime as dt
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client

from licensing import services
from licensing.cart import Cart
from licensing.choices import Program
from licensing.models import Product, Purchase, Subscription, TrueUpCharge
from msp_portal.errors import DomainError
from msp_portal.tenancy.models import Organisation

from .conftest import acting
from .test_true_up import WORKED_EVENTS, at, run, subscription_with_history

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")
JSON = "application/json"


@pytest.fixture
def dollar_product(world, product):
    """``dollar_product(name)``: a license product of distributor A priced at 10.00 USD."""

    def make(name: str = "Dollar Suite") -> Product:
        item = product(world.a.distributor, name=name)
        Product.objects.for_tenant(world.a.distributor).filter(pk=item.pk).update(currency="USD")
        item.refresh_from_db()
        return item

    return make


def shop(org, path: str = "") -> str:
    return f"/o/{org.slug}/shop/{path}"


def row_of(html: str, text: str) -> str:
    """The catalog table row that mentions ``text``."""
    return next(row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if text in row)


def test_a_purchase_of_a_product_priced_in_another_currency_is_refused_naming_both(world, dollar_product):
    dollars = dollar_product()
    tenant = acting(world.a)

    with pytest.raises(DomainError) as refused:
        services.purchase_confirm(
            tenant=tenant,
            acting_user=tenant.membership.user,
            lines=[services.PurchaseRequestLine(product_id=dollars.pk, quantity=2)],
            acknowledged=True,
            idempotency_key="usd-1",
        )

    assert "Dollar Suite is priced in USD and MSP A is billed in EUR" in refused.value.message
    assert refused.value.field_errors["lines.1.product"] == [
        "Dollar Suite is priced in USD and MSP A is billed in EUR: it cannot be sold to it. "
        "Ask the distributor for a product priced in EUR."
    ]
    assert not Purchase.objects.for_tenant(world.a.msp).exists()
    assert not Subscription.objects.for_tenant(world.a.msp).exists()


def test_a_purchase_in_the_msps_currency_is_made_and_labelled_with_it(world, product, buy):
    euros = product(world.a.distributor, price="12.50")

    purchase = buy(world.a, euros, 2)

    assert (purchase.currency, str(purchase.total)) == ("EUR", "25.00")


def test_the_api_refuses_the_purchase_with_the_sentence(world, login, product, dollar_product):
    euros, dollars = product(world.a.distributor, name="Euro Suite"), dollar_product()
    client = login(world.a.users["msp_admin"])
    body = {
        "lines": [{"product_id": euros.pk, "quantity": 1}, {"product_id": dollars.pk, "quantity": 1}],
        "acknowledged": True,
        "idempotency_key": "api-usd",
    }

    response = client.post(f"/api/v1/orgs/{world.a.msp.slug}/purchases/", body, content_type=JSON)

    assert response.status_code == 400, response.content
    payload = response.json()
    assert "Dollar Suite is priced in USD and MSP A is billed in EUR" in payload["detail"]
    assert list(payload["errors"]) == ["lines.2.product"], "only the dollar line is at fault"
    assert not Purchase.objects.for_tenant(world.a.msp).exists()


def test_the_catalog_shows_a_product_in_another_currency_as_not_for_sale_and_the_cart_refuses_it(
    world, login, product, dollar_product
):
    product(world.a.distributor, name="Euro Suite")
    dollars = dollar_product()
    client = login(world.a.users["msp_admin"])

    page = client.get(shop(world.a.msp)).content.decode()
    assert "Not sold to accounts billed in EUR" in row_of(page, "Dollar Suite")
    assert "Add to cart" not in row_of(page, "Dollar Suite")
    assert "Add to cart" in row_of(page, "Euro Suite")
    assert "Not sold" not in row_of(page, "Euro Suite")

    # A hand-made request is refused too, with the sentence, and the cart stays empty.
    response = client.post(shop(world.a.msp, "cart/add/"), {"product_id": dollars.pk, "quantity": 1})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Dollar Suite is priced in USD and MSP A is billed in EUR: it cannot be sold to it. "
        "Ask the distributor for a product priced in EUR."
    ]
    assert Cart.load(client.session, world.a.msp.pk).is_empty


def test_a_cart_line_whose_product_moved_to_another_currency_cannot_go_on(world, login, product):
    euros = product(world.a.distributor, name="Euro Suite")
    client = login(world.a.users["msp_admin"])
    client.post(shop(world.a.msp, "cart/add/"), {"product_id": euros.pk, "quantity": 3})
    # Nobody holds it yet, so its distributor may still change its currency.
    services.product_save(tenant=acting(world.a, "dist_admin"), product_id=euros.pk, currency="USD")

    cart = client.get(shop(world.a.msp, "cart/")).content.decode()

    assert "Priced in USD, and your organisation is billed in EUR: remove it from the cart." in cart
    assert re.search(r'<button[^>]*value="continue"[^>]*disabled', cart), "Continue must be disabled"


def test_a_product_msps_hold_keeps_its_currency(world, login, product, buy):
    held = product(world.a.distributor, name="Held Suite")
    buy(world.a, held, 1)
    admin = login(world.a.users["dist_admin"])
    url = f"/api/v1/orgs/{world.a.distributor.slug}/catalog/{held.pk}/"

    response = admin.patch(url, {"currency": "USD"}, content_type=JSON)

    assert response.status_code == 400, response.content
    assert response.json()["detail"] == (
        "Held Suite is held by 1 MSP billed in EUR: its currency cannot change to USD. "
        "Add a new product priced in USD instead."
    )
    held.refresh_from_db()
    assert held.currency == "EUR"
    # Its other fields still change.
    assert admin.patch(url, {"name": "Held Suite 2"}, content_type=JSON).status_code == 200


def test_the_admin_refuses_to_change_the_currency_of_an_msp_that_holds_subscriptions(world, product, buy):
    buy(world.a, product(world.a.distributor), 1)
    operator = get_user_model().objects.create_superuser(email="operator@example.com", password="x" * 20)
    client = Client()
    client.force_login(operator)

    def change(msp, currency):
        data = {
            "name": msp.name,
            "slug": msp.slug,
            "kind": msp.kind,
            "distributor": msp.distributor_id,
            "country": msp.country,
            "timezone": msp.timezone,
            "currency": currency,
            "is_active": "on",
        }
        return client.post(f"/admin/tenancy/organisation/{msp.pk}/change/", data)

    refused = change(world.a.msp, "USD")
    assert refused.status_code == 200  # the form again, with the error
    assert "MSP A is billed in EUR and holds 1 subscription in EUR: its currency cannot change to USD." in (
        refused.content.decode()
    )
    assert Organisation.objects.get(pk=world.a.msp.pk).currency == "EUR"

    # MSP B was never billed: its currency may still change.
    assert change(world.b.msp, "usd").status_code == 302
    assert Organisation.objects.get(pk=world.b.msp.pk).currency == "USD"


def test_a_true_up_is_charged_in_the_msps_currency(world, product):
    item = product(world.a.distributor, program=Program.TRUE_UP, price="12.335")
    subscription_with_history(world.a, item, term_start=dt.date(2025, 1, 15), events=WORKED_EVENTS)

    run(at(2026, 1, 15))

    [charge] = TrueUpCharge.objects.for_tenant(world.a.msp)
    assert charge.currency == world.a.msp.currency == item.currency == "EUR"


def test_a_true_up_priced_in_another_currency_is_refused_loudly_and_the_other_msps_are_charged(
    world, product, caplog
):
    for side in (world.a, world.b):
        item = product(
            side.distributor, program=Program.TRUE_UP, price="12.335", name=f"Suite {side.msp.name}"
        )
        subscription_with_history(side, item, term_start=dt.date(2025, 1, 15), events=WORKED_EVENTS)
    # A row from before the rule: MSP A's product moved to dollars under its subscription.
    Product.objects.for_tenant(world.a.distributor).update(currency="USD")

    with caplog.at_level(logging.ERROR, logger="licensing.true_up"):
        log = run(at(2026, 1, 15))

    assert not TrueUpCharge.objects.for_tenant(world.a.msp).exists()
    assert TrueUpCharge.objects.for_tenant(world.b.msp).get().currency == "EUR"
    assert log.counts["errors"] == 1
    assert log.errors == [
        f"MSP {world.a.msp.pk} (msp-a): Suite MSP A is priced in USD and MSP A is billed in EUR: it cannot be "
        "sold to it. Ask the distributor for a product priced in EUR."
    ]
    assert "Suite MSP A is priced in USD" in caplog.text
    # A dry run says the same, and charges nothing either.
    dry = run(at(2026, 1, 15), dry_run=True)
    assert dry.errors == log.errors


def test_the_product_form_proposes_the_distributors_currency_and_keeps_a_held_products(
    world, login, product, buy
):
    admin = login(world.a.users["dist_admin"])
    Organisation.objects.filter(pk=world.a.distributor.pk).update(currency="CHF")

    new = admin.get(shop(world.a.distributor, "products/new/")).content.decode()
    assert re.search(r'name="currency"[^>]*value="CHF"', new)

    held = product(world.a.distributor, name="Held Suite")
    buy(world.a, held, 1)
    fields = {
        "name": held.name,
        "publisher": held.publisher,
        "product_code": held.product_code,
        "sku_code": held.sku_code,
        "unit_type": held.unit_type,
        "unit_price": "10.00",
        "currency": "USD",
        "billing_type": held.billing_type,
        "program": held.program,
        "is_active": "on",
    }
    response = admin.post(shop(world.a.distributor, f"products/{held.pk}/edit/"), fields)
    assert response.status_code == 400
    assert "Held Suite is held by 1 MSP billed in EUR: its currency cannot change to USD." in (
        response.content.decode()
    )
    held.refresh_from_db()
    assert held.currency == "EUR"
