"""Under- and over-declared lines told apart on the report page and in the report API
(docs/reports.md, "Penalties")."""

import re

from .conftest import LINES

# MS-365-BP declares 36 of 40 (under), EDR-1 60 of 55 (over), AZ-BACKUP matches.
ROWS = [LINES[0], LINES[1], ("EDR-1", "Endpoint protection", "device", "3.50", 55, 60)]


def billable_cell(html: str, product_code: str) -> str:
    row = re.search(rf'<tr id="line-\d+"[^>]*>(?:(?!</tr>).)*{product_code}(?:(?!</tr>).)*</tr>', html, re.S)
    assert row, product_code
    return row.group(0)


def test_the_page_colours_under_and_over_declared_figures_apart(world, login, open_report):
    report = open_report(world.a.msp, rows=ROWS)
    html = (
        login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/reports/{report.pk}/").content.decode()
    )
    assert "Red: billable below provided (under-declared)" in html
    assert "Amber: billable above provided (over-declared)" in html
    assert "Red figures are below the provided units" not in html
    under, over, match = (billable_cell(html, code) for code in ("MS-365-BP", "EDR-1", "AZ-BACKUP"))
    assert "text-danger" in under and "text-over" not in under
    assert "text-over" in over and "text-danger" not in over
    assert "text-danger" not in match and "text-over" not in match


def test_read_only_page_colours_them_apart_too(world, login, open_report):
    report = open_report(world.a.msp, rows=ROWS)
    html = (
        login(world.a.users["dist_reviewer"])
        .get(f"/o/{world.a.distributor.slug}/reports/{report.pk}/")
        .content.decode()
    )
    assert 'class="billable-value text-danger fw-semibold">36<' in html
    assert 'class="billable-value text-over fw-semibold">60<' in html


def test_the_api_names_each_line_declaration(world, login, open_report):
    report = open_report(world.a.msp, rows=ROWS)
    data = (
        login(world.a.users["msp_viewer"])
        .get(f"/api/v1/orgs/{world.a.msp.slug}/usage-reports/{report.pk}/")
        .json()
    )
    assert {line["product_code"]: line["declaration"] for line in data["lines"]} == {
        "MS-365-BP": "under",
        "AZ-BACKUP": "match",
        "EDR-1": "over",
    }
