"""The catalog and the purchase flow as a person uses them, through the pages: cart → review →
cost centers → confirm → statement, with the checks each step makes."""

import re
from decimal import Decimal

import pytest

from licensing import services
from licensing.choices import BillingType, Program
from licensing.models import CostCenter, License, Product, Purchase, PurchaseAllocation

from .conftest import acting


def shop(org, path=""):
    return f"/o/{org.slug}/shop/{path}"


def make_product(distributor, *, name, sku, price="12.50", billing_type=BillingType.LICENSE, **extra):
    return Product.objects.create(
        organisation=distributor,
        product_code=f"P-{sku}",
        sku_code=sku,
        name=name,
        publisher=extra.pop("publisher", "Contoso"),
        unit_type="seat",
        unit_price=Decimal(price),
        currency="EUR",
        billing_type=billing_type,
        program=extra.pop("program", Program.TRUE_UP),
        **extra,
    )


def add_to_cart(client, org, product, quantity):
    response = client.post(shop(org, "cart/add/"), {"product_id": product.pk, "quantity": quantity})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def one_line(product, cost_center=None):
    """The cost center fields of a line sent as "all to one"."""
    return {
        f"line-{product.pk}-mode": "one",
        f"line-{product.pk}-cost_center": str(cost_center.pk) if cost_center else "",
    }


def split_line(product, parts):
    data = {f"line-{product.pk}-mode": "split"}
    for index, (cost_center, quantity) in enumerate(parts):
        data[f"line-{product.pk}-split-{index}-cost_center"] = str(cost_center.pk) if cost_center else ""
        data[f"line-{product.pk}-split-{index}-quantity"] = str(quantity)
    return data


def confirm_key(client, org) -> str:
    response = client.get(shop(org, "cart/confirm/"))
    assert response.status_code == 200, response.get("Location")
    return re.search(r'name="key" value="([0-9a-f]{32})"', response.content.decode()).group(1)


def purchases_of(org):
    return Purchase.objects.for_tenant(org)


@pytest.fixture
def catalog(world):
    """Two license products and a usage-based one in distributor A's catalog, one in B's."""
    return {
        "phone": make_product(world.a.distributor, name="Phone Pro", sku="PHONE-P1M"),
        "reports": make_product(world.a.distributor, name="Live Reports", sku="LIVE-P1M", price="4.25"),
        "storage": make_product(
            world.a.distributor,
            name="Cloud Storage",
            sku="STORE-GB",
            price="0.0230",
            billing_type=BillingType.USAGE,
        ),
        "other": make_product(
            world.b.distributor, name="Secret Suite", sku="SECRET-P1M", publisher="Fabrikam"
        ),
    }


