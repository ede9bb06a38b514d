"""The license, subscription, bulk-assignment and cost-center pages as a person uses them: what
the overview shows, assigning and moving licenses through the pages (with htmx and without),
filters and exports, and what a read-only role cannot do."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.bulk import MAX_BYTES
from licensing.choices import Program
from licensing.models import License, LicensingSettings

from .conftest import licenses_of, subscription_of


def url(side, path=""):
    return f"/o/{side.msp.slug}/licensing/{path}"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def assigned_count(side, subscription) -> int:
    return licenses_of(side, subscription).filter(assigned_at__isnull=False).count()


# --- the over-allocation overview ------------------------------------------------------------------


def test_an_over_allocated_subscription_shows_its_count_hatched_excess_peak_and_true_up(
    world, login, product, buy, assign
):
    item = product(world.a.distributor, program=Program.TRUE_UP, price="10.00", name="Contoso 365")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    for name in ("Ann", "Bob", "Cid"):
        assign(world.a, subscription, name)

    html = html_of(login(world.a.users["msp_viewer"]).get(url(world.a)))

    assert 'id="overallocation-count">1<' in html
    assert "Over-allocated by 1" in html
    # The bar spans the 3 assigned: 2 owned drawn solid, the one beyond owned hatched.
    assert 'class="alloc-bar-used" style="width: 66.67%"' in html
    assert 'class="alloc-bar-excess" style="width: 33.33%"' in html
    assert "Peak, past year" in html and "Peak, full term" in html and "first reached" in html
    assert "10.00 EUR" in html  # one unit at the true-up
    assert "Ways to resolve this over-allocation" in html
    assert f'href="/o/{world.a.msp.slug}/shop/"' in html
    assert "does not lower the peak" in html
    assert "css/licensing.css" in html


def test_the_peak_and_true_up_stay_after_the_excess_is_removed(world, login, product, buy, assign, unassign):
    item = product(world.a.distributor, price="25.00")
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    extra = assign(world.a, subscription, "Bob")
    unassign(world.a, extra)

    html = html_of(login(world.a.users["msp_admin"]).get(url(world.a)))

    assert 'id="overallocation-count">0<' in html
    assert "alloc-bar-excess" not in html
    assert "25.00 EUR" in html
    assert "the true-up on" in html and "still bills it" in html


def test_near_capacity_warning_follows_the_organisations_threshold(world, login, product, buy, assign):
    busy, quiet = product(world.a.distributor, name="Busy"), product(world.a.distributor, name="Quiet")
    buy(world.a, busy, 10)
    buy(world.a, quiet, 10)
    for number in range(9):
        assign(world.a, subscription_of(world.a, busy), f"User {number}")
    assign(world.a, subscription_of(world.a, quiet), "Only one")
    client = login(world.a.users["msp_admin"])

    html = html_of(client.get(url(world.a)))
    assert html.count('badge badge-warning">') == 1
    assert "Near capacity: 90 % of the licenses you own are assigned (warning from 90 %)" in html

    LicensingSettings.objects.create(organisation=world.a.msp, near_capacity_percent=95)
    html = html_of(client.get(url(world.a)))
    assert "Near capacity:" not in html
    assert "subscriptions with 95 % or more" in html


def test_a_program_that_forbids_over_allocation_says_so_instead_of_assigning(
    world, login, product, buy, assign
):
    item = product(world.a.distributor, program=Program.NO_OVERALLOCATION, name="Open Seat")
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    client = login(world.a.users["msp_admin"])

    html = html_of(client.get(url(world.a)))
    assert "No free license, and this program forbids over-allocation" in html
    assert f"subscriptions/{subscription.pk}/assign/" not in html
    assert "Expected true-up</dt>" not in html.split("Open Seat")[1].split("</article>")[0]

    page = client.get(url(world.a, f"subscriptions/{subscription.pk}/assign/")).content.decode()
    assert "No free license left" in page
    refused = client.post(url(world.a, f"subscriptions/{subscription.pk}/assign/"), {"name": "Bob"})
    assert refused.status_code == 400
    assert "does not allow over-allocation" in refused.content.decode()
    assert assigned_count(world.a, subscription) == 1


# --- assigning, unassigning, moving ----------------------------------------------------------------


def test_assign_a_free_license_inline_then_unassign_it(world, login, product, buy, cost_center):
    item = product(world.a.distributor, name="Contoso 365")
    sales = cost_center(world.a, "SALES")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    free = licenses_of(world.a, subscription).order_by("pk").first()
    client = login(world.a.users["msp_admin"])

    form_row = client.get(url(world.a, f"licenses/{free.pk}/assign/"), HTTP_HX_REQUEST="true")
    assert 'class="license-assign-row' in html_of(form_row)

    refused = client.post(url(world.a, f"licenses/{free.pk}/assign/"), {"name": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    assert "Give a name, an e-mail address or an extension." in refused.content.decode()

    done = client.post(
        url(world.a, f"licenses/{free.pk}/assign/"),
        {
            "name": "Claire Martin",
            "email": "claire@customer.example",
            "extension": "204",
            "cost_center": sales.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    row = html_of(done)
    assert f'id="license-{free.pk}"' in row and "flash" in row and "Claire Martin" in row
    assert 'id="allocation-overview"' in row and 'hx-swap-oob="true"' in row
    assert "portal:toast" in done["HX-Trigger"]
    free.refresh_from_db()
    assert (free.assignee_email, free.assignee_extension, free.cost_center_id) == (
        "claire@customer.example",
        "204",
        sales.pk,
    )

    back = client.post(url(world.a, f"licenses/{free.pk}/unassign/"), {"next": url(world.a, "?q=claire")})
    assert back.status_code == 302 and back["Location"] == url(world.a, "?q=claire")
    free.refresh_from_db()
    assert not free.is_assigned and free.assignee_name == ""
    assert "back in the pool" in client.get(back["Location"]).content.decode()


def test_unassign_asks_for_confirmation_on_the_list(world, login, product, buy, assign):
    item = product(world.a.distributor)
    buy(world.a, item, 1)
    assign(world.a, subscription_of(world.a, item), "Ann")
    html = html_of(login(world.a.users["msp_admin"]).get(url(world.a)))
    assert 'data-confirm="Unassign' in html and "goes back to the pool for later use" in html


def test_unassigning_an_over_allocated_seat_removes_its_row_and_updates_the_overview(
    world, login, product, buy, assign
):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    seat = assign(world.a, subscription, "Bob")
    assert seat.is_overage

    response = login(world.a.users["msp_admin"]).post(
        url(world.a, f"licenses/{seat.pk}/unassign/"), HTTP_HX_REQUEST="true"
    )

    html = html_of(response)
    assert f'id="license-{seat.pk}"' not in html  # the row goes away
    assert 'hx-swap-oob="true"' in html and 'id="overallocation-count">0<' in html
    assert "the over-allocated seat is gone" in response["HX-Trigger"]
    assert licenses_of(world.a, subscription).count() == 1


def test_assign_a_license_of_a_subscription_takes_the_first_free_then_over_allocates(
    world, login, product, buy
):
    item = product(world.a.distributor, program=Program.TRUE_UP)
    buy(world.a, item, 1)
    subscription = subscription_of(world.a, item)
    client = login(world.a.users["msp_admin"])
    assign_url = url(world.a, f"subscriptions/{subscription.pk}/assign/")

    first = client.post(assign_url, {"email": "ann@customer.example"}, follow=True)
    assert "License of" in first.content.decode()
    assert licenses_of(world.a, subscription).count() == 1

    assert "This assignment over-allocates the subscription" in client.get(assign_url).content.decode()
    second = client.post(assign_url, {"extension": "301"}, follow=True).content.decode()
    assert "It is over-allocated: the true-up will bill it." in second
    assert licenses_of(world.a, subscription).filter(is_overage=True).count() == 1


def test_move_one_license_inline_and_several_at_once(world, login, product, buy, cost_center):
    item = product(world.a.distributor)
    sales, support = cost_center(world.a, "SALES"), cost_center(world.a, "SUPPORT")
    buy(world.a, item, 3, allocations=[(sales, 3)])
    first, second, third = licenses_of(world.a, subscription_of(world.a, item)).order_by("pk")
    client = login(world.a.users["msp_admin"])

    moved = client.post(
        url(world.a, f"licenses/{first.pk}/move/"), {"cost_center": support.pk}, HTTP_HX_REQUEST="true"
    )
    assert "Moved to SUPPORT." in html_of(moved)
    refused = client.post(
        url(world.a, f"licenses/{first.pk}/move/"), {"cost_center": "999999"}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422 and "Choose one of your cost centers." in refused.content.decode()

    bulk = client.post(
        url(world.a, "licenses/move/"),
        {"license_ids": [second.pk, third.pk], "cost_center": "none"},
        follow=True,
    )
    assert "2 licenses taken off their cost center." in bulk.content.decode()
    assert [lic.cost_center_id for lic in License.objects.for_tenant(world.a.msp).order_by("pk")] == [
        support.pk,
        None,
        None,
    ]
    back = client.post(
        url(world.a, "licenses/move/"),
        {"license_ids": [second.pk, third.pk], "cost_center": sales.pk},
        follow=True,
    )
    assert "2 licenses moved to SALES · Center SALES." in back.content.decode()
    assert licenses_of(world.a, subscription_of(world.a, item)).filter(cost_center=sales).count() == 2
    nothing = client.post(url(world.a, "licenses/move/"), {"cost_center": sales.pk}, follow=True)
    assert "Select the licenses to move first." in nothing.content.decode()


def test_a_license_of_another_msp_cannot_be_moved_in_bulk(world, login, product, buy, cost_center):
    item = product(world.a.distributor)
    buy(world.a, item, 1)
    other_item = product(world.b.distributor)
    buy(world.b, other_item, 1)
    theirs = licenses_of(world.b, subscription_of(world.b, other_item)).get()
    response = login(world.a.users["msp_admin"]).post(
        url(world.a, "licenses/move/"), {"license_ids": [theirs.pk], "cost_center": "none"}, follow=True
    )
    assert "not yours" in response.content.decode()


# --- read-only role -----------------------------------------------------------------------------


def test_a_viewer_sees_everything_but_no_action_and_is_refused(
    world, login, product, buy, assign, cost_center
):
    item = product(world.a.distributor)
    center = cost_center(world.a, "SALES")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    taken = assign(world.a, subscription, "Ann")
    free = licenses_of(world.a, subscription).filter(assigned_at__isnull=True).get()
    client = login(world.a.users["msp_viewer"])

    html = html_of(client.get(url(world.a)))
    assert "Ann" in html and "Read-only" in html
    for action in ("/assign/", "/unassign/", "/move/", "bulk-move-form", "bulk-assign/", "data-confirm"):
        assert action not in html, action
    detail = html_of(client.get(url(world.a, f"subscriptions/{subscription.pk}/")))
    assert "licenses/move" not in detail and 'name="quantity"' not in detail
    centers = html_of(client.get(url(world.a, "cost-centers/")))
    assert "SALES" in centers and "/edit/" not in centers and "cost-centers/new/" not in centers

    refused = {
        "assign": client.post(url(world.a, f"licenses/{free.pk}/assign/"), {"name": "Eve"}),
        "unassign": client.post(url(world.a, f"licenses/{taken.pk}/unassign/")),
        "move": client.post(url(world.a, f"licenses/{taken.pk}/move/"), {"cost_center": "none"}),
        "bulk move": client.post(
            url(world.a, "licenses/move/"), {"license_ids": [taken.pk], "cost_center": "none"}
        ),
        "subscription assign": client.post(
            url(world.a, f"subscriptions/{subscription.pk}/assign/"), {"name": "E"}
        ),
        "remove": client.post(url(world.a, f"subscriptions/{subscription.pk}/remove/"), {"quantity": 1}),
        "bulk assign": client.get(url(world.a, "bulk-assign/")),
        "new cost center": client.post(url(world.a, "cost-centers/new/"), {"code": "X", "name": "X"}),
        "edit cost center": client.get(url(world.a, f"cost-centers/{center.pk}/edit/")),
    }
    assert {name: r.status_code for name, r in refused.items()} == {name: 403 for name in refused}
    assert assigned_count(world.a, subscription) == 1


def test_licensing_pages_do_not_exist_for_a_distributor_or_a_billing_admin(world, login):
    assert (
        login(world.a.users["dist_admin"]).get(f"/o/{world.a.distributor.slug}/licensing/").status_code == 404
    )
    assert login(world.a.users["msp_billing"]).get(url(world.a)).status_code == 403


# --- filters, export, empty states --------------------------------------------------------------


def test_filter_by_text_and_by_several_cost_centers(world, login, product, buy, assign, cost_center):
    phones = product(world.a.distributor, name="Phone Line", sku="PHONE-1")
    office = product(world.a.distributor, name="Office Suite", sku="OFFICE-1")
    sales, support, lab = (
        cost_center(world.a, "SALES"),
        cost_center(world.a, "SUPPORT"),
        cost_center(world.a, "LAB"),
    )
    buy(world.a, phones, 3, allocations=[(sales, 1), (support, 1), (lab, 1)])
    buy(world.a, office, 1)
    assign(world.a, subscription_of(world.a, phones), "Zoe Quinn")
    client = login(world.a.users["msp_admin"])

    def rows(query):
        html = html_of(client.get(url(world.a, query)))
        return html.count('<tr id="license-')

    assert rows("") == 4
    assert rows("?q=zoe") == 1
    assert rows("?q=office-1") == 1
    assert rows("?q=LAB") == 1
    assert rows(f"?cost_center={sales.pk}&cost_center={lab.pk}") == 2
    assert rows(f"?cost_center=none&cost_center={support.pk}") == 2
    assert rows("?state=free") == 3
    assert rows(f"?subscription={subscription_of(world.a, office).pk}") == 1
    filtered = html_of(client.get(url(world.a, "?q=nobody-at-all")))
    assert "No license matches these filters" in filtered
    checked = html_of(client.get(url(world.a, f"?cost_center={sales.pk}&cost_center={lab.pk}")))
    assert "2 cost centers" in checked and f'value="{sales.pk}" checked' in checked


def test_csv_export_holds_the_filtered_licenses(world, login, product, buy, assign, cost_center):
    item = product(world.a.distributor, name="Phone Line", sku="PHONE-1")
    sales = cost_center(world.a, "SALES")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Zoe Quinn", cost_center=sales)
    client = login(world.a.users["msp_viewer"])

    rows = csv_rows(client.get(url(world.a, "?format=csv")))
    assert rows[0] == [
        "License type",
        "SKU",
        "Assigned to",
        "E-mail",
        "Extension",
        "Cost center",
        "Date added",
        "Assigned on",
        "Over-allocated",
    ]
    assert len(rows) == 3
    rows = csv_rows(client.get(url(world.a, "?format=csv&q=zoe")))
    assert len(rows) == 2
    assert rows[1][:6] == ["Phone Line", "PHONE-1", "Zoe Quinn", "zoe.quinn@customer.example", "", "SALES"]


def test_an_msp_without_licenses_sees_an_empty_state(world, login):
    html = html_of(login(world.a.users["msp_admin"]).get(url(world.a)))
    assert "No licenses yet" in html and f"/o/{world.a.msp.slug}/shop/" in html
    assert "allocation-overview" in html and "alloc-card" not in html


def test_queries_of_the_list_do_not_grow_with_its_rows(
    world, login, product, buy, assign, cost_center, django_assert_max_num_queries
):
    item = product(world.a.distributor)
    other = product(world.a.distributor, program=Program.NO_OVERALLOCATION)
    sales = cost_center(world.a, "SALES")
    buy(world.a, item, 3, allocations=[(sales, 3)])
    buy(world.a, other, 2)
    assign(world.a, subscription_of(world.a, item), "Ann")
    client = login(world.a.users["msp_admin"])
    assert client.get(url(world.a)).status_code == 200  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as five:
        html = html_of(client.get(url(world.a)))
    assert html.count('<tr id="license-') == 5

    buy(world.a, item, 30, allocations=[(sales, 20), (None, 10)])
    buy(world.a, other, 15)
    for number in range(10):
        assign(world.a, subscription_of(world.a, item), f"User {number}")
    with django_assert_max_num_queries(len(five)):
        html = html_of(client.get(url(world.a)))
    assert html.count('<tr id="license-') == 50


# --- subscription page: removal and history --------------------------------------------------------


def test_removal_above_what_can_be_removed_is_refused(world, login, product, buy, assign):
    item = product(world.a.distributor, name="Contoso 365")
    buy(world.a, item, 5)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    assign(world.a, subscription, "Bob")
    client = login(world.a.users["msp_admin"])
    detail = url(world.a, f"subscriptions/{subscription.pk}/")

    html = html_of(client.get(detail))
    assert 'id="can-be-removed">3<' in html
    assert 'type="number" name="quantity"' in html and 'min="1"' in html and 'max="3"' in html

    refused = client.post(url(world.a, f"subscriptions/{subscription.pk}/remove/"), {"quantity": 4})
    assert refused.status_code == 400
    assert "You can remove from 1 to 3 licenses of Contoso 365" in refused.content.decode()
    assert licenses_of(world.a, subscription).count() == 5

    done = client.post(url(world.a, f"subscriptions/{subscription.pk}/remove/"), {"quantity": 2}, follow=True)
    assert "2 licenses of Contoso 365 removed." in done.content.decode()
    assert licenses_of(world.a, subscription).count() == 3
    assert assigned_count(world.a, subscription) == 2


def test_history_page_and_csv_show_each_new_maximum_with_the_owned_count(
    world, login, product, buy, assign, unassign
):
    item = product(world.a.distributor, program=Program.TRUE_UP, sku="SEAT-1")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    assign(world.a, subscription, "Ann")
    assign(world.a, subscription, "Bob")
    third = assign(world.a, subscription, "Cid")  # beyond the 2 owned
    unassign(world.a, third)
    assign(world.a, subscription, "Dan")  # back to 3: not a new maximum
    buy(world.a, item, 2)  # Dan's seat becomes owned, plus one free: 4 owned
    assign(world.a, subscription, "Eve")
    client = login(world.a.users["msp_viewer"])

    rows = csv_rows(client.get(url(world.a, f"subscriptions/{subscription.pk}/history.csv")))
    assert rows[0] == ["Date", "Time", "Assigned (new maximum)", "Owned that day", "Over-allocated by"]
    assert [row[2:] for row in rows[1:]] == [
        ["1", "2", "0"],
        ["2", "2", "0"],
        ["3", "2", "1"],
        ["4", "4", "0"],
    ]

    html = html_of(client.get(url(world.a, f"subscriptions/{subscription.pk}/")))
    assert "Assignment history" in html and "Export history (CSV)" in html
    assert html.count("badge badge-info") == 5  # five assignments
    assert "Peak, full term" in html


# --- bulk assignment ------------------------------------------------------------------------------


def upload(content: str, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_bulk_assign_reports_the_line_and_column_of_a_bad_row_and_assigns_nothing(world, login, product, buy):
    item = product(world.a.distributor, sku="SEAT-1")
    buy(world.a, item, 5)
    subscription = subscription_of(world.a, item)
    client = login(world.a.users["msp_admin"])

    response = client.post(
        url(world.a, "bulk-assign/"),
        {
            "file": upload(
                "sku,name,email,extension,cost_center\n"
                "SEAT-1,Ann,ann@customer.example,,\n"
                "SEAT-1,Bob,not-an-address,,\n"
                "SEAT-1,Cid,,,NOPE\n"
            )
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was assigned: people.csv has 2 problems." in html
    assert '<td class="num">3</td>' in html and "<code>email</code>" in html
    assert "not-an-address is not an e-mail address." in html
    assert '<td class="num">4</td>' in html and "<code>cost_center</code>" in html
    assert "No cost center has the code NOPE." in html
    assert assigned_count(world.a, subscription) == 0


def test_bulk_assign_applies_a_good_file_entirely(world, login, product, buy, cost_center):
    item = product(world.a.distributor, sku="SEAT-1")
    sales = cost_center(world.a, "SALES")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    client = login(world.a.users["msp_admin"])

    response = client.post(
        url(world.a, "bulk-assign/"),
        {
            "file": upload(
                "sku,name,email,extension,cost_center\nSEAT-1,Ann,,101,SALES\nseat-1,,bob@customer.example,,\n"
            )
        },
        follow=True,
    )

    assert "2 licenses assigned from people.csv." in response.content.decode()
    licenses = licenses_of(world.a, subscription).order_by("assigned_at", "pk")
    assert [(lic.assignee_name, lic.assignee_email, lic.assignee_extension) for lic in licenses] == [
        ("Ann", "", "101"),
        ("", "bob@customer.example", ""),
    ]
    assert licenses[0].cost_center_id == sales.pk


def test_bulk_assign_refuses_a_file_that_is_not_csv_or_too_large(world, login, product, buy):
    item = product(world.a.distributor, sku="SEAT-1")
    buy(world.a, item, 1)
    client = login(world.a.users["msp_admin"])

    sheet = client.post(url(world.a, "bulk-assign/"), {"file": upload("PK\x03\x04", name="people.xlsx")})
    assert sheet.status_code == 400
    assert "people.xlsx is not a CSV file." in sheet.content.decode()

    large = "sku,name\n" + "SEAT-1,Ann\n" * (MAX_BYTES // 11 + 10)
    big = client.post(url(world.a, "bulk-assign/"), {"file": upload(large)})
    assert big.status_code == 400
    assert "people.csv is larger than the limit of 2.0\xa0MB." in big.content.decode()
    assert assigned_count(world.a, subscription_of(world.a, item)) == 0


def test_bulk_assign_page_explains_the_columns_and_offers_the_template(world, login, product, buy):
    item = product(world.a.distributor, sku="SEAT-1")
    buy(world.a, item, 1)
    client = login(world.a.users["msp_admin"])

    html = html_of(client.get(url(world.a, "bulk-assign/")))
    for column in ("sku", "name", "email", "extension", "cost_center"):
        assert f"<code>{column}</code>" in html
    assert "SEAT-1" in html and "bulk-assign-template.csv" in html

    template = client.get(url(world.a, "bulk-assign/bulk-assign-template.csv"))
    assert 'filename="bulk-assign-template.csv"' in template["Content-Disposition"]
    assert csv_rows(template) == [["product", "sku", "name", "email", "extension", "cost_center"]]


# --- cost centers ---------------------------------------------------------------------------------


def test_cost_centers_list_create_edit_and_export(world, login, product, buy, cost_center):
    sales = cost_center(world.a, "SALES", "Sales team")
    item = product(world.a.distributor)
    buy(world.a, item, 3, allocations=[(sales, 3)])
    client = login(world.a.users["msp_admin"])

    created = client.post(
        url(world.a, "cost-centers/new/"),
        {"code": "SALES-FR", "name": "Sales France", "parent": sales.pk},
        follow=True,
    )
    html = created.content.decode()
    assert "Cost center SALES-FR created." in html
    assert 'title="Sales team">SALES</span>' in html  # the parent column
    assert f'?cost_center={sales.pk}#licenses">3</a>' in html  # its license count, linking to them

    duplicate = client.post(url(world.a, "cost-centers/new/"), {"code": "SALES", "name": "Again"})
    assert duplicate.status_code == 400
    assert "Choose another code." in duplicate.content.decode()

    edit = client.get(url(world.a, f"cost-centers/{sales.pk}/edit/"))
    assert 'value="Sales team"' in html_of(edit)
    saved = client.post(
        url(world.a, f"cost-centers/{sales.pk}/edit/"), {"code": "SALES", "name": "Sales EMEA"}, follow=True
    )
    assert "Cost center SALES saved." in saved.content.decode()

    rows = csv_rows(client.get(url(world.a, "cost-centers/?format=csv")))
    assert rows == [
        ["Code", "Name", "Parent", "Licenses"],
        ["SALES", "Sales EMEA", "", "3"],
        ["SALES-FR", "Sales France", "SALES", "0"],
    ]


def test_a_cost_center_cannot_sit_under_its_own_child(world, login, cost_center):
    parent = cost_center(world.a, "ROOT")
    child = cost_center(world.a, "LEAF", parent=parent)
    response = login(world.a.users["msp_admin"]).post(
        url(world.a, f"cost-centers/{parent.pk}/edit/"), {"code": "ROOT", "name": "Root", "parent": child.pk}
    )
    assert response.status_code == 400
    assert "Choose another parent." in response.content.decode()
