"""One description per table (reports/tables.py): the report list (an MSP's reports, a
distributor's review queue) and the lines of one report show on their page under the headers
their CSV download carries, in the same order, with the same figures; a filtered page and its
download (same query string) hold the same reports, and never another organisation's."""

import datetime as dt
import html
import re

import pytest
from django.utils import translation

from msp_portal.tenancy.resolve import resolve_tenant
from reports import services, tables

from ..factories import MspFactory
from ..wire import csv_rows

ROWS = [
    # product, name, unit type, unit price, provided, used (billable starts at used, else provided)
    ("MS-365-BP", "Microsoft 365 Business Premium", "seat", "14.50", 4, 3),  # 43.50, discrepant
    ("AZ-DNS", "Azure DNS zone", "zone", "0.1250", 1, None),  # 0.125 → 0.13, half-up
    ("AZ-IP", "Azure public IP address", "address", "0.1250", 1, None),  # 0.125 → 0.13
]
# The sum of the lines' rounded amounts (43.75 if the unrounded sum were rounded).
REPORT_AMOUNT = "43.76"
CLEAN = [("EDR-1", "Endpoint protection", "device", "3.50", 10, 10)]  # nothing to explain

_TH = re.compile(r'<th scope="col"(?: class="[^"]*")?>([^<]+)</th>')
_TR = re.compile(r"<tr[^>]*>(.*?)</tr>", re.DOTALL)
_TD = re.compile(r"<td[^>]*>(.*?)</td>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def page(org, path=""):
    return f"/o/{org.slug}/reports/{path}"


def text_of(cell: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", cell)).split())


def page_table(client, path, *, table: str = "") -> tuple[list[str], list[list[str]]]:
    """The header texts and the body's cell texts, row by row, of a page's table: the one whose
    class list holds ``table``, else the page's last one (a list comes after its annual record).
    Screen-reader-only headers (the queue's actions) are left out; no table, nothing."""
    response = client.get(path)
    assert response.status_code == 200
    content = response.content.decode()
    if table:
        content = content.split(table, 1)[1]
    elif "<thead>" in content:
        content = content[content.rindex("<thead>") :]
    if "<thead>" not in content:
        return [], []
    head, body = content.split("<thead>", 1)[1].split("</thead>", 1)
    body = body.split("</tbody>", 1)[0]
    rows = [[text_of(cell) for cell in _TD.findall(row)] for row in _TR.findall(body)]
    return [html.unescape(text.strip()) for text in _TH.findall(head)], [row for row in rows if len(row) > 1]


def without_utc(header: str) -> str:
    # The download's times are in UTC and say so ("Deadline (UTC)"); the page shows them in the
    # organisation's own zone under the plain word.
    return header.removesuffix(" (UTC)")


def submit(side, report):
    tenant = resolve_tenant(user=side.users["msp_admin"], org_slug=side.msp.slug)
    services.usage_report_submit(tenant=tenant, acting_user=side.users["msp_admin"], report_id=report.pk)


LIST_CASES = {
    "msp_viewer": (tables.MSP_REPORTS, "?period=all"),
    "dist_reviewer": (tables.REVIEW_QUEUE, "?period=all&state=msp_preparation"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("role", list(LIST_CASES))
def test_the_report_list_and_its_csv_have_the_same_headers_in_the_same_order(
    world, login, open_report, role, language
):
    open_report(world.a.msp, rows=ROWS)
    table, query = LIST_CASES[role]
    client = login(world.a.users[role])
    client.cookies["django_language"] = language
    org = world.a.org_of(role)

    shown, _ = page_table(client, page(org, query))
    header = csv_rows(client.get(page(org, f"{query}&format=csv")))[0]

    with translation.override(language):
        assert shown == [str(label) for label in table.page_headers]
        assert header == table.csv_header()
    # Every header of the page is the download's, in the page's order; the download adds
    # columns (currency, PO number, how submitted…) between them, never a differently named one.
    assert [without_utc(h) for h in header if without_utc(h) in shown] == shown


def test_the_msp_and_the_distributor_lists_differ_by_the_msp_column_on_the_page(world, login, open_report):
    open_report(world.a.msp, rows=ROWS)
    msp_page, _ = page_table(login(world.a.users["msp_viewer"]), page(world.a.msp, "?period=all"))
    queue, _ = page_table(
        login(world.a.users["dist_reviewer"]), page(world.a.distributor, "?period=all&state=msp_preparation")
    )

    assert msp_page == ["Cycle", "State", "Deadline", "Lines", "Discrepancies", "Amount", "Submitted"]
    assert queue == ["MSP", "Cycle", "State", "Submitted", "Discrepancies", "Amount"]
    # Both downloads carry the same columns, the MSP's name included.
    assert set(tables.MSP_REPORTS.csv_header()) == set(tables.REVIEW_QUEUE.csv_header())


@pytest.mark.parametrize("role", list(LIST_CASES))
def test_a_csv_row_carries_the_figures_its_page_row_shows(world, login, open_report, role):
    open_report(world.a.msp, rows=ROWS)
    _, query = LIST_CASES[role]
    client = login(world.a.users[role])
    org = world.a.org_of(role)

    shown, [cells] = page_table(client, page(org, query))
    header, row = csv_rows(client.get(page(org, f"{query}&format=csv")))
    on_page, in_csv = dict(zip(shown, cells, strict=False)), dict(zip(header, row, strict=True))

    assert in_csv["Amount"] == REPORT_AMOUNT and in_csv["Currency"] == "USD"
    assert on_page["Amount"] == f"{REPORT_AMOUNT} USD"
    assert on_page["Discrepancies"] == in_csv["Discrepancies"] == "1"
    assert on_page["State"] == in_csv["State"] == "MSP preparation"
    assert in_csv["Cycle"] == "2026-10" and on_page["Cycle"] == "October 2026"
    assert in_csv["MSP"] == "MSP A" and in_csv["Lines"] == "3"
    if "Lines" in on_page:
        assert on_page["Lines"] == "3"
    if "MSP" in on_page:
        assert on_page["MSP"] == "MSP A"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_report_page_grid_and_the_report_csv_share_their_columns_and_amounts(
    world, login, open_report, language
):
    report = open_report(world.a.msp, rows=ROWS)
    client = login(world.a.users["msp_viewer"])
    client.cookies["django_language"] = language

    shown, rows = page_table(client, page(world.a.msp, f"{report.pk}/"), table="report-lines")
    header, *lines = csv_rows(client.get(page(world.a.msp, f"{report.pk}/?format=csv")))

    with translation.override(language):
        columns = tables.report_line_page_columns(currency="USD")
        assert shown == [str(column.label) for column in columns]
        assert header == tables.REPORT_LINES.csv_header()
        amount_header = str(_column(tables.REPORT_LINES, "amount").header)
    # The page's columns come in the download's order; the download adds the product id, the
    # SKU, the unit price and the currency, and the page names the amount's currency.
    page_keys = [column.key for column in columns]
    assert [c.key for c in tables.REPORT_LINES.columns if c.key in page_keys] == page_keys
    assert shown[page_keys.index("amount")] in ("Amount (USD)", "Montant (USD)")
    # The same amounts, line by line: each rounded half-up to the cent.
    on_page = [row[page_keys.index("amount")] for row in rows]
    in_csv = [line[header.index(amount_header)] for line in lines]
    assert in_csv == ["43.50", "0.13", "0.13"]
    # The page writes them the reader's way (43,50 in French), the download as plain decimals.
    assert on_page == (in_csv if language == "en" else ["43,50", "0,13", "0,13"])


def _column(table, key):
    return next(column for column in table.columns if column.key == key)


def test_the_english_report_csv_header(world, login, open_report):
    report = open_report(world.a.msp, rows=ROWS)
    header, first, *_ = csv_rows(
        login(world.a.users["msp_viewer"]).get(page(world.a.msp, f"{report.pk}/?format=csv"))
    )
    assert header == [
        "Product id",
        "SKU",
        "Product",
        "Unit type",
        "Provided units",
        "Used units",
        "Over-provisioned %",
        "Billable units",
        "Unit price",
        "Amount",
        "Currency",
        "Explained",
    ]
    assert first[:3] == ["MS-365-BP", "", "Microsoft 365 Business Premium"]
    assert first[9:] == ["43.50", "USD", ""]


def reports_on_page(client, path) -> list[tuple[str, str]]:
    """(MSP, cycle as YYYY-MM) of every report a list page shows (the MSP's own name when the
    page has no MSP column)."""
    shown, rows = page_table(client, path)
    return [
        (
            row[shown.index("MSP")] if "MSP" in shown else "MSP A",
            f"{dt.datetime.strptime(row[shown.index('Cycle')], '%B %Y'):%Y-%m}",
        )
        for row in rows
    ]


def reports_in_csv(client, path) -> list[tuple[str, str]]:
    header, *rows = csv_rows(client.get(path))
    return [(row[header.index("MSP")], row[header.index("Cycle")]) for row in rows]


@pytest.fixture
def history(world, open_report):
    """MSP A: reports for 2025-03 (outside the last 12 months), 2026-08 submitted, 2026-09 and
    2026-10 in preparation; a second MSP of distributor A (MSP A2) with 2026-10 in preparation;
    MSP B (distributor B) with 2026-10 submitted."""
    open_report(world.a.msp, cycle=dt.date(2025, 3, 1))
    submit(world.a, open_report(world.a.msp, cycle=dt.date(2026, 8, 1), rows=CLEAN))
    open_report(world.a.msp, cycle=dt.date(2026, 9, 1))
    open_report(world.a.msp, cycle=dt.date(2026, 10, 1), rows=ROWS)
    second = MspFactory(name="MSP A2", slug="msp-a2", distributor=world.a.distributor)
    open_report(second, cycle=dt.date(2026, 10, 1), rows=CLEAN)
    submit(world.b, open_report(world.b.msp, cycle=dt.date(2026, 10, 1), rows=CLEAN))
    return second


@pytest.mark.parametrize(
    ("role", "query", "expected"),
    [
        ("msp_viewer", "", [("MSP A", "2026-10"), ("MSP A", "2026-09"), ("MSP A", "2026-08")]),
        ("msp_viewer", "?period=2025", [("MSP A", "2025-03")]),
        (
            "msp_viewer",
            "?period=all&state=msp_preparation",
            [("MSP A", "2026-10"), ("MSP A", "2026-09"), ("MSP A", "2025-03")],
        ),
        ("msp_viewer", "?state=under_review", [("MSP A", "2026-08")]),
        ("dist_reviewer", "", [("MSP A", "2026-08")]),  # the queue: under review by default
        (
            "dist_reviewer",
            "?state=msp_preparation&cycle=2026-10-01",
            [("MSP A", "2026-10"), ("MSP A2", "2026-10")],
        ),
        ("dist_reviewer", "?msp=msp-a2&state=msp_preparation", [("MSP A2", "2026-10")]),
        ("dist_reviewer", "?msp=msp-b&period=all&state=under_review", []),
    ],
)
def test_a_filtered_page_and_its_csv_hold_the_same_reports(world, login, history, role, query, expected):
    client = login(world.a.users[role])
    org = world.a.org_of(role)
    separator = "&" if query else "?"

    on_page = reports_on_page(client, page(org, query))
    in_csv = reports_in_csv(client, page(org, f"{query}{separator}format=csv"))

    assert sorted(on_page) == sorted(in_csv) == sorted(expected)
    assert on_page == in_csv  # and in the same order


@pytest.mark.parametrize(
    ("role", "query"),
    [
        ("msp_viewer", "?period=all&state=msp_preparation"),
        ("msp_viewer", "?period=2026&submission_kind=manual"),
        ("dist_reviewer", "?state=msp_preparation&cycle=2026-10-01"),
        ("dist_reviewer", "?msp=msp-a&period=all&state=msp_preparation&state=under_review"),
    ],
)
def test_the_list_page_and_the_api_select_the_same_reports_for_the_same_query(
    world, login, history, role, query
):
    # One filter set (reports.filters.UsageReportFilter) and one ordering for both: the API has
    # no default state, so each query names one.
    client = login(world.a.users[role])
    org = world.a.org_of(role)

    answer = client.get(f"/api/v1/orgs/{org.slug}/usage-reports/{query}").json()
    from_api = [(row["msp"]["name"], row["cycle"][:7]) for row in answer["results"]]

    assert from_api == reports_on_page(client, page(org, query))
    assert from_api


@pytest.mark.parametrize("role", ["msp_admin", "dist_admin"])
def test_the_csv_of_one_organisation_never_holds_anothers_reports(world, login, history, role):
    org = world.a.org_of(role)
    client = login(world.a.users[role])

    for query in ("?period=all&all_states=1", "?period=all&state=under_review", "?msp=msp-b&period=all"):
        names = {msp for msp, _ in reports_in_csv(client, page(org, f"{query}&format=csv"))}
        assert "MSP B" not in names
        assert names <= ({"MSP A", "MSP A2"} if role == "dist_admin" else {"MSP A"})
    # Organisation B's own download does hold its report: the filter is the tenant, not the data.
    client_b = login(world.b.users[role])
    in_b = reports_in_csv(client_b, page(world.b.org_of(role), "?period=all&state=under_review&format=csv"))
    assert in_b == [("MSP B", "2026-10")]
