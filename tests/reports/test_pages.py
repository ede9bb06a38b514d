"""The report pages as a person uses them without a browser: lists, filters, CSV, the report
page's inline edit answer, comments, and transitions through forms."""

import datetime as dt

from reports.models import LineComment, UsageReport, UsageReportLine


def page(org, path=""):
    return f"/o/{org.slug}/reports/{path}"


def test_report_list_shows_deadline_and_exports_csv(world, login, open_report):
    report = open_report(world.a.msp, cycle=dt.date.today().replace(day=1))
    client = login(world.a.users["msp_viewer"])
    html = client.get(page(world.a.msp)).content.decode()
    assert report.cycle.strftime("%B %Y") in html and "left" in html
    csv = b"".join(client.get(page(world.a.msp, "?format=csv")).streaming_content).decode("utf-8-sig")
    header, row = csv.strip().splitlines()
    assert header.startswith("MSP,Cycle,State")
    assert row.startswith(f"MSP A,{report.cycle:%Y-%m},MSP preparation")


def test_annual_record_totals_per_product(world, login, open_report):
    open_report(world.a.msp, cycle=dt.date(2025, 3, 1))
    open_report(world.a.msp, cycle=dt.date(2025, 4, 1))
    html = login(world.a.users["msp_admin"]).get(page(world.a.msp, "?period=2025")).content.decode()
    assert "Annual record 2025" in html
    # Microsoft 365: 36 billable in each of the two cycles → 72, at 22.00 → 1584.00
    assert "72" in html and "1584.00" in html


