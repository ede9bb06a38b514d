"""One description per list (msp_portal/tables.py): the headers a list's page shows and the
header row of its CSV download are the same words, in the same order, in either language."""

import html
import re
from decimal import Decimal

import pytest
from django.utils import translation

from licensing import tables
from licensing.models import License, Product, Purchase

from .conftest import subscription_of
from .test_pages_licenses import csv_rows, html_of, url

# Column headers as the page renders them; the select/actions columns are screen-reader only.
_TH = re.compile(r'<th scope="col"(?: class="[^"]*")?>([^<]+)</th>')


def page_headers(page: str) -> list[str]:
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [html.unescape(text.strip()) for text in _TH.findall(head)]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_license_list_and_its_csv_take_their_headers_from_one_description(
    world, login, product, buy, assign, cost_center, language
):
    item = product(world.a.distributor, name="Phone Line", sku="PHONE-1")
    buy(world.a, item, 1)
    assign(world.a, subscription_of(world.a, item), "Zoe Quinn", cost_center=cost_center(world.a, "SALES"))
    client = login(world.a.users["msp_viewer"])
    client.cookies["django_language"] = language

    shown = page_headers(html_of(client.get(url(world.a))))
    header = csv_rows(client.get(url(world.a, "?format=csv")))[0]

    with translation.override(language):
        assert shown == [str(h) for h in tables.LICENSES.page_headers]
        assert header == tables.LICENSES.csv_header()
    # The download carries every column the page shows, in the page's order, and more
    # (SKU, e-mail, assignment day, over-allocation), never a differently named one.
    assert [h for h in header if h in shown] == shown


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_cost_center_list_and_its_csv_have_the_same_headers(world, login, cost_center, language):
    cost_center(world.a, "SALES")
    client = login(world.a.users["msp_viewer"])
    client.cookies["django_language"] = language

    shown = page_headers(html_of(client.get(url(world.a, "cost-centers/"))))
    header = csv_rows(client.get(url(world.a, "cost-centers/?format=csv")))[0]

    assert shown == header
    with translation.override(language):
        assert header == tables.COST_CENTERS.csv_header()


def test_the_cost_center_page_searches_with_the_apis_filter_set(world, login, cost_center):
    cost_center(world.a, "SALES")
    cost_center(world.a, "LAB")
    client = login(world.a.users["msp_viewer"])

    found = csv_rows(client.get(url(world.a, "cost-centers/?format=csv&q=sal")))
    assert [row[0] for row in found[1:]] == ["SALES"]
    # A NUL typed into the search is dropped, as before, rather than refusing the page.
    assert "SALES" in html_of(client.get(url(world.a, "cost-centers/?q=SAL%00")))


def test_the_catalog_page_csv_and_api_list_the_same_products_for_the_same_search(world, login, product):
    # One selector (what an MSP may see: products on sale) and one search (publisher included).
    shown = product(world.a.distributor, name="Office 365")
    shown.publisher = "Contoso Software"
    shown.save()
    withdrawn = product(world.a.distributor, name="Old Suite")
    withdrawn.publisher = "Contoso Software"
    withdrawn.is_active = False
    withdrawn.save()
    client = login(world.a.users["msp_viewer"])
    catalog = f"/o/{world.a.msp.slug}/shop/"

    api = client.get(f"/api/v1/orgs/{world.a.msp.slug}/catalog/?q=contoso").json()
    names = [p["name"] for p in api["results"]] if isinstance(api, dict) else [p["name"] for p in api]
    rows = csv_rows(client.get(f"{catalog}?format=csv&q=contoso"))

    assert names == ["Office 365"]
    assert [row[2] for row in rows[1:]] == ["Office 365"]
    assert "Old Suite" not in html_of(client.get(f"{catalog}?q=contoso"))


# --- the catalog ------------------------------------------------------------------------------


def shop(org, path=""):
    return f"/o/{org.slug}/shop/{path}"


def api(org, path=""):
    return f"/api/v1/orgs/{org.slug}/{path}"


def priced(product_, price: str, *, publisher: str = "Contoso"):
    product_.unit_price, product_.publisher = Decimal(price), publisher
    product_.save()
    return product_


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("role", ["msp_viewer", "dist_reviewer"])
def test_the_catalog_page_and_its_csv_take_their_headers_from_one_description(
    world, login, product, role, language
):
    product(world.a.distributor, name="Phone Line", sku="PHONE-1")
    client = login(world.a.users[role])
    client.cookies["django_language"] = language
    organisation = world.a.org_of(role)
    table = tables.CATALOG if organisation.is_distributor else tables.CATALOG_OF_MSP

    shown = page_headers(html_of(client.get(shop(organisation))))
    header = csv_rows(client.get(shop(organisation, "?format=csv")))[0]

    with translation.override(language):
        assert shown == [str(h) for h in table.page_headers]
        assert header == table.csv_header()
    # Every column of the page, in the page's order, plus the ids and the currency apart.
    assert [h for h in header if h in shown] == shown
    assert len(header) == len(shown) + 3
    # Only a distributor sees whether a product is on sale: an MSP only sees products on sale.
    assert (len(shown) == 7) == organisation.is_distributor


