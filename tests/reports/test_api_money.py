"""Money of usage reports on every wire (docs/money.md): the API gives each amount as a decimal
string to the cent (a line's amount was a JSON float), and the API, the pages and the CSV
exports agree on one figure: a report's amount is the sum of its lines' amounts, each rounded
half-up to the cent."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from knox.models import AuthToken

from msp_portal.jobs.services import JobRunLog
from reports.auto_submit import auto_submit_due
from reports.choices import PenaltyKind
from reports.models import MspAccountSettings

from ..wire import csv_rows, floats_in

OPENED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
LATER = OPENED + dt.timedelta(hours=1)
ROWS = [
    # product, name, unit type, unit price, provided, used (billable starts at used, else provided)
    ("MS-365-BP", "Microsoft 365 Business Premium", "seat", "14.50", 4, 3),  # 3 × 14.50; 1 seat unexplained
    ("AZ-DNS", "Azure DNS zone", "zone", "0.1250", 1, None),  # 0.125 → 0.13, half-up
    ("AZ-IP", "Azure public IP address", "address", "0.1250", 1, None),  # 0.125 → 0.13
]
# 43.50 + 0.13 + 0.13. Rounding the unrounded sum (43.625 + 0.125) instead gives 43.75, and so
# does DRF's default half-to-even rounding: both were on the wire before.
REPORT_AMOUNT = "43.76"
# Auto-submission would reset MS-365-BP to its 4 seats (+14.50) and add 10 % of that (1.45).
PENALTY = {"reset_amount": "14.50", "surcharge": "1.45", "total": "15.95"}


def api(org, path=""):
    return f"/api/v1/orgs/{org.slug}/usage-reports/{path}"


def page(org, path=""):
    return f"/o/{org.slug}/reports/{path}"


@pytest.fixture
def report(world, open_report):
    """MSP A's October report, opened on 2 November with a 10 % surcharge policy."""
    with time_machine.travel(OPENED, tick=False):
        MspAccountSettings.objects.for_tenant(world.a.msp).create(
            organisation=world.a.msp, penalty_kind=PenaltyKind.PERCENT, penalty_percent=Decimal("10")
        )
        return open_report(world.a.msp, cycle=dt.date(2026, 10, 1), rows=ROWS)


@time_machine.travel(LATER, tick=False)
def test_report_api_gives_every_amount_as_a_decimal_string(world, login, report):
    client = login(world.a.users["msp_admin"])
    detail = client.get(api(world.a.msp, f"{report.pk}/")).json()
    assert floats_in(detail) == []
    lines = {line["product_code"]: line for line in detail["lines"]}
    assert (lines["MS-365-BP"]["unit_price"], lines["MS-365-BP"]["amount"]) == ("14.5000", "43.50")
    assert (lines["AZ-DNS"]["unit_price"], lines["AZ-DNS"]["amount"]) == ("0.1250", "0.13")
    assert lines["MS-365-BP"]["over_provisioned_percent"] == "25.0"
    assert detail["amount"] == REPORT_AMOUNT
    assert detail["penalty_preview"]["total"] == PENALTY["total"]

    listed = client.get(api(world.a.msp, "?period=all")).json()
    assert floats_in(listed) == []
    assert [row["amount"] for row in listed["results"]] == [REPORT_AMOUNT]

    one_line = client.get(api(world.a.msp, f"{report.pk}/lines/{lines['AZ-IP']['id']}/")).json()
    assert one_line["amount"] == "0.13"

    # The serving distributor reads the same figures.
    queue = login(world.a.users["dist_reviewer"]).get(
        api(world.a.distributor, "?period=all&state=msp_preparation")
    )
    assert [row["amount"] for row in queue.json()["results"]] == [REPORT_AMOUNT]