def test_inline_edit_answers_with_the_row_and_the_summary(world, login, open_report):
    report = open_report(world.a.msp)
    line = UsageReportLine.objects.for_tenant(world.a.msp).get(report=report, product_code="EDR-1")
    client = login(world.a.users["msp_admin"])
    response = client.post(
        page(world.a.msp, f"{report.pk}/lines/{line.pk}/"),
        {f"line-{line.pk}-billable": "50", f"line-{line.pk}-version": "1"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="line-{line.pk}"' in html and 'id="report-summary"' in html and 'hx-swap-oob="true"' in html
    assert "comment-alert" in html  # now discrepant and unexplained
    refused = client.post(
        page(world.a.msp, f"{report.pk}/lines/{line.pk}/"),
        {f"line-{line.pk}-billable": "-1", f"line-{line.pk}-version": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422 and "whole number" in refused.content.decode()


def test_draft_save_applies_every_changed_line_in_one_click(world, login, open_report):
    report = open_report(world.a.msp)
    lines = {
        line.product_code: line
        for line in UsageReportLine.objects.for_tenant(world.a.msp).filter(report=report)
    }
    data = {}
    for code, value in (("MS-365-BP", "40"), ("EDR-1", "54"), ("AZ-BACKUP", "1200")):
        data[f"line-{lines[code].pk}-billable"] = value
        data[f"line-{lines[code].pk}-version"] = "1"
    response = login(world.a.users["msp_admin"]).post(
        page(world.a.msp, f"{report.pk}/save/"), data, follow=True
    )
    assert "Draft saved: 2 lines changed." in response.content.decode()
    saved = {
        line.product_code: line.billable_units
        for line in UsageReportLine.objects.for_tenant(world.a.msp).filter(report=report)
    }
    assert saved == {"MS-365-BP": 40, "EDR-1": 54, "AZ-BACKUP": 1200}


def test_submit_page_refusal_names_the_lines_then_comment_and_submit(world, login, open_report):
    report = open_report(world.a.msp)
    client = login(world.a.users["msp_admin"])
    refused = client.post(
        page(world.a.msp, f"{report.pk}/submit/"), {"po_number": "PO-9"}, follow=True
    ).content.decode()
    assert "Microsoft 365 Business Premium" in refused and "before submitting" in refused
    m365 = UsageReportLine.objects.for_tenant(world.a.msp).get(report=report, product_code="MS-365-BP")
    thread = client.post(
        page(world.a.msp, f"{report.pk}/lines/{m365.pk}/comments/"),
        {"body": "Leavers."},
        HTTP_HX_REQUEST="true",
    )
    assert thread.status_code == 200 and "Leavers." in thread.content.decode()
    done = client.post(
        page(world.a.msp, f"{report.pk}/submit/"), {"po_number": "PO-9"}, follow=True
    ).content.decode()
    assert "submitted to your distributor" in done
    assert UsageReport.objects.for_tenant(world.a.msp).get(pk=report.pk).state == "under_review"


def test_viewer_and_distributor_pages_offer_no_actions_they_cannot_take(world, login, open_report):
    report = open_report(world.a.msp)
    viewer_html = login(world.a.users["msp_viewer"]).get(page(world.a.msp, f"{report.pk}/")).content.decode()
    assert "billable-input" not in viewer_html and "submit-dialog" not in viewer_html
    reviewer_html = (
        login(world.a.users["dist_reviewer"]).get(page(world.a.distributor, f"{report.pk}/")).content.decode()
    )
    assert "reject-dialog" not in reviewer_html  # not under review yet
    assert (
        login(world.a.users["msp_viewer"]).post(page(world.a.msp, f"{report.pk}/submit/")).status_code == 403
    )


def test_review_queue_defaults_to_reports_under_review(world, login, open_report):
    report = open_report(world.a.msp)
    client = login(world.a.users["dist_reviewer"])
    assert "Nothing to review" in client.get(page(world.a.distributor)).content.decode()
    html = client.get(page(world.a.distributor, "?state=msp_preparation")).content.decode()
    assert "MSP A" in html and f"/reports/{report.pk}/" in html


def test_notifications_page_lists_report_ready(world, login, open_report):
    open_report(world.a.msp)
    client = login(world.a.users["msp_admin"])
    html = client.get(f"/o/{world.a.msp.slug}/notifications/").content.decode()
    assert "Usage report for 2026-10 is ready" in html
    client.post(f"/o/{world.a.msp.slug}/notifications/read/")
    assert "Mark as read" not in client.get(f"/o/{world.a.msp.slug}/notifications/").content.decode()


def test_dashboards_show_report_figures(world, login, open_report):
    report = open_report(world.a.msp)
    msp_html = login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/").content.decode()
    assert f"/reports/{report.pk}/" in msp_html
    assert "Lines to explain" in msp_html and "Penalty if auto-submitted now: 88.00" in msp_html
    dist_html = login(world.a.users["dist_reviewer"]).get(f"/o/{world.a.distributor.slug}/").content.decode()
    assert "Reports awaiting review" in dist_html and "Reports with the MSPs" in dist_html


def test_unread_notifications_are_counted_in_the_navigation(world, login, open_report):
    open_report(world.a.msp)
    html = login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/").content.decode()
    assert 'class="badge badge-danger nav-badge">1<' in html


def test_deadline_reads_in_the_msps_own_time_zone(world, login, open_report):
    world.a.msp.timezone = "Europe/Paris"
    world.a.msp.save()
    report = open_report(world.a.msp)
    html = login(world.a.users["msp_admin"]).get(page(world.a.msp, f"{report.pk}/")).content.decode()
    assert "midnight" in html and "Europe/Paris" in html


def test_distributor_annual_record_for_one_served_msp(world, login, open_report):
    open_report(world.a.msp, cycle=dt.date(2025, 3, 1))
    client = login(world.a.users["dist_reviewer"])
    html = client.get(page(world.a.distributor, "?period=2025&msp=msp-a&all_states=1")).content.decode()
    assert "Annual record 2025" in html and "Microsoft 365 Business Premium" in html
    # Another distributor's MSP slug gives nothing, not that MSP's figures.
    other = client.get(page(world.a.distributor, "?period=2025&msp=msp-b&all_states=1")).content.decode()
    assert "Microsoft 365 Business Premium" not in other


def test_a_long_comment_is_refused_in_words_and_kept(world, login, open_report):
    report = open_report(world.a.msp)
    m365 = UsageReportLine.objects.for_tenant(world.a.msp).get(report=report, product_code="MS-365-BP")
    client = login(world.a.users["msp_admin"])
    url = page(world.a.msp, f"{report.pk}/lines/{m365.pk}/comments/")
    thread = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'maxlength="4000"' in thread and "Up to 4000 characters." in thread
    refused = client.post(url, {"body": "x" * 4100}, HTTP_HX_REQUEST="true")
    html = refused.content.decode()
    assert refused.status_code == 422
    assert "A comment holds at most 4000 characters (yours has 4100)." in html
    assert "Write a comment" not in html and "x" * 4100 in html  # the text is kept, not cut
    assert not LineComment.objects.for_tenant(world.a.msp).filter(line=m365).exists()
    empty = client.post(url, {"body": " "}, HTTP_HX_REQUEST="true").content.decode()
    assert "Write a comment before sending it." in empty