def test_a_filtered_catalog_page_and_its_csv_hold_the_same_products(world, login, product):
    priced(product(world.a.distributor, name="Phone Line", sku="PHONE-1"), "10.00", publisher="Contoso")
    priced(product(world.a.distributor, name="Phone Pro", sku="PHONE-2"), "12.00", publisher="Fabrikam")
    priced(product(world.a.distributor, name="Backup", sku="BACKUP-1"), "3.00", publisher="Contoso")
    client = login(world.a.users["msp_viewer"])

    for query in ("q=phone", "publisher=contoso", "q=phone&publisher=Contoso", "q=nothing-like-this"):
        page = html_of(client.get(shop(world.a.msp, f"?{query}")))
        rows = csv_rows(client.get(shop(world.a.msp, f"?{query}&format=csv")))
        on_page = re.findall(r'<span class="cell-primary">([^<]+)</span>', page)
        assert [row[2] for row in rows[1:]] == on_page, query
    assert [row[2] for row in csv_rows(client.get(shop(world.a.msp, "?q=phone&format=csv")))[1:]] == [
        "Phone Line",
        "Phone Pro",
    ]


def test_a_price_leaves_the_catalog_csv_as_a_decimal_string(world, login, product):
    priced(product(world.a.distributor, name="Phone Line", sku="PHONE-1"), "12.5")
    priced(product(world.a.distributor, name="Storage", sku="STORE-1"), "0.0230")
    priced(product(world.a.distributor, name="Tiny", sku="TINY-1"), "1E+1")
    client = login(world.a.users["msp_viewer"])

    header, *rows = csv_rows(client.get(shop(world.a.msp, "?format=csv")))
    price, currency = header.index("Unit price"), header.index("Currency")
    by_sku = {row[1]: row for row in rows}
    # Two decimals as people read a price, more only when the price has them; never a float.
    assert by_sku["PHONE-1"][price] == "12.50"
    assert by_sku["STORE-1"][price] == "0.023"
    assert by_sku["TINY-1"][price] == "10.00"
    assert {row[currency] for row in rows} == {"EUR"}


def test_one_organisations_catalog_csv_never_holds_anothers_products(world, login, product):
    product(world.a.distributor, name="Ours", sku="OURS-1")
    product(world.b.distributor, name="Theirs", sku="THEIRS-1")

    for side, mine, theirs in ((world.a, "OURS-1", "THEIRS-1"), (world.b, "THEIRS-1", "OURS-1")):
        for role in ("msp_viewer", "dist_reviewer"):
            rows = csv_rows(login(side.users[role]).get(shop(side.org_of(role), "?format=csv")))
            skus = [row[1] for row in rows[1:]]
            assert skus == [mine], (side, role, skus)
            assert theirs not in {cell for row in rows for cell in row}


def test_a_taken_sku_is_refused_on_its_field_on_the_page_and_in_the_api(world, login, product):
    taken = product(world.a.distributor, name="Phone Line", sku="PHONE-1")
    other = product(world.a.distributor, name="Phone Pro", sku="PHONE-2")
    admin = login(world.a.users["dist_admin"])
    fields = {
        "name": "Phone Line again",
        "publisher": "Contoso",
        "product_code": taken.product_code,
        "sku_code": taken.sku_code,
        "unit_type": "seat",
        "unit_price": "10.00",
        "currency": "EUR",
        "billing_type": "license",
        "program": "true_up",
        "is_active": "on",
    }

    page = admin.post(shop(world.a.distributor, "products/new/"), fields)
    assert page.status_code == 400
    assert sorted(page.context["form"].errors) == ["__all__", "sku_code"]
    assert "already in the catalog" in page.content.decode()

    edited = admin.post(shop(world.a.distributor, f"products/{other.pk}/edit/"), fields)
    assert edited.status_code == 400 and "sku_code" in edited.context["form"].errors

    body = {key: value for key, value in fields.items() if key != "is_active"}
    created = admin.post(api(world.a.distributor, "catalog/"), body, content_type="application/json")
    assert created.status_code == 400 and list(created.json()["errors"]) == ["sku_code"]
    changed = admin.patch(
        api(world.a.distributor, f"catalog/{other.pk}/"),
        {"product_code": taken.product_code, "sku_code": taken.sku_code},
        content_type="application/json",
    )
    assert changed.status_code == 400 and list(changed.json()["errors"]) == ["sku_code"]
    assert page.context["form"].errors["sku_code"] == created.json()["errors"]["sku_code"]
    assert Product.objects.for_tenant(world.a.distributor).count() == 2


