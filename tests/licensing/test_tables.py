"""One description per list (msp_portal/tables.py): the headers a list's page shows and the
header row of its CSV download are the same words, in the same order, in either language."""

import html
import re

import pytest
from django.utils import translation

from licensing import tables

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