def test_whole_flow_split_over_two_cost_centers_one_created_on_the_way(world, login, catalog):
    msp, phone = world.a.msp, catalog["phone"]
    sales = services.cost_center_save(tenant=acting(world.a), code="SALES", name="Sales")
    client = login(world.a.users["msp_admin"])

    page = client.get(shop(msp)).content.decode()
    assert "Phone Pro" in page and "Add to cart" in page and "Billed on usage" in page
    add_to_cart(client, msp, phone, 10)

    cart = client.get(shop(msp, "cart/")).content.decode()
    assert "Phone Pro" in cart and "125.00 EUR" in cart
    response = client.post(shop(msp, "cart/"), {f"quantity-{phone.pk}": "10", "action": "continue"})
    assert response.status_code == 302 and response["Location"].endswith("/cart/review/")
    review = client.get(shop(msp, "cart/review/")).content.decode()
    assert "12.50 EUR" in review and "125.00 EUR" in review

    assert client.get(shop(msp, "cart/cost-centers/")).status_code == 200
    # A new cost center, made without leaving the page; the cart is still there afterwards.
    response = client.post(
        shop(msp, "cart/cost-centers/"),
        {
            "action": "create_cost_center",
            "new_cc-code": "OPS",
            "new_cc-name": "Operations",
            **one_line(phone),
        },
    )
    assert response.status_code == 302
    ops = CostCenter.objects.for_tenant(msp).get(code="OPS")
    assert response["Location"].endswith(f"?target={ops.pk}")
    page = client.get(response["Location"]).content.decode()
    assert "OPS · Operations" in page and "Phone Pro" in page

    response = client.post(
        shop(msp, "cart/cost-centers/"), {"action": "continue", **split_line(phone, [(sales, 6), (ops, 4)])}
    )
    assert response.status_code == 302 and response["Location"].endswith("/cart/confirm/")

    key = confirm_key(client, msp)
    confirm = client.get(shop(msp, "cart/confirm/")).content.decode()
    assert "SALES" in confirm and "OPS" in confirm and "125.00 EUR" in confirm
    response = client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": key})
    purchase = purchases_of(msp).get()
    assert response.status_code == 302
    assert response["Location"] == shop(msp, f"purchases/{purchase.pk}/")

    statement = client.get(response["Location"]).content.decode()
    assert purchase.number in statement and "125.00 EUR" in statement and "Print" in statement
    assert re.search(r">6</span> → <span class=\"mono\">SALES</span>", statement)
    assert re.search(r">4</span> → <span class=\"mono\">OPS</span>", statement)
    assert purchase.total == Decimal("125.00")
    allocations = {
        (a.cost_center.code, a.quantity)
        for a in PurchaseAllocation.objects.for_tenant(msp).select_related("cost_center")
    }
    assert allocations == {("SALES", 6), ("OPS", 4)}
    licenses = License.objects.for_tenant(msp).filter(purchase=purchase)
    assert licenses.count() == 10
    assert licenses.filter(cost_center=sales).count() == 6 and licenses.filter(cost_center=ops).count() == 4
    assert "Your cart is empty" in client.get(shop(msp, "cart/")).content.decode()
    listing = client.get(shop(msp, "purchases/")).content.decode()
    assert purchase.number in listing and "125.00 EUR" in listing


def test_assign_to_all_puts_every_license_of_every_line_in_one_cost_center(world, login, catalog):
    msp = world.a.msp
    finance = services.cost_center_save(tenant=acting(world.a), code="FIN", name="Finance")
    services.cost_center_save(tenant=acting(world.a), code="OTHER", name="Other")
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, catalog["phone"], 3)
    add_to_cart(client, msp, catalog["reports"], 5)

    response = client.post(
        shop(msp, "cart/cost-centers/"),
        {
            "action": "assign_all",
            "target": str(finance.pk),
            **one_line(catalog["phone"]),
            **one_line(catalog["reports"]),
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "3 of 3 assigned" in page and "5 of 5 assigned" in page

    client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": confirm_key(client, msp)})
    purchase = purchases_of(msp).get()
    licenses = License.objects.for_tenant(msp).filter(purchase=purchase)
    assert licenses.count() == 8
    assert set(licenses.values_list("cost_center__code", flat=True)) == {"FIN"}
    assert purchase.total == Decimal("58.75")  # 3 × 12.50 + 5 × 4.25


def test_assign_to_selection_changes_only_the_ticked_lines(world, login, catalog):
    msp = world.a.msp
    finance = services.cost_center_save(tenant=acting(world.a), code="FIN", name="Finance")
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, catalog["phone"], 2)
    add_to_cart(client, msp, catalog["reports"], 1)
    client.post(
        shop(msp, "cart/cost-centers/"),
        {
            "action": "assign_selection",
            "target": str(finance.pk),
            "selected": [str(catalog["reports"].pk)],
            **one_line(catalog["phone"]),
            **one_line(catalog["reports"]),
        },
    )
    client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": confirm_key(client, msp)})
    licenses = License.objects.for_tenant(msp)
    assert licenses.get(subscription__product=catalog["reports"]).cost_center == finance
    assert set(
        licenses.filter(subscription__product=catalog["phone"]).values_list("cost_center", flat=True)
    ) == {None}


def test_a_split_that_does_not_add_up_is_refused_naming_the_line(world, login, catalog):
    msp, phone = world.a.msp, catalog["phone"]
    sales = services.cost_center_save(tenant=acting(world.a), code="SALES", name="Sales")
    ops = services.cost_center_save(tenant=acting(world.a), code="OPS", name="Operations")
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, phone, 10)
    add_to_cart(client, msp, catalog["reports"], 2)

    response = client.post(
        shop(msp, "cart/cost-centers/"),
        {"action": "continue", **split_line(phone, [(sales, 6), (ops, 3)]), **one_line(catalog["reports"])},
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Phone Pro: the split adds up to 9 licenses instead of 10 (1 more to assign)." in page
    row = page[page.index(f'id="cart-line-{phone.pk}"') :]
    assert row.index("adds up to 9") < row.index("</tr>")  # under its own line
    assert 'value="3"' in page  # what was typed comes back

    # The draft is kept, but the confirm page sends back to finish it, and nothing is bought.
    response = client.get(shop(msp, "cart/confirm/"))
    assert response.status_code == 302 and response["Location"].endswith("/cart/cost-centers/")
    response = client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": "a" * 32})
    assert response.status_code == 302
    assert not purchases_of(msp).exists() and not License.objects.for_tenant(msp).exists()


def test_a_refusal_of_the_purchase_service_shows_under_its_line(world, login, catalog):
    msp = world.a.msp
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, catalog["phone"], 1)
    add_to_cart(client, msp, catalog["reports"], 1)
    key = confirm_key(client, msp)
    Product.objects.for_tenant(world.a.distributor).filter(pk=catalog["reports"].pk).update(is_active=False)

    response = client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": key})
    page = response.content.decode()
    assert response.status_code == 422
    row = page[page.index(f'id="cart-line-{catalog["reports"].pk}"') :]
    assert row.index("This product is not in your distributor&#x27;s catalog.") < row.index("</tr>")
    assert not purchases_of(msp).exists()