# --- purchases --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_purchase_list_and_its_csv_take_their_headers_from_one_description(
    world, login, product, buy, language
):
    buy(world.a, product(world.a.distributor, name="Phone Line", sku="PHONE-1"), 2)
    client = login(world.a.users["msp_viewer"])
    client.cookies["django_language"] = language

    shown = page_headers(html_of(client.get(shop(world.a.msp, "purchases/"))))
    header = csv_rows(client.get(shop(world.a.msp, "purchases/?format=csv")))[0]

    with translation.override(language):
        assert shown == [str(h) for h in tables.PURCHASES.page_headers]
        assert header == tables.PURCHASES.csv_header()
    # The page's columns first, in its order; then each line's product, price and cost centers.
    assert header[: len(shown)] == shown and len(shown) == 5


def test_a_searched_purchase_list_and_its_csv_hold_the_same_purchases(
    world, login, product, buy, cost_center
):
    phone = product(world.a.distributor, name="Phone Line", sku="PHONE-1")
    backup = product(world.a.distributor, name="Backup", sku="BACKUP-1")
    center = cost_center(world.a, "HQ")
    first = buy(world.a, phone, 2, allocations=[(center, 1), (None, 1)])
    second = buy(world.a, backup, 1)
    client = login(world.a.users["msp_viewer"])
    list_url = shop(world.a.msp, "purchases/")

    for query, expected in (
        ("q=phone", [first.number]),
        ("q=backup-1", [second.number]),
        (f"q={second.number}", [second.number]),
        ("q=nothing-like-this", []),
        ("", [second.number, first.number]),
    ):
        page = html_of(client.get(f"{list_url}?{query}"))
        on_page = re.findall(r'<a class="cell-primary mono" href="[^"]+">([^<]+)</a>', page)
        rows = csv_rows(client.get(f"{list_url}?{query}&format=csv"))
        in_csv = list(dict.fromkeys(row[0] for row in rows[1:]))
        assert on_page == in_csv == expected, query
        # The API's filter set is the page's: the same purchases for the same search.
        answer = client.get(api(world.a.msp, f"purchases/?{query}")).json()["results"]
        assert [row["number"] for row in answer] == expected, query

    header, row = csv_rows(client.get(f"{list_url}?q=phone&format=csv"))
    line = dict(zip(header, row, strict=True))
    assert line["Lines"] == "1" and line["Total"] == "20.00" and line["Line total"] == "20.00"
    # A price leaves as a decimal string, never a float.
    assert line["Unit price"] == "10.00" and line["Cost centers"] == "HQ: 1; none: 1"


def test_one_msps_purchases_csv_never_holds_anothers(world, login, product, buy):
    ours = buy(world.a, product(world.a.distributor, name="Ours", sku="OURS-1"), 1)
    theirs = buy(world.b, product(world.b.distributor, name="Theirs", sku="THEIRS-1"), 1)

    for side, mine, other_sku in ((world.a, ours, "THEIRS-1"), (world.b, theirs, "OURS-1")):
        client = login(side.users["msp_viewer"])
        rows = csv_rows(client.get(shop(side.msp, "purchases/?format=csv")))
        assert [row[0] for row in rows[1:]] == [mine.number]
        assert other_sku not in {cell for row in rows for cell in row}
        # Searching for the other's product finds nothing either.
        assert csv_rows(client.get(shop(side.msp, f"purchases/?format=csv&q={other_sku}")))[1:] == []


def test_the_same_key_twice_makes_one_purchase_on_the_page_and_in_the_api(world, login, product):
    phone = product(world.a.distributor, name="Phone Line", sku="PHONE-1")
    client = login(world.a.users["msp_admin"])
    client.post(shop(world.a.msp, "cart/add/"), {"product_id": phone.pk, "quantity": 2})
    page = client.get(shop(world.a.msp, "cart/confirm/")).content.decode()
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)

    first = client.post(shop(world.a.msp, "cart/confirm/"), {"acknowledged": "on", "key": key})
    again = client.post(shop(world.a.msp, "cart/confirm/"), {"acknowledged": "on", "key": key}, follow=True)
    assert "already confirmed" in again.content.decode()

    # The API asks the same question of the same lookup: that key was confirmed already.
    body = {"lines": [{"product_id": phone.pk, "quantity": 2}], "acknowledged": True, "idempotency_key": key}
    answers = [
        client.post(api(world.a.msp, "purchases/"), body, content_type="application/json") for _ in range(2)
    ]
    fresh = {**body, "idempotency_key": "api-order-1"}
    made = [
        client.post(api(world.a.msp, "purchases/"), fresh, content_type="application/json") for _ in range(2)
    ]

    purchases = Purchase.objects.for_tenant(world.a.msp)
    page_purchase = purchases.get(idempotency_key=key)
    assert first["Location"].endswith(f"/purchases/{page_purchase.pk}/")
    assert [a.status_code for a in answers] == [200, 200]
    assert {a.json()["id"] for a in answers} == {page_purchase.pk}
    assert [m.status_code for m in made] == [201, 200] and made[0].json()["id"] == made[1].json()["id"]
    assert purchases.count() == 2
    assert License.objects.for_tenant(world.a.msp).count() == 4