@time_machine.travel(LATER, tick=False)
def test_pages_and_csv_exports_show_the_same_amounts(world, login, report):
    client = login(world.a.users["msp_admin"])
    listing = client.get(page(world.a.msp, "?period=all")).content.decode()
    assert REPORT_AMOUNT in listing
    detail = client.get(page(world.a.msp, f"{report.pk}/")).content.decode()
    for figure in ("43.50", "0.13", REPORT_AMOUNT, PENALTY["total"]):
        assert figure in detail

    header, *rows = csv_rows(client.get(page(world.a.msp, "?period=all&format=csv")))
    assert [row[header.index("Amount")] for row in rows] == [REPORT_AMOUNT]
    header, *rows = csv_rows(client.get(page(world.a.msp, f"{report.pk}/?format=csv")))
    assert [(row[header.index("Unit price")], row[header.index("Amount")]) for row in rows] == [
        ("14.5000", "43.50"),
        ("0.1250", "0.13"),
        ("0.1250", "0.13"),
    ]


def test_annual_record_adds_the_amounts_the_lines_showed(world, login, report, open_report):
    """Two cycles of a product at 0.125: 0.13 each month, so 0.26 for the year (0.25 when the
    year's unrounded sum was rounded)."""
    with time_machine.travel(OPENED, tick=False):
        open_report(world.a.msp, cycle=dt.date(2026, 9, 1), rows=ROWS)
    with time_machine.travel(LATER, tick=False):
        html = login(world.a.users["msp_admin"]).get(page(world.a.msp, "?period=2026")).content.decode()
    record = html[html.index("Annual record 2026") :]
    dns = record[record.index("AZ-DNS") :]
    assert "0.26" in dns[: dns.index("</tr>")]
    assert "87.00" in record  # MS-365-BP: 43.50 twice


def test_penalties_applied_are_decimal_strings(world, login, report):
    log = JobRunLog()
    auto_submit_due(log=log, now=report.deadline)
    assert log.counts["submitted"] == 1
    with time_machine.travel(report.deadline + dt.timedelta(hours=1), tick=False):
        detail = login(world.a.users["msp_admin"]).get(api(world.a.msp, f"{report.pk}/")).json()
    assert floats_in(detail) == []
    [penalty] = detail["penalties"]
    assert {key: penalty[key] for key in PENALTY} == PENALTY
    lines = {line["product_code"]: line for line in detail["lines"]}
    assert lines["MS-365-BP"]["amount"] == "58.00"  # reset to the 4 seats provided
    assert detail["amount"] == "58.26"


@time_machine.travel(LATER, tick=False)
def test_another_organisation_gets_404_on_the_report(world, login, report):
    path = f"{report.pk}/"
    assert login(world.a.users["msp_viewer"]).get(api(world.a.msp, path)).status_code == 200
    token = AuthToken.objects.create(world.b.users["msp_admin"])[1]
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    b_session = login(world.b.users["msp_admin"])
    for client, extra in ((b_session, {}), (Client(), headers)):
        assert client.get(api(world.a.msp, path), **extra).status_code == 404
        assert client.get(api(world.b.msp, path), **extra).status_code == 404
    other_distributor = login(world.b.users["dist_admin"])
    assert other_distributor.get(api(world.a.distributor, path)).status_code == 404
    assert other_distributor.get(api(world.b.distributor, path)).status_code == 404


@time_machine.travel(LATER, tick=False)
def test_account_settings_amounts_are_text_both_ways(world, login):
    """The surcharge minimum (money) and percentage are read as decimal strings and must be sent
    as text: a JSON number has already been through a float."""
    client = login(world.a.users["dist_admin"])
    url = f"/api/v1/orgs/{world.a.distributor.slug}/msp-accounts/{world.a.msp.pk}/settings/"
    default = client.get(url).json()
    assert (default["penalty_percent"], default["penalty_minimum"]) == ("0.00", "0.00")
    assert floats_in(client.get(f"/api/v1/orgs/{world.a.distributor.slug}/msp-accounts/").json()) == []

    for field in ("penalty_percent", "penalty_minimum"):
        refused = client.patch(url, {"penalty_kind": "percent", field: 12.5}, content_type="application/json")
        assert refused.status_code == 400 and field in refused.json()["errors"]
    assert not MspAccountSettings.objects.for_tenant(world.a.msp).exists()

    saved = client.patch(
        url,
        {"penalty_kind": "percent", "penalty_percent": "12.5", "penalty_minimum": "2.5"},
        content_type="application/json",
    ).json()
    assert (saved["penalty_percent"], saved["penalty_minimum"]) == ("12.50", "2.50")