def test_the_acknowledgement_is_required(world, login, catalog):
    msp = world.a.msp
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, catalog["phone"], 1)
    response = client.post(shop(msp, "cart/confirm/"), {"key": confirm_key(client, msp)})
    assert response.status_code == 422 and "Tick the box to confirm." in response.content.decode()
    assert not purchases_of(msp).exists()


def test_confirming_twice_with_the_same_key_makes_one_purchase(world, login, catalog):
    msp = world.a.msp
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, catalog["phone"], 4)
    key = confirm_key(client, msp)
    first = client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": key})
    second = client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": key}, follow=True)
    purchase = purchases_of(msp).get()
    assert first["Location"] == shop(msp, f"purchases/{purchase.pk}/")
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "already confirmed" in second.content.decode()
    assert License.objects.for_tenant(msp).count() == 4


def test_the_key_changes_when_the_cart_does(world, login, catalog):
    """A confirm page shown before the cart changed can't buy the changed cart."""
    msp = world.a.msp
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, catalog["phone"], 1)
    stale = confirm_key(client, msp)
    add_to_cart(client, msp, catalog["phone"], 1)
    response = client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": stale})
    assert response.status_code == 302 and response["Location"].endswith("/cart/confirm/")
    assert not purchases_of(msp).exists()
    assert confirm_key(client, msp) != stale


@pytest.mark.parametrize("role", ["msp_viewer", "msp_billing"])
def test_only_msp_admins_buy(world, login, catalog, role):
    msp = world.a.msp
    client = login(world.a.users[role])
    page = client.get(shop(msp))
    assert page.status_code == 200 and "Phone Pro" in page.content.decode()
    assert "Add to cart" not in page.content.decode()
    for path in ("cart/", "cart/review/", "cart/cost-centers/", "cart/confirm/"):
        assert client.get(shop(msp, path)).status_code == 403, path
    assert (
        client.post(shop(msp, "cart/add/"), {"product_id": catalog["phone"].pk, "quantity": 1}).status_code
        == 403
    )
    assert client.post(shop(msp, "cart/confirm/"), {"acknowledged": "on", "key": "b" * 32}).status_code == 403
    assert not purchases_of(msp).exists()


def test_purchases_are_read_by_viewers_not_billing_admins(world, login, buy, catalog):
    purchase = buy(world.a, catalog["phone"], 2)
    viewer = login(world.a.users["msp_viewer"])
    assert purchase.number in viewer.get(shop(world.a.msp, f"purchases/{purchase.pk}/")).content.decode()
    billing = login(world.a.users["msp_billing"])
    assert billing.get(shop(world.a.msp, "purchases/")).status_code == 403


