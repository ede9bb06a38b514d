"""The licensing API under /api/v1/orgs/<org_slug>/: catalog, cost centers, subscriptions,
licenses and purchases, with roles, the one error format and two organisations."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from licensing.choices import BillingType, HistoryKind, Program
from licensing.models import AssignmentEvent, License, Product, Purchase

from .conftest import licenses_of, subscription_of

JSON = "application/json"


def api(side, path: str = "", org=None) -> str:
    return f"/api/v1/orgs/{(org or side.msp).slug}/{path}"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def holding(world, product, buy, cost_center, assign):
    """Side A: a true-up product with 4 licenses (2 assigned), a product whose program forbids
    over-allocation with 1 license; side B the same shape, so its objects can be looked for."""

    def build(side, label):
        sales = cost_center(side, f"SALES-{label}", f"Sales {label}")
        support = cost_center(side, f"SUP-{label}", f"Support {label}")
        flexible = product(
            side.distributor, program=Program.TRUE_UP, name=f"Office {label}", sku=f"OFF-{label}"
        )
        strict = product(
            side.distributor, program=Program.NO_OVERALLOCATION, name=f"Visio {label}", sku=f"VIS-{label}"
        )
        buy(side, flexible, 4, allocations=[(sales, 3), (support, 1)])
        buy(side, strict, 1)
        flexible_sub = subscription_of(side, flexible)
        strict_sub = subscription_of(side, strict)
        alice = assign(side, flexible_sub, "Alice Martin", cost_center=sales)
        bob = assign(side, flexible_sub, "Bob Durand")
        return {
            "sales": sales,
            "support": support,
            "flexible": flexible,
            "strict": strict,
            "flexible_sub": flexible_sub,
            "strict_sub": strict_sub,
            "alice": alice,
            "bob": bob,
        }

    return {"a": build(world.a, "A"), "b": build(world.b, "B")}


# --- catalog ----------------------------------------------------------------------------------


def test_msp_reads_its_distributors_catalog_with_filters(world, login, product):
    office = product(world.a.distributor, program=Program.TRUE_UP, name="Office 365 E3", sku="O365-E3")
    azure = product(world.a.distributor, billing_type=BillingType.USAGE, name="Azure plan", sku="AZ-PLAN")
    Product.objects.for_tenant(world.a.distributor).filter(pk=azure.pk).update(publisher="Microsoft")
    visio = product(world.a.distributor, program=Program.NO_OVERALLOCATION, name="Visio Plan 2", sku="VIS-2")
    other = product(world.b.distributor, name="Office 365 E3", sku="O365-E3")
    client = login(world.a.users["msp_viewer"])

    everything = client.get(api(world.a, "catalog/"))
    assert sorted(ids(everything)) == sorted([office.pk, azure.pk, visio.pk])
    assert other.pk not in ids(everything)
    row = next(item for item in everything.json()["results"] if item["id"] == office.pk)
    assert row["unit_price"] == "10.0000" and row["currency"] == "EUR"
    assert row["allows_overallocation"] is True and row["program"] == "true_up"

    assert ids(client.get(api(world.a, "catalog/"), {"q": "o365"})) == [office.pk]
    assert ids(client.get(api(world.a, "catalog/"), {"publisher": "microsoft"})) == [azure.pk]
    assert ids(client.get(api(world.a, "catalog/"), {"billing_type": "usage"})) == [azure.pk]
    assert ids(client.get(api(world.a, "catalog/"), {"program": "no_overallocation"})) == [visio.pk]
    refused = client.get(api(world.a, "catalog/"), {"program": "sometimes"})
    assert refused.status_code == 400 and "program" in refused.json()["errors"]

    assert client.get(api(world.a, f"catalog/{office.pk}/")).json()["sku_code"] == "O365-E3"
    assert client.get(api(world.a, f"catalog/{other.pk}/")).status_code == 404


def test_distributor_admin_manages_the_catalog_and_others_may_not(world, login):
    body = {
        "product_code": "CFQ7TTC0LF8R",
        "sku_code": "P1Y",
        "name": "Microsoft 365 Business Premium",
        "publisher": "Microsoft",
        "unit_price": "18.6000",
        "billing_type": "license",
        "program": "no_overallocation",
    }
    url = api(world.a, "catalog/", org=world.a.distributor)
    admin = login(world.a.users["dist_admin"])
    created = admin.post(url, body, content_type=JSON)
    assert created.status_code == 201, created.content
    product = created.json()
    assert product["unit_price"] == "18.6000" and product["currency"] == world.a.distributor.currency
    assert product["allows_overallocation"] is False and product["is_active"] is True

    duplicate = admin.post(url, body, content_type=JSON)
    assert duplicate.status_code == 400 and "sku_code" in duplicate.json()["errors"]

    detail = api(world.a, f"catalog/{product['id']}/", org=world.a.distributor)
    changed = admin.patch(detail, {"unit_price": "17.5", "is_active": False}, content_type=JSON)
    assert changed.status_code == 200, changed.content
    assert changed.json()["unit_price"] == "17.5000" and changed.json()["is_active"] is False
    assert changed.json()["name"] == body["name"]  # untouched

    # Numbers are not text and text is not a number.
    assert admin.patch(detail, {"unit_price": 17.5}, content_type=JSON).status_code == 400
    assert admin.patch(detail, {"unit_price": "1e3"}, content_type=JSON).status_code == 400
    assert admin.patch(detail, {"currency": "eur"}, content_type=JSON).status_code == 400

    reviewer = login(world.a.users["dist_reviewer"])
    assert reviewer.get(detail).status_code == 200
    assert reviewer.post(url, {**body, "sku_code": "P1M"}, content_type=JSON).status_code == 403
    assert reviewer.patch(detail, {"name": "Renamed"}, content_type=JSON).status_code == 403
    msp_admin = login(world.a.users["msp_admin"])
    assert msp_admin.get(api(world.a, f"catalog/{product['id']}/")).status_code == 200
    assert msp_admin.post(api(world.a, "catalog/"), body, content_type=JSON).status_code == 403
    assert (
        msp_admin.patch(api(world.a, f"catalog/{product['id']}/"), {}, content_type=JSON).status_code == 403
    )
    # Another distributor's admin does not even see it.
    other = login(world.b.users["dist_admin"])
    other_url = api(world.b, f"catalog/{product['id']}/", org=world.b.distributor)
    assert other.patch(other_url, {"name": "Mine"}, content_type=JSON).status_code == 404


# --- cost centers -----------------------------------------------------------------------------


def test_cost_centers_create_list_rename_and_reparent(world, login, holding):
    client = login(world.a.users["msp_admin"])
    created = client.post(
        api(world.a, "cost-centers/"), {"code": "OPS", "name": "Operations"}, content_type=JSON
    )
    assert created.status_code == 201, created.content
    ops = created.json()
    assert ops["parent"] is None and ops["license_count"] == 0

    duplicate = client.post(
        api(world.a, "cost-centers/"), {"code": "OPS", "name": "Again"}, content_type=JSON
    )
    assert duplicate.status_code == 400 and "code" in duplicate.json()["errors"]
    not_text = client.post(api(world.a, "cost-centers/"), {"code": 12, "name": "Twelve"}, content_type=JSON)
    assert not_text.status_code == 400 and "code" in not_text.json()["errors"]

    sales = holding["a"]["sales"]
    moved = client.patch(
        api(world.a, f"cost-centers/{ops['id']}/"), {"parent": sales.pk, "name": "Ops"}, content_type=JSON
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["parent"] == {"id": sales.pk, "code": "SALES-A", "name": "Sales A"}
    assert moved.json()["code"] == "OPS" and moved.json()["name"] == "Ops"
    loop = client.patch(api(world.a, f"cost-centers/{sales.pk}/"), {"parent": ops["id"]}, content_type=JSON)
    assert loop.status_code == 400 and "parent" in loop.json()["errors"]
    foreign_parent = client.patch(
        api(world.a, f"cost-centers/{ops['id']}/"), {"parent": holding["b"]["sales"].pk}, content_type=JSON
    )
    assert foreign_parent.status_code == 400

    listed = client.get(api(world.a, "cost-centers/")).json()["results"]
    assert [row["code"] for row in listed] == ["OPS", "SALES-A", "SUP-A"]
    assert {row["code"]: row["license_count"] for row in listed} == {"OPS": 0, "SALES-A": 3, "SUP-A": 1}
    assert [
        row["code"] for row in client.get(api(world.a, "cost-centers/"), {"q": "sup"}).json()["results"]
    ] == ["SUP-A"]
    assert client.get(api(world.a, f"cost-centers/{sales.pk}/")).json()["license_count"] == 3
    assert client.get(api(world.a, f"cost-centers/{holding['b']['sales'].pk}/")).status_code == 404


def test_cost_center_roles(world, login, holding):
    sales = holding["a"]["sales"]
    viewer = login(world.a.users["msp_viewer"])
    assert viewer.get(api(world.a, "cost-centers/")).status_code == 200
    assert (
        viewer.post(api(world.a, "cost-centers/"), {"code": "X", "name": "X"}, content_type=JSON).status_code
        == 403
    )
    assert (
        viewer.patch(api(world.a, f"cost-centers/{sales.pk}/"), {"name": "X"}, content_type=JSON).status_code
        == 403
    )
    billing = login(world.a.users["msp_billing"])
    assert billing.get(api(world.a, "cost-centers/")).status_code == 403
    # Licensing belongs to MSPs: a distributor has no such resource.
    distributor = login(world.a.users["dist_admin"])
    assert distributor.get(api(world.a, "cost-centers/", org=world.a.distributor)).status_code == 404


# --- subscriptions ----------------------------------------------------------------------------


def test_subscription_status_and_overview(world, login, holding, assign):
    a = holding["a"]
    for name in ("Carol", "Dave", "Erin"):
        assign(world.a, a["flexible_sub"], name)  # 5 assigned of 4 owned: one over-allocated
    client = login(world.a.users["msp_viewer"])

    listed = client.get(api(world.a, "subscriptions/"))
    assert sorted(ids(listed)) == sorted([a["flexible_sub"].pk, a["strict_sub"].pk])
    flexible = client.get(api(world.a, f"subscriptions/{a['flexible_sub'].pk}/")).json()
    assert {
        key: flexible[key] for key in ("owned", "assigned", "free", "excess", "percent", "can_be_removed")
    } == {
        "owned": 4,
        "assigned": 5,
        "free": 0,
        "excess": 1,
        "percent": 125,
        "can_be_removed": 0,
    }
    assert flexible["near_capacity"] is False
    assert flexible["product"]["sku_code"] == "OFF-A" and flexible["product"]["allows_overallocation"] is True
    assert flexible["peak_year"]["units"] == 5 and flexible["peak_year"]["first_reached"]
    assert flexible["peak_term"]["units"] == 5
    assert flexible["true_up"]["units"] == 1
    assert flexible["true_up"]["amount"] == "10.00" and flexible["true_up"]["currency"] == "EUR"
    assert flexible["true_up"]["date"] > flexible["term_start"]

    strict = client.get(api(world.a, f"subscriptions/{a['strict_sub'].pk}/")).json()
    assert (strict["owned"], strict["assigned"], strict["free"], strict["true_up"]["units"]) == (1, 0, 1, 0)

    overview = client.get(api(world.a, "subscriptions/overview/"))
    assert overview.status_code == 200
    assert overview.json() == {
        "overallocation_count": 1,
        "overallocated_subscriptions": 1,
        "near_capacity_subscriptions": 0,
        "subscriptions": 2,
    }
    assert client.get(api(world.a, f"subscriptions/{holding['b']['flexible_sub'].pk}/")).status_code == 404


def test_assign_gives_a_license_and_the_last_one_of_a_strict_program_is_409(world, login, holding):
    a = holding["a"]
    client = login(world.a.users["msp_admin"])
    url = api(world.a, f"subscriptions/{a['strict_sub'].pk}/assign/")
    first = client.post(
        url,
        {
            "name": "Zoé Petit",
            "email": "Zoe.Petit@Customer.example",
            "extension": "4021",
            "cost_center": a["support"].pk,
        },
        content_type=JSON,
    )
    assert first.status_code == 201, first.content
    license = first.json()
    assert license["state"] == "assigned" and license["is_overage"] is False
    assert (
        license["assignee_email"] == "zoe.petit@customer.example" and license["assignee_extension"] == "4021"
    )
    assert license["cost_center"]["code"] == "SUP-A" and license["subscription"] == a["strict_sub"].pk

    refused = client.post(url, {"name": "One too many"}, content_type=JSON)
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_free_license"
    assert "does not allow over-allocation" in refused.json()["detail"]
    assert licenses_of(world.a, a["strict_sub"]).count() == 1

    # A program that allows over-allocation adds an over-allocated seat instead.
    extra = [
        client.post(
            api(world.a, f"subscriptions/{a['flexible_sub'].pk}/assign/"), {"name": n}, content_type=JSON
        )
        for n in ("Carol", "Dave", "Erin")
    ]
    assert [response.status_code for response in extra] == [201, 201, 201]
    assert [response.json()["is_overage"] for response in extra] == [False, False, True]


def test_assign_refuses_bad_input(world, login, holding):
    a = holding["a"]
    client = login(world.a.users["msp_admin"])
    url = api(world.a, f"subscriptions/{a['flexible_sub'].pk}/assign/")
    nobody = client.post(url, {}, content_type=JSON)
    assert nobody.status_code == 400 and "name" in nobody.json()["errors"]
    assert client.post(url, {"email": "not-an-address"}, content_type=JSON).status_code == 400
    assert client.post(url, {"name": "X", "extension": 4021}, content_type=JSON).status_code == 400
    # Lengths count what was sent, spaces included.
    assert client.post(url, {"name": "X", "extension": "1" * 20 + " "}, content_type=JSON).status_code == 400
    assert client.post(url, {"extension": " " * 21}, content_type=JSON).status_code == 400
    foreign = client.post(url, {"name": "X", "cost_center": holding["b"]["sales"].pk}, content_type=JSON)
    assert foreign.status_code == 400 and "cost_center" in foreign.json()["errors"]
    assert client.post(url, {"name": "X", "cost_center": "1"}, content_type=JSON).status_code == 400
    assert licenses_of(world.a, a["flexible_sub"]).filter(assigned_at__isnull=False).count() == 2


def test_remove_only_up_to_what_can_be_removed(world, login, holding):
    a = holding["a"]
    client = login(world.a.users["msp_admin"])
    url = api(world.a, f"subscriptions/{a['flexible_sub'].pk}/remove/")
    too_many = client.post(url, {"quantity": 3}, content_type=JSON)  # 4 owned, 2 assigned
    assert too_many.status_code == 400
    assert too_many.json()["errors"] == {"quantity": ["At most 2."]}
    assert client.post(url, {"quantity": "1"}, content_type=JSON).status_code == 400
    assert client.post(url, {"quantity": 0}, content_type=JSON).status_code == 400

    removed = client.post(url, {"quantity": 2}, content_type=JSON)
    assert removed.status_code == 200, removed.content
    assert removed.json()["removed"] == 2
    status = removed.json()["subscription"]
    assert (status["owned"], status["assigned"], status["can_be_removed"]) == (2, 2, 0)
    assert licenses_of(world.a, a["flexible_sub"]).filter(assigned_at__isnull=False).count() == 2


def test_history_is_paginated_and_the_csv_lists_new_maxima(world, login, holding, assign, unassign):
    a = holding["a"]
    assign(world.a, a["flexible_sub"], "Carol")  # 3
    unassign(world.a, a["alice"])  # 2
    assign(world.a, a["flexible_sub"], "Dave")  # 3 again: not a new maximum
    assign(world.a, a["flexible_sub"], "Erin")  # 4
    client = login(world.a.users["msp_viewer"])

    history = client.get(api(world.a, f"subscriptions/{a['flexible_sub'].pk}/history/"), {"page_size": 3})
    assert history.status_code == 200
    page = history.json()
    assert (
        page["count"]
        == AssignmentEvent.objects.for_tenant(world.a.msp).filter(subscription=a["flexible_sub"]).count()
    )
    assert page["count"] == 7 and page["next"]
    first = page["results"][0]
    assert first["kind"] == HistoryKind.PURCHASED and first["owned_after"] == 4
    assert first["actor"] == "msp_admin@a.example"
    assert page["results"][1]["kind"] == "assigned" and page["results"][1]["assigned_delta"] == 1
    assert "Alice Martin" in page["results"][1]["assignee"]

    response = client.get(api(world.a, f"subscriptions/{a['flexible_sub'].pk}/history.csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="assignment-peaks-off-a.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["reached_at", "assigned", "owned", "over_allocated"]
    assert [row[1:] for row in rows[1:]] == [
        ["1", "4", "0"],
        ["2", "4", "0"],
        ["3", "4", "0"],
        ["4", "4", "0"],
    ]

    # An Accept header asking for CSV still gets JSON errors.
    missing = client.get(
        api(world.a, f"subscriptions/{holding['b']['flexible_sub'].pk}/history.csv"), HTTP_ACCEPT="text/csv"
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert (
        client.get(api(world.a, f"subscriptions/{a['flexible_sub'].pk}/history/"), {"page": "x"}).status_code
        == 400
    )


# --- licenses ---------------------------------------------------------------------------------


def test_license_list_filters(world, login, holding):
    a = holding["a"]
    client = login(world.a.users["msp_viewer"])
    url = api(world.a, "licenses/")
    everything = ids(client.get(url))
    assert len(everything) == 5  # 4 + 1 owned
    assert ids(client.get(url, {"q": "alice"})) == [a["alice"].pk]
    assert ids(client.get(url, {"q": "vis-a"})) == list(
        licenses_of(world.a, a["strict_sub"]).values_list("pk", flat=True)
    )
    assert len(ids(client.get(url, {"cost_center": a["sales"].pk}))) == 3
    assert len(ids(client.get(url, {"cost_center": [a["sales"].pk, a["support"].pk]}))) == 4
    assert ids(client.get(url, {"cost_center": "none"})) == list(
        licenses_of(world.a, a["strict_sub"]).values_list("pk", flat=True)
    )
    assert len(ids(client.get(url, {"cost_center": [a["support"].pk, "none"]}))) == 2
    foreign = client.get(url, {"cost_center": holding["b"]["sales"].pk})
    assert foreign.status_code == 400 and "cost_center" in foreign.json()["errors"]
    assert client.get(url, {"subscription": holding["b"]["flexible_sub"].pk}).status_code == 400
    assert len(ids(client.get(url, {"subscription": a["flexible_sub"].pk}))) == 4
    assert sorted(ids(client.get(url, {"state": "assigned"}))) == sorted([a["alice"].pk, a["bob"].pk])
    assert len(ids(client.get(url, {"state": "free", "subscription": a["flexible_sub"].pk}))) == 2

    row = client.get(url, {"q": "alice"}).json()["results"][0]
    assert row["product"]["name"] == "Office A" and row["cost_center"]["code"] == "SALES-A"
    assert row["assignee_name"] == "Alice Martin" and row["state"] == "assigned" and row["created_at"]

    for bad in (
        {"cost_center": "abc"},
        {"cost_center": "1.0"},
        {"subscription": " 1"},
        {"state": "busy"},
        {"q": ""},
    ):
        response = client.get(url, bad)
        assert response.status_code == 400, bad
        assert set(response.json()["errors"]) == set(bad)

    assert client.get(api(world.a, f"licenses/{a['alice'].pk}/")).json()["assignee_name"] == "Alice Martin"
    assert client.get(api(world.a, f"licenses/{holding['b']['alice'].pk}/")).status_code == 404


def test_unassign_returns_the_license_to_the_pool(world, login, holding):
    a = holding["a"]
    viewer = login(world.a.users["msp_viewer"])
    assert viewer.post(api(world.a, f"licenses/{a['alice'].pk}/unassign/")).status_code == 403
    client = login(world.a.users["msp_admin"])
    response = client.post(api(world.a, f"licenses/{a['alice'].pk}/unassign/"))
    assert response.status_code == 204
    license = client.get(api(world.a, f"licenses/{a['alice'].pk}/")).json()
    assert license["state"] == "free" and license["assignee_name"] == "" and license["assigned_at"] is None
    assert license["cost_center"]["code"] == "SALES-A"  # stays charged where it was
    # A repeated click changes nothing; the peak stays.
    assert client.post(api(world.a, f"licenses/{a['alice'].pk}/unassign/")).status_code == 204
    status = client.get(api(world.a, f"subscriptions/{a['flexible_sub'].pk}/")).json()
    assert (status["assigned"], status["peak_year"]["units"]) == (1, 2)


def test_move_licenses_to_another_cost_center(world, login, holding):
    a = holding["a"]
    client = login(world.a.users["msp_admin"])
    url = api(world.a, "licenses/move/")
    moved = client.post(
        url, {"license_ids": [a["alice"].pk, a["bob"].pk], "cost_center": a["support"].pk}, content_type=JSON
    )
    assert moved.status_code == 200 and moved.json() == {"moved": 2}
    assert len(ids(client.get(api(world.a, "licenses/"), {"cost_center": a["support"].pk}))) == 3

    # One license of another organisation spoils the whole request.
    mixed = client.post(
        url,
        {"license_ids": [a["alice"].pk, holding["b"]["alice"].pk], "cost_center": None},
        content_type=JSON,
    )
    assert mixed.status_code == 400
    assert License.objects.for_tenant(world.a.msp).get(pk=a["alice"].pk).cost_center_id == a["support"].pk
    assert client.post(url, {"license_ids": [], "cost_center": None}, content_type=JSON).status_code == 400
    assert (
        client.post(
            url, {"license_ids": [str(a["bob"].pk)], "cost_center": None}, content_type=JSON
        ).status_code
        == 400
    )

    to_none = client.post(url, {"license_ids": [a["bob"].pk], "cost_center": None}, content_type=JSON)
    assert to_none.status_code == 200
    assert client.get(api(world.a, f"licenses/{a['bob'].pk}/")).json()["cost_center"] is None
    viewer = login(world.a.users["msp_viewer"])
    assert (
        viewer.post(url, {"license_ids": [a["bob"].pk], "cost_center": None}, content_type=JSON).status_code
        == 403
    )


def _upload(client, side, content: bytes):
    return client.post(
        api(side, "licenses/bulk-assign/"),
        {"file": SimpleUploadedFile("assign.csv", content, content_type="text/csv")},
    )


def test_bulk_assign_applies_a_good_file(world, login, holding):
    a = holding["a"]
    client = login(world.a.users["msp_admin"])
    content = b"sku,name,email,extension,cost_center\nOFF-A,Carol,carol@customer.example,,SUP-A\nVIS-A,Dave,,4022,\n"
    response = _upload(client, world.a, content)
    assert response.status_code == 200, response.content
    assert response.json() == {"applied": 2}
    carol = License.objects.for_tenant(world.a.msp).get(assignee_name="Carol")
    assert carol.cost_center == a["support"] and carol.subscription == a["flexible_sub"]
    assert licenses_of(world.a, a["strict_sub"]).get().assignee_extension == "4022"


def test_bulk_assign_with_bad_rows_names_them_and_applies_nothing(world, login, holding):
    client = login(world.a.users["msp_admin"])
    before = License.objects.for_tenant(world.a.msp).filter(assigned_at__isnull=False).count()
    events = AssignmentEvent.objects.for_tenant(world.a.msp).count()
    content = (
        b"sku,name,email,extension,cost_center\n"
        b"OFF-A,Carol,carol@customer.example,,SUP-A\n"  # fine
        b"OFF-A,Dave,not-an-address,,\n"  # line 3: e-mail
        b"NOPE,Erin,,,\n"  # line 4: unknown SKU
        b"VIS-A,Fay,,,NOWHERE\n"  # line 5: unknown cost center
        b"VIS-A,Gus,,,\n"  # line 6: no free license left in a strict program
    )
    response = _upload(client, world.a, content)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid_rows"
    assert body["detail"].startswith("Nothing was assigned")
    assert [(row["line"], row["column"]) for row in body["rows"]] == [
        (3, "email"),
        (4, "sku"),
        (5, "cost_center"),
        (6, "sku"),
    ]
    assert list(body["errors"]) == ["rows.3.email", "rows.4.sku", "rows.5.cost_center", "rows.6.sku"]
    assert License.objects.for_tenant(world.a.msp).filter(assigned_at__isnull=False).count() == before
    assert AssignmentEvent.objects.for_tenant(world.a.msp).count() == events


def test_bulk_assign_wants_a_multipart_file(world, login, holding):
    client = login(world.a.users["msp_admin"])
    url = api(world.a, "licenses/bulk-assign/")
    assert client.post(url, {"file": "sku,name\n"}, content_type=JSON).status_code == 415
    missing = client.post(url, {})
    assert missing.status_code == 400 and "file" in missing.json()["errors"]
    not_utf8 = _upload(client, world.a, "sku,name\nOFF-A,Zoë\n".encode("latin-1"))
    # The line where the text stops being UTF-8 (the header is line 1).
    assert not_utf8.status_code == 400 and not_utf8.json()["rows"][0]["line"] == 2
    viewer = login(world.a.users["msp_viewer"])
    assert _upload(viewer, world.a, b"sku,name\nOFF-A,X\n").status_code == 403


# --- purchases --------------------------------------------------------------------------------


def test_purchase_split_over_cost_centers(world, login, product, cost_center):
    sales = cost_center(world.a, "SALES")
    support = cost_center(world.a, "SUP")
    office = product(world.a.distributor, price="12.35", sku="OFF")
    visio = product(world.a.distributor, price="7.10", sku="VIS")
    client = login(world.a.users["msp_admin"])
    body = {
        "lines": [
            {
                "product_id": office.pk,
                "quantity": 5,
                "allocations": [
                    {"cost_center": sales.pk, "quantity": 3},
                    {"cost_center": support.pk, "quantity": 2},
                ],
            },
            {"product_id": visio.pk, "quantity": 2},
        ],
        "acknowledged": True,
        "idempotency_key": "cart-1",
    }
    response = client.post(api(world.a, "purchases/"), body, content_type=JSON)
    assert response.status_code == 201, response.content
    purchase = response.json()
    assert purchase["total"] == "75.95"  # 5 × 12.35 + 2 × 7.10
    assert purchase["number"].startswith("P-") and purchase["created_by"] == "msp_admin@a.example"
    lines = {line["product"]["sku_code"]: line for line in purchase["lines"]}
    assert lines["OFF"]["total"] == "61.75" and lines["OFF"]["unit_price"] == "12.3500"
    assert [(a["cost_center"]["code"], a["quantity"]) for a in lines["OFF"]["allocations"]] == [
        ("SALES", 3),
        ("SUP", 2),
    ]
    assert [(a["cost_center"], a["quantity"]) for a in lines["VIS"]["allocations"]] == [(None, 2)]

    office_sub = subscription_of(world.a, office)
    assert licenses_of(world.a, office_sub).filter(cost_center=sales).count() == 3
    assert licenses_of(world.a, office_sub).filter(cost_center=support).count() == 2
    detail = client.get(api(world.a, f"purchases/{purchase['id']}/"))
    assert detail.status_code == 200 and detail.json() == purchase
    assert ids(client.get(api(world.a, "purchases/"))) == [purchase["id"]]


def test_purchase_whose_split_does_not_add_up_is_refused(world, login, product, cost_center):
    sales = cost_center(world.a, "SALES")
    office = product(world.a.distributor)
    client = login(world.a.users["msp_admin"])
    body = {
        "lines": [
            {
                "product_id": office.pk,
                "quantity": 5,
                "allocations": [{"cost_center": sales.pk, "quantity": 4}],
            }
        ],
        "acknowledged": True,
        "idempotency_key": "cart-bad",
    }
    response = client.post(api(world.a, "purchases/"), body, content_type=JSON)
    assert response.status_code == 400
    assert "add up to 4 licenses instead of 5" in response.json()["detail"]
    assert not Purchase.objects.for_tenant(world.a.msp).exists()
    unacknowledged = client.post(
        api(world.a, "purchases/"),
        {**body, "lines": [{"product_id": office.pk, "quantity": 5}], "acknowledged": False},
        content_type=JSON,
    )
    assert unacknowledged.status_code == 400 and "acknowledged" in unacknowledged.json()["errors"]
    as_text = client.post(api(world.a, "purchases/"), {**body, "acknowledged": "true"}, content_type=JSON)
    assert as_text.status_code == 400 and "acknowledged" in as_text.json()["errors"]
    empty = client.post(api(world.a, "purchases/"), {**body, "lines": []}, content_type=JSON)
    assert empty.status_code == 400 and "lines" in empty.json()["errors"]
    # Another distributor's product is not in the catalog.
    foreign = product(world.b.distributor)
    response = client.post(
        api(world.a, "purchases/"),
        {**body, "lines": [{"product_id": foreign.pk, "quantity": 1}]},
        content_type=JSON,
    )
    assert response.status_code == 400 and "not in your distributor's catalog" in response.json()["detail"]
    assert not Purchase.objects.for_tenant(world.a.msp).exists()


def test_repeated_purchase_key_returns_the_same_purchase(world, login, product):
    office = product(world.a.distributor)
    client = login(world.a.users["msp_admin"])
    body = {
        "lines": [{"product_id": office.pk, "quantity": 3}],
        "acknowledged": True,
        "idempotency_key": "cart-7",
    }
    first = client.post(api(world.a, "purchases/"), body, content_type=JSON)
    again = client.post(api(world.a, "purchases/"), body, content_type=JSON)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Purchase.objects.for_tenant(world.a.msp).count() == 1
    assert licenses_of(world.a, subscription_of(world.a, office)).count() == 3


def test_purchase_turns_over_allocated_seats_into_owned_licenses(world, login, holding):
    a = holding["a"]
    client = login(world.a.users["msp_admin"])
    assign_url = api(world.a, f"subscriptions/{a['flexible_sub'].pk}/assign/")
    for name in ("Carol", "Dave", "Erin"):
        assert client.post(assign_url, {"name": name}, content_type=JSON).status_code == 201
    assert client.get(api(world.a, "subscriptions/overview/")).json()["overallocation_count"] == 1
    body = {
        "lines": [{"product_id": a["flexible"].pk, "quantity": 2}],
        "acknowledged": True,
        "idempotency_key": "more",
    }
    assert client.post(api(world.a, "purchases/"), body, content_type=JSON).status_code == 201
    status = client.get(api(world.a, f"subscriptions/{a['flexible_sub'].pk}/")).json()
    assert (status["owned"], status["assigned"], status["excess"], status["free"]) == (6, 5, 0, 1)
    assert status["true_up"]["units"] == 0  # the past-year peak (5) is owned now
    assert client.get(api(world.a, "subscriptions/overview/")).json()["overallocation_count"] == 0


def test_purchase_roles(world, login, product):
    office = product(world.a.distributor)
    body = {"lines": [{"product_id": office.pk, "quantity": 1}], "acknowledged": True, "idempotency_key": "k"}
    viewer = login(world.a.users["msp_viewer"])
    assert viewer.get(api(world.a, "purchases/")).status_code == 200
    assert viewer.post(api(world.a, "purchases/"), body, content_type=JSON).status_code == 403
    billing = login(world.a.users["msp_billing"])
    assert billing.post(api(world.a, "purchases/"), body, content_type=JSON).status_code == 403
    distributor = login(world.a.users["dist_admin"])
    assert (
        distributor.post(
            api(world.a, "purchases/", org=world.a.distributor), body, content_type=JSON
        ).status_code
        == 404
    )
    assert not Purchase.objects.for_tenant(world.a.msp).exists()


# --- roles and the two organisations ----------------------------------------------------------


def test_viewer_is_refused_every_write(world, login, holding):
    a = holding["a"]
    viewer = login(world.a.users["msp_viewer"])
    writes = [
        ("post", "cost-centers/", {"code": "X", "name": "X"}),
        ("patch", f"cost-centers/{a['sales'].pk}/", {"name": "X"}),
        ("post", f"subscriptions/{a['flexible_sub'].pk}/assign/", {"name": "X"}),
        ("post", f"subscriptions/{a['flexible_sub'].pk}/remove/", {"quantity": 1}),
        ("post", f"licenses/{a['alice'].pk}/unassign/", None),
        ("post", "licenses/move/", {"license_ids": [a["bob"].pk], "cost_center": None}),
        ("post", "purchases/", {"lines": [], "acknowledged": True, "idempotency_key": "v"}),
        ("post", "catalog/", {}),
        ("patch", f"catalog/{a['flexible'].pk}/", {}),
    ]
    for method, path, body in writes:
        response = getattr(viewer, method)(api(world.a, path), body, content_type=JSON)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "permission_denied"
    assert licenses_of(world.a, a["flexible_sub"]).filter(assigned_at__isnull=False).count() == 2


def test_lists_never_include_the_other_organisations_objects(world, login, holding):
    client = login(world.a.users["msp_admin"])
    b = holding["b"]
    theirs = {
        "catalog/": {b["flexible"].pk, b["strict"].pk},
        "cost-centers/": {b["sales"].pk, b["support"].pk},
        "subscriptions/": {b["flexible_sub"].pk, b["strict_sub"].pk},
        "licenses/": set(License.objects.for_tenant(world.b.msp).values_list("pk", flat=True)),
        "purchases/": set(Purchase.objects.for_tenant(world.b.msp).values_list("pk", flat=True)),
    }
    for path, their_ids in theirs.items():
        mine = set(ids(client.get(api(world.a, path), {"page_size": 500})))
        assert mine, path
        assert not mine & their_ids, path
    history = client.get(api(world.a, f"subscriptions/{holding['a']['flexible_sub'].pk}/history/")).json()
    their_events = set(AssignmentEvent.objects.for_tenant(world.b.msp).values_list("pk", flat=True))
    assert history["results"] and not {row["id"] for row in history["results"]} & their_events
    assert client.get(api(world.a, "subscriptions/overview/")).json()["subscriptions"] == 2
    # Ids of the other organisation are 404 on every detail route and action.
    for path in (
        f"catalog/{b['flexible'].pk}/",
        f"cost-centers/{b['sales'].pk}/",
        f"subscriptions/{b['flexible_sub'].pk}/history/",
        f"licenses/{b['alice'].pk}/",
    ):
        assert client.get(api(world.a, path)).status_code == 404, path
    assert client.post(api(world.a, f"licenses/{b['alice'].pk}/unassign/")).status_code == 404
    assert (
        client.post(
            api(world.a, f"subscriptions/{b['flexible_sub'].pk}/assign/"), {"name": "X"}, content_type=JSON
        ).status_code
        == 404
    )
    assert License.objects.for_tenant(world.b.msp).filter(assigned_at__isnull=False).count() == 2


def test_the_schema_documents_the_licensing_api(client, db):
    schema = client.get("/api/v1/schema/").content.decode()
    for path in (
        "/api/v1/orgs/{org_slug}/catalog/{product_id}/",
        "/api/v1/orgs/{org_slug}/subscriptions/overview/",
        "/api/v1/orgs/{org_slug}/subscriptions/{subscription_id}/history.csv",
        "/api/v1/orgs/{org_slug}/licenses/bulk-assign/",
        "/api/v1/orgs/{org_slug}/purchases/{purchase_id}/",
    ):
        assert path in schema
    assert "text/csv" in schema and "multipart/form-data" in schema
