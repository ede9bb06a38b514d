"""The report page as a reviewer and an MSP admin work through it: explanations shown beside
their lines, the discrepancies-only filter, counts that agree after each htmx change, the
portal's confirmation dialog instead of the browser's, and labelled filters."""

import re
from pathlib import Path

from django.conf import settings

from reports.models import UsageReportLine


def page(org, path=""):
    return f"/o/{org.slug}/reports/{path}"


def lines_of(msp, report):
    return {line.product_code: line for line in UsageReportLine.objects.for_tenant(msp).filter(report=report)}


def explain(client, msp, report, line, body):
    return client.post(
        page(msp, f"{report.pk}/lines/{line.pk}/comments/"), {"body": body}, HTTP_HX_REQUEST="true"
    )


def test_counts_agree_everywhere_after_the_last_line_is_explained(world, login, open_report):
    msp = world.a.msp
    report = open_report(msp)
    lines = lines_of(msp, report)
    client = login(world.a.users["msp_admin"])
    edit = client.post(
        page(msp, f"{report.pk}/lines/{lines['EDR-1'].pk}/"),
        {f"line-{lines['EDR-1'].pk}-billable": "50", f"line-{lines['EDR-1'].pk}-version": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    # The edit answers with every count-dependent part, out of band: two lines to explain now,
    # the dialog says so, and the history already has the change.
    assert 'id="submit-status" hx-swap-oob="true"' in edit and "2 lines still need an explanation" in edit
    assert 'id="history" hx-swap-oob="true"' in edit and "55 → 50" in edit
    assert re.search(r'id="lines-filter"[^>]*hx-swap-oob="true"', edit)
    explain(client, msp, report, lines["MS-365-BP"], "Four leavers in September.")
    last = explain(client, msp, report, lines["EDR-1"], "Five devices retired.").content.decode()
    assert "still need" not in last and "still needs" not in last
    assert "Every discrepancy is explained." in last
    assert "No penalty: every discrepancy is explained." in last
    reloaded = client.get(page(msp, f"{report.pk}/")).content.decode()
    assert "still need" not in reloaded and "Every discrepancy is explained." in reloaded


def test_reviewer_reads_explanations_beside_the_lines_and_filters_discrepancies(world, login, open_report):
    msp = world.a.msp
    report = open_report(msp)
    lines = lines_of(msp, report)
    admin = login(world.a.users["msp_admin"])
    explain(admin, msp, report, lines["MS-365-BP"], "Four leavers in September.")
    admin.post(page(msp, f"{report.pk}/submit/"), {"po_number": "PO-1"})
    reviewer = login(world.a.users["dist_reviewer"])
    url = page(world.a.distributor, f"{report.pk}/")
    html = reviewer.get(url).content.decode()
    # No click needed: the discrepant line's thread is open, with its explanation and the form.
    thread = re.search(rf'<tr id="comments-{lines["MS-365-BP"].pk}"[^>]*>', html).group(0)
    assert "hidden" not in thread and "Four leavers in September." in html
    assert (
        f'action="/o/{world.a.distributor.slug}/reports/{report.pk}/lines/{lines["MS-365-BP"].pk}/comments/"'
        in html
    )
    # A line without discrepancy keeps its thread closed until asked for.
    assert re.search(rf'<tr id="comments-{lines["EDR-1"].pk}"[^>]*hidden', html)
    assert "All lines" in html and "Discrepancies only" in html
    only = reviewer.get(url + "?lines=discrepant").content.decode()
    assert 'aria-current="page">Discrepancies only <span class="count">1</span>' in only
    assert f'id="line-{lines["MS-365-BP"].pk}"' in only
    assert f'id="line-{lines["EDR-1"].pk}"' not in only and f'id="line-{lines["AZ-BACKUP"].pk}"' not in only


def test_approve_asks_in_the_portals_dialog(world, login, open_report):
    msp = world.a.msp
    report = open_report(msp)
    admin = login(world.a.users["msp_admin"])
    explain(admin, msp, report, lines_of(msp, report)["MS-365-BP"], "Leavers.")
    admin.post(page(msp, f"{report.pk}/submit/"))
    html = (
        login(world.a.users["dist_reviewer"]).get(page(world.a.distributor, f"{report.pk}/")).content.decode()
    )
    assert '<dialog id="confirm-dialog" class="modal" aria-labelledby="confirm-dialog-title"' in html
    assert 'id="confirm-dialog-title"' in html and "data-dialog-accept" in html
    assert 'data-confirm="Approve this report? It becomes final." data-confirm-button="Approve"' in html


def test_save_draft_only_without_javascript(world, login, open_report):
    report = open_report(world.a.msp)
    html = login(world.a.users["msp_admin"]).get(page(world.a.msp, f"{report.pk}/")).content.decode()
    # Autosave saves each change; the button is for browsers without JavaScript only.
    assert re.search(r"<noscript>[^<]*<button[^>]*>Save draft</button></noscript>", html)


def test_review_queue_filters_are_labelled(world, login, open_report):
    open_report(world.a.msp)
    html = login(world.a.users["dist_reviewer"]).get(page(world.a.distributor)).content.decode()
    assert "---------" not in html
    assert '<option value="">Any cycle</option>' in html and "October 2026" in html
    assert '<option value="" selected>Any way of submitting</option>' in html
    msp_html = login(world.a.users["msp_admin"]).get(page(world.a.msp)).content.decode()
    assert "---------" not in msp_html
    chosen = login(world.a.users["dist_reviewer"]).get(
        page(world.a.distributor, "?cycle=2026-10-01&state=msp_preparation")
    )
    assert 'value="2026-10-01" selected' in chosen.content.decode()


def test_no_browser_confirm_remains_and_every_confirmation_page_has_the_dialog():
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "static"]
    offenders = [
        str(path)
        for root in roots
        for path in root.rglob("*")
        if path.suffix in (".html", ".js") and re.search(r"confirm\(|hx-confirm", path.read_text())
    ]
    assert offenders == []
    templates = Path(settings.BASE_DIR) / "templates"
    asking = {
        p.relative_to(templates).as_posix()
        for p in templates.rglob("*.html")
        if "data-confirm=" in p.read_text()
    }
    # A partial asks on the page that includes it, which carries the dialog.
    pages = {
        "tenancy/_member_row.html": "tenancy/member_list.html",
        "licensing/_license_row.html": "licensing/license_list.html",
    }
    for name in asking - {"includes/_confirm_dialog.html"}:
        host = templates / pages.get(name, name)
        assert 'include "includes/_confirm_dialog.html"' in host.read_text(), name


def test_another_organisations_report_stays_404_with_the_filter(world, login, open_report):
    report = open_report(world.a.msp)
    other = login(world.b.users["msp_admin"])
    assert other.get(page(world.b.msp, f"{report.pk}/?lines=discrepant")).status_code == 404
    reviewer_b = login(world.b.users["dist_reviewer"])
    assert reviewer_b.get(page(world.b.distributor, f"{report.pk}/?lines=discrepant")).status_code == 404