def test_distributor_admin_manages_its_catalog_and_its_reviewer_cannot(world, login, catalog):
    distributor, phone = world.a.distributor, catalog["phone"]
    reviewer = login(world.a.users["dist_reviewer"])
    page = reviewer.get(shop(distributor)).content.decode()
    assert "Phone Pro" in page and "New product" not in page and "Add to cart" not in page
    assert reviewer.get(shop(distributor, "products/new/")).status_code == 403
    assert reviewer.get(shop(distributor, f"products/{phone.pk}/edit/")).status_code == 403
    assert (
        reviewer.post(shop(distributor, f"products/{phone.pk}/edit/"), {"name": "Hacked"}).status_code == 403
    )

    admin = login(world.a.users["dist_admin"])
    fields = {
        "name": "Contact Center",
        "publisher": "Contoso",
        "product_code": "CC-1",
        "sku_code": "CC-1-P1M",
        "unit_type": "seat",
        "unit_price": "39.90",
        "currency": "eur",
        "billing_type": BillingType.LICENSE,
        "program": Program.NO_OVERALLOCATION,
        "is_active": "on",
    }
    assert admin.get(shop(distributor, "products/new/")).status_code == 200
    response = admin.post(shop(distributor, "products/new/"), fields)
    assert response.status_code == 302
    created = Product.objects.for_tenant(distributor).get(sku_code="CC-1-P1M")
    assert created.currency == "EUR" and created.unit_price == Decimal("39.90")

    duplicate = admin.post(shop(distributor, "products/new/"), fields)
    assert duplicate.status_code == 400 and "already in the catalog" in duplicate.content.decode()

    response = admin.post(
        shop(distributor, f"products/{created.pk}/edit/"), {**fields, "unit_price": "41.00"}
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.unit_price == Decimal("41.00")
    # The MSP side has no product pages at all.
    assert login(world.a.users["msp_admin"]).get(shop(world.a.msp, "products/new/")).status_code == 404


def test_an_msp_sees_only_its_distributors_catalog(world, login, catalog):
    msp = world.a.msp
    withdrawn = make_product(world.a.distributor, name="Old Fax", sku="FAX-OLD", is_active=False)
    client = login(world.a.users["msp_admin"])
    page = client.get(shop(msp)).content.decode()
    assert "Phone Pro" in page and "Secret Suite" not in page and withdrawn.name not in page
    csv = b"".join(client.get(shop(msp, "?format=csv")).streaming_content).decode("utf-8-sig")
    assert "PHONE-P1M" in csv and "SECRET-P1M" not in csv and "FAX-OLD" not in csv
    assert "Secret Suite" not in client.get(shop(msp, "?q=Secret")).content.decode()

    response = client.post(
        shop(msp, "cart/add/"), {"product_id": catalog["other"].pk, "quantity": 1}, follow=True
    )
    assert "not in your distributor" in response.content.decode()
    response = client.post(
        shop(msp, "cart/add/"), {"product_id": catalog["storage"].pk, "quantity": 1}, follow=True
    )
    assert "billed on usage" in response.content.decode()
    assert "Your cart is empty" in client.get(shop(msp, "cart/")).content.decode()
    other_side = login(world.b.users["msp_admin"]).get(shop(world.b.msp)).content.decode()
    assert "Secret Suite" in other_side and "Phone Pro" not in other_side


def test_catalog_filters_and_csv(world, login, catalog):
    make_product(world.a.distributor, name="Fabrikam Voice", sku="FAB-VOICE", publisher="Fabrikam")
    client = login(world.a.users["msp_viewer"])
    page = client.get(shop(world.a.msp, "?publisher=Fabrikam")).content.decode()
    assert "Fabrikam Voice" in page and "Phone Pro" not in page
    page = client.get(shop(world.a.msp, f"?billing_type={BillingType.USAGE}")).content.decode()
    assert "Cloud Storage" in page and "Phone Pro" not in page
    page = client.get(shop(world.a.msp, "?q=live")).content.decode()
    assert "Live Reports" in page and "Phone Pro" not in page
    distributor_csv = b"".join(
        login(world.a.users["dist_reviewer"]).get(shop(world.a.distributor, "?format=csv")).streaming_content
    ).decode("utf-8-sig")
    header, *rows = distributor_csv.strip().splitlines()
    assert header.startswith("Product id,SKU id,Product,Publisher")
    assert len(rows) == 4


def test_cart_quantities_remove_and_empty_state(world, login, catalog):
    msp, phone, reports = world.a.msp, catalog["phone"], catalog["reports"]
    client = login(world.a.users["msp_admin"])
    assert "Your cart is empty" in client.get(shop(msp, "cart/")).content.decode()
    assert client.get(shop(msp, "cart/confirm/"))["Location"].endswith("/cart/")
    add_to_cart(client, msp, phone, 2)
    add_to_cart(client, msp, phone, 3)  # same product: one line of 5
    add_to_cart(client, msp, reports, 1)

    refused = client.post(shop(msp, "cart/"), {f"quantity-{phone.pk}": "two", f"quantity-{reports.pk}": "1"})
    assert refused.status_code == 422 and "Enter a whole number" in refused.content.decode()
    client.post(
        shop(msp, "cart/"), {f"quantity-{phone.pk}": "7", f"quantity-{reports.pk}": "0", "action": "update"}
    )
    page = client.get(shop(msp, "cart/")).content.decode()
    assert "87.50 EUR" in page and "Live Reports" not in page
    client.post(shop(msp, "cart/"), {"remove": str(phone.pk)})
    assert "Your cart is empty" in client.get(shop(msp, "cart/")).content.decode()


def test_changing_a_quantity_resets_a_split(world, login, catalog):
    msp, phone = world.a.msp, catalog["phone"]
    sales = services.cost_center_save(tenant=acting(world.a), code="SALES", name="Sales")
    client = login(world.a.users["msp_admin"])
    add_to_cart(client, msp, phone, 4)
    client.post(
        shop(msp, "cart/cost-centers/"), {"action": "save", **split_line(phone, [(sales, 2), (None, 2)])}
    )
    response = client.post(shop(msp, "cart/"), {f"quantity-{phone.pk}": "5", "action": "update"}, follow=True)
    assert "its split over cost centers was reset" in response.content.decode()
    assert "5 of 5 assigned" in client.get(shop(msp, "cart/cost-centers/")).content.decode()


def test_purchases_csv_lists_lines_with_cost_centers(world, login, buy, cost_center, catalog):
    center = cost_center(world.a, "HQ")
    buy(world.a, catalog["phone"], 3, allocations=[(center, 2), (None, 1)])
    csv = b"".join(
        login(world.a.users["msp_viewer"]).get(shop(world.a.msp, "purchases/?format=csv")).streaming_content
    ).decode("utf-8-sig")
    header, row = csv.strip().splitlines()
    assert header.startswith("Number,Confirmed,By,Lines,Total,Currency,Product id,SKU id,Product,Quantity")
    assert "PHONE-P1M" in row and ",3," in row and "37.50" in row and "HQ: 2; none: 1" in row


def test_pages_of_the_flow_do_not_leak_other_purchases(world, login, buy, catalog):
    theirs = buy(world.b, catalog["other"], 1)
    client = login(world.a.users["msp_admin"])
    assert client.get(shop(world.a.msp, f"purchases/{theirs.pk}/")).status_code == 404
    assert "No purchase yet" in client.get(shop(world.a.msp, "purchases/")).content.decode()


def test_cart_helpers_keep_the_session_data_honest():
    """The cart's pure rules: one line per product, a split reset when its quantity changes, a
    new request key after any change, and malformed session data dropped rather than trusted."""
    from licensing.cart import Cart

    session = {}
    cart = Cart()
    cart.add(7, 2)
    cart.add(7, 3)
    cart.add(9, 1)
    cart.set_allocations(7, [(1, 2), (2, 2), (1, 1)])
    assert cart.allocations_of(7) == [(1, 3), (2, 2)] and cart.unbalanced() == []
    key = cart.ensure_checkout_key()
    assert cart.ensure_checkout_key() == key
    assert cart.set_quantity(7, 6) is True  # the split no longer fits: reset
    assert cart.allocations_of(7) == [(None, 6)] and cart.checkout_key == ""
    cart.assign([9], 4)
    assert cart.set_quantity(9, 3) is False and cart.allocations_of(9) == [(4, 3)]  # all-to-one follows
    cart.save(session, 1)
    assert Cart.load(session, 1) == cart and Cart.load(session, 2).is_empty
    session[Cart.session_key(1)] = {"items": [["x", 1], [5, -1], [6, 2]], "allocations": {"6": "junk"}}
    loaded = Cart.load(session, 1)
    assert loaded.items == {6: 2} and loaded.allocations == {}
