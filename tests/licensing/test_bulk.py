"""Assigning licenses from a CSV file (docs/licensing.md): every problem is reported with its line and
column, and a file with any problem assigns nothing."""

import pytest

from licensing import bulk, services
from licensing.bulk import parse_assignment_csv
from licensing.choices import Program
from licensing.models import AssignmentEvent, License

from .conftest import acting, licenses_of, subscription_of


def errors_of(raw: bytes) -> list[tuple[int, str]]:
    return [(error.line, error.column) for error in parse_assignment_csv(raw)[1]]


# --- parsing -----------------------------------------------------------------------------------


def test_a_good_file_gives_its_rows_with_their_lines():
    raw = (
        b"sku,name,email,extension,cost_center\n"
        b"M365-E3, Ann Lee ,Ann.Lee@Customer.example,,SALES\n"
        b"M365-E3,,,4021,\n"
    )

    rows, errors = parse_assignment_csv(raw)

    assert errors == []
    assert [(r.line, r.sku, r.name, r.email, r.extension, r.cost_center) for r in rows] == [
        (2, "M365-E3", "Ann Lee", "ann.lee@customer.example", "", "SALES"),
        (3, "M365-E3", "", "", "4021", ""),
    ]


def test_columns_may_come_in_any_order_with_any_case_and_a_byte_order_mark():
    raw = "\ufeffCost_Center , EMAIL,Sku\nOPS,bob@customer.example,TEAMS\n".encode()

    rows, errors = parse_assignment_csv(raw)

    assert errors == []
    assert [(r.sku, r.email, r.cost_center, r.name) for r in rows] == [
        ("TEAMS", "bob@customer.example", "OPS", "")
    ]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty-file"),
        pytest.param(b"name,email\nAnn,ann@customer.example\n", id="no-sku-column"),
        pytest.param(b"M365,Ann,ann@customer.example\n", id="data-instead-of-header"),
    ],
)
def test_a_header_naming_the_sku_column_is_required(raw):
    rows, errors = parse_assignment_csv(raw)

    assert rows == []
    assert [(e.line, e.column) for e in errors] == [(1, "sku, product")]
    assert "sku" in errors[0].message


def test_blank_lines_are_skipped():
    raw = b"sku,name\n\nM365,Ann\n,\n\nM365,Bob\n\n"

    rows, errors = parse_assignment_csv(raw)

    assert errors == []
    assert [r.name for r in rows] == ["Ann", "Bob"]


def test_an_error_after_a_blank_line_names_the_line_of_the_file():
    raw = b"sku,name,email\n\nM365,Ann,not-an-email\n"

    errors = parse_assignment_csv(raw)[1]

    assert [(e.line, e.column) for e in errors] == [(3, "email")], (
        "the bad e-mail is on line 3 of the file (header, blank line, row) but the error names "
        f"line {errors[0].line}: blank lines are not counted"
    )


def test_each_bad_row_is_named_with_its_line_column_and_reason():
    raw = (
        "sku,name,email,extension\n"
        "M365,Ann,ann@customer.example,\n"  # 2: good
        "M365,Bob,bob(at)customer,\n"  # 3: bad e-mail
        "M365,,,\n"  # 4: nobody
        ",Cid,,\n"  # 5: no SKU
        f"M365,{'x' * 201},,\n"  # 6: name too long
        f"M365,Dan,,{'9' * 21}\n"  # 7: extension too long
    ).encode()

    rows, errors = parse_assignment_csv(raw)

    assert [(e.line, e.column) for e in errors] == [
        (3, "email"),
        (4, "name"),
        (5, "sku"),
        (6, "name"),
        (7, "extension"),
    ]
    assert "bob(at)customer" in errors[0].message
    assert len(rows) == 6


def test_a_file_that_is_not_utf8_is_refused():
    raw = "sku,name\nM365,Zoé Müller\n".encode("latin-1")

    rows, errors = parse_assignment_csv(raw)

    assert rows == []
    assert len(errors) == 1 and "UTF-8" in errors[0].message


def test_a_file_too_large_is_refused():
    raw = b"sku,name\n" + b"M365,Somebody\n" * (bulk.MAX_BYTES // 14 + 10)
    assert len(raw) > bulk.MAX_BYTES

    rows, errors = parse_assignment_csv(raw)

    assert rows == []
    assert len(errors) == 1 and "2 MB" in errors[0].message


def test_a_file_with_too_many_rows_is_refused():
    at_most = b"sku,name\n" + b"M365,Somebody\n" * bulk.MAX_ROWS
    assert parse_assignment_csv(at_most)[1] == []

    errors = parse_assignment_csv(at_most + b"M365,One Too Many\n")[1]

    assert [(e.line, e.column) for e in errors] == [(bulk.MAX_ROWS + 2, "")]
    assert str(bulk.MAX_ROWS) in errors[0].message


def test_a_header_without_rows_is_reported():
    rows, errors = parse_assignment_csv(b"sku,name\n\n")

    assert rows == [] and len(errors) == 1


# --- applying a file -------------------------------------------------------------------------------


def bulk_assign(side, raw: bytes):
    tenant = acting(side)
    return services.licenses_bulk_assign(tenant=tenant, acting_user=tenant.membership.user, raw=raw)


@pytest.fixture
def catalog(world, product, buy, cost_center):
    """MSP A owns 3 licenses of E3 (forbids over-allocation) and 1 of TEAMS (true-up), with
    cost centers SALES and OPS."""
    e3 = product(world.a.distributor, program=Program.NO_OVERALLOCATION, sku="M365-E3")
    teams = product(world.a.distributor, program=Program.TRUE_UP, sku="TEAMS")
    buy(world.a, e3, 3)
    buy(world.a, teams, 1)
    return {
        "e3": subscription_of(world.a, e3),
        "teams": subscription_of(world.a, teams),
        "sales": cost_center(world.a, "SALES"),
        "ops": cost_center(world.a, "OPS"),
    }


def assigned(side, subscription) -> int:
    return licenses_of(side, subscription).filter(assigned_at__isnull=False).count()


def assignment_events(side) -> int:
    return AssignmentEvent.objects.for_tenant(side.msp).filter(assigned_delta=1).count()


def test_a_good_file_assigns_every_row_with_its_cost_center(world, catalog):
    raw = (
        b"email,sku,cost_center,name\n"
        b"ann@customer.example,M365-E3,SALES,Ann\n"
        b"bob@customer.example,m365-e3,ops,Bob\n"
        b"cid@customer.example,TEAMS,,Cid\n"
        b"dan@customer.example,TEAMS,OPS,Dan\n"  # beyond the 1 owned: the program allows it
    )

    result = bulk_assign(world.a, raw)

    assert (result.applied, result.errors) == (4, [])
    e3 = licenses_of(world.a, catalog["e3"])
    assert {
        (lic.assignee_email, lic.cost_center.code if lic.cost_center else None)
        for lic in e3.filter(assigned_at__isnull=False)
    } == {
        ("ann@customer.example", "SALES"),
        ("bob@customer.example", "OPS"),
    }
    teams = licenses_of(world.a, catalog["teams"]).filter(assigned_at__isnull=False)
    assert {(lic.assignee_name, lic.is_overage) for lic in teams} == {("Cid", False), ("Dan", True)}
    assert teams.get(assignee_name="Dan").cost_center == catalog["ops"]
    assert assignment_events(world.a) == 4


def test_one_bad_row_among_good_ones_assigns_nothing(world, catalog):
    raw = (
        b"sku,name,email\n"
        b"M365-E3,Ann,ann@customer.example\n"
        b"M365-E3,Bob,bob@@customer.example\n"
        b"TEAMS,Cid,cid@customer.example\n"
    )

    result = bulk_assign(world.a, raw)

    assert result.applied == 0
    assert [(e.line, e.column) for e in result.errors] == [(3, "email")]
    assert "bob@@customer.example" in result.errors[0].message
    assert assigned(world.a, catalog["e3"]) == 0 and assigned(world.a, catalog["teams"]) == 0
    assert assignment_events(world.a) == 0


def test_an_unknown_sku_and_an_unknown_cost_center_are_reported(world, catalog, product):
    foreign = product(world.b.distributor, sku="THEIR-SKU")
    raw = (
        "sku,name,cost_center\n"
        "M365-E3,Ann,SALES\n"
        "NOPE-1,Bob,\n"
        "M365-E3,Cid,NOWHERE\n"
        f"{foreign.sku_code},Dan,\n"
    ).encode()

    result = bulk_assign(world.a, raw)

    assert result.applied == 0
    assert [(e.line, e.column) for e in result.errors] == [(3, "sku"), (4, "cost_center"), (5, "sku")]
    assert "NOPE-1" in result.errors[0].message and "NOWHERE" in result.errors[1].message
    assert assigned(world.a, catalog["e3"]) == 0
    assert not License.objects.for_tenant(world.b.msp).exists()


def test_rows_beyond_the_free_licenses_of_a_forbidding_program_are_reported(world, catalog, assign):
    assign(world.a, catalog["e3"], "Already There")  # 2 of 3 free
    raw = b"sku,name\nM365-E3,Ann\nTEAMS,Bob\nM365-E3,Cid\nM365-E3,Dan\nM365-E3,Eve\n"

    result = bulk_assign(world.a, raw)

    assert result.applied == 0
    assert [(e.line, e.column) for e in result.errors] == [(5, "sku"), (6, "sku")]
    assert "2 free" in result.errors[0].message
    assert assigned(world.a, catalog["e3"]) == 1 and assigned(world.a, catalog["teams"]) == 0
    assert assignment_events(world.a) == 1


def test_a_file_that_cannot_be_read_assigns_nothing(world, catalog):
    result = bulk_assign(world.a, "sku,name\nM365-E3,Zoé\n".encode("latin-1"))

    assert result.applied == 0 and len(result.errors) == 1
    assert assigned(world.a, catalog["e3"]) == 0


def test_a_sku_shared_by_several_products_needs_the_product_id(world, product, buy):
    """Publishers reuse SKU ids across products (P1M: monthly seat): the row must then name the
    product, and it is refused rather than guessed."""
    from licensing.services import licenses_bulk_assign

    first = product(world.a.distributor, name="Suite A", sku="P1M")
    second = product(world.a.distributor, name="Suite B", sku="P1M")
    buy(world.a, first, 1)
    buy(world.a, second, 1)
    tenant = acting(world.a, "msp_admin")
    refused = licenses_bulk_assign(
        tenant=tenant, acting_user=tenant.membership.user, raw=b"sku,name\nP1M,Ann\n"
    )
    assert refused.applied == 0
    assert [(e.line, e.column) for e in refused.errors] == [(2, "product")]
    # The refusal names the ids to choose from, with their products.
    assert f"{first.product_code} (Suite A), {second.product_code} (Suite B)" in refused.errors[0].message
    done = licenses_bulk_assign(
        tenant=tenant,
        acting_user=tenant.membership.user,
        raw=f"product,sku,name\n{second.product_code},P1M,Ann\n".encode(),
    )
    assert done.applied == 1
    held = licenses_of(world.a, subscription_of(world.a, second))
    assert [license.assignee_name for license in held.filter(assigned_at__isnull=False)] == ["Ann"]


def test_a_shared_sku_is_resolved_by_the_products_name_too(world, product, buy, login):
    """The product column takes the product's name as well as its id (any case): a file
    written from the product names assigns without looking the ids up; the page lists the ids."""
    from licensing.services import licenses_bulk_assign

    first = product(world.a.distributor, name="Suite A", sku="P1M")
    second = product(world.a.distributor, name="Suite B", sku="P1M")
    buy(world.a, first, 1)
    buy(world.a, second, 1)
    tenant = acting(world.a, "msp_admin")
    done = licenses_bulk_assign(
        tenant=tenant, acting_user=tenant.membership.user, raw=b"product,sku,name\nsuite b,P1M,Ann\n"
    )
    assert done.applied == 1 and done.errors == []
    held = licenses_of(world.a, subscription_of(world.a, second))
    assert [license.assignee_name for license in held.filter(assigned_at__isnull=False)] == ["Ann"]

    page = login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/licensing/bulk-assign/")
    html = page.content.decode()
    assert page.status_code == 200
    assert first.product_code in html and second.product_code in html
