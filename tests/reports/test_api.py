"""The usage-report API: lists and filters, line edits with versions, comments, transitions as
actions with 409 for a state that does not allow them, history and changes."""

import datetime as dt

import pytest

from reports.models import UsageReportLine


def api(org, path=""):
    return f"/api/v1/orgs/{org.slug}/usage-reports/{path}"


@pytest.fixture
def report(world, open_report):
    return open_report(world.a.msp)


def line_of(report, code):
    return UsageReportLine.objects.for_tenant(report.organisation).get(report=report, product_code=code)


def test_msp_lists_its_reports_and_distributor_its_served_msps(world, login, open_report):
    own = open_report(world.a.msp)
    other = open_report(world.b.msp)
    msp = login(world.a.users["msp_viewer"]).get(api(world.a.msp, "?period=all")).json()
    assert [r["id"] for r in msp["results"]] == [own.pk]
    assert msp["results"][0]["state"] == "msp_preparation" and msp["results"][0]["line_count"] == 3
    dist = (
        login(world.a.users["dist_reviewer"])
        .get(api(world.a.distributor, "?period=all&state=msp_preparation"))
        .json()
    )
    assert [r["id"] for r in dist["results"]] == [own.pk]
    assert other.pk not in [r["id"] for r in dist["results"]]


def test_list_filters_refuse_nonsense_with_a_named_field(world, login, report):
    client = login(world.a.users["msp_admin"])
    response = client.get(api(world.a.msp, "?period=someday"))
    assert response.status_code == 400
    assert "period" in response.json()["errors"]
    assert client.get(api(world.a.msp, "?state=lost")).status_code == 400
    assert client.get(api(world.a.msp, "?cycle=")).status_code == 400


def test_period_last12_hides_old_cycles(world, login, open_report):
    recent = open_report(world.a.msp, cycle=dt.date.today().replace(day=1))
    old = open_report(world.a.msp, cycle=dt.date(2020, 1, 1))
    client = login(world.a.users["msp_admin"])
    default = [r["id"] for r in client.get(api(world.a.msp)).json()["results"]]
    year_2020 = [r["id"] for r in client.get(api(world.a.msp, "?period=2020")).json()["results"]]
    assert recent.pk in default and old.pk not in default
    assert year_2020 == [old.pk]


def test_line_update_with_version_and_409_on_stale_version(world, login, report):
    client = login(world.a.users["msp_admin"])
    line = line_of(report, "EDR-1")
    url = api(world.a.msp, f"{report.pk}/lines/{line.pk}/")
    first = client.patch(
        url, {"billable_units": 50, "version": line.version}, content_type="application/json"
    )
    assert first.status_code == 200 and first.json()["billable_units"] == 50 and first.json()["version"] == 2
    stale = client.patch(url, {"billable_units": 48, "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "edit_conflict"
    assert body["current"] == {"billable_units": 50, "version": 2}
    assert line_of(report, "EDR-1").billable_units == 50
    bad = client.patch(url, {"billable_units": -3, "version": 2}, content_type="application/json")
    assert bad.status_code == 400 and "billable_units" in bad.json()["errors"]


def test_submit_is_refused_until_every_discrepancy_is_explained(world, login, report):
    client = login(world.a.users["msp_admin"])
    refused = client.post(api(world.a.msp, f"{report.pk}/submit/"), {}, content_type="application/json")
    assert refused.status_code == 400
    m365 = line_of(report, "MS-365-BP")
    assert refused.json()["lines"] == [m365.pk]
    assert "Microsoft 365 Business Premium" in refused.json()["detail"]
    comment = client.post(
        api(world.a.msp, f"{report.pk}/lines/{m365.pk}/comments/"),
        {"body": "Four leavers."},
        content_type="application/json",
    )
    assert comment.status_code == 201 and comment.json()["is_from_msp"] is True
    submitted = client.post(
        api(world.a.msp, f"{report.pk}/submit/"), {"po_number": "PO-1"}, content_type="application/json"
    )
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "under_review" and submitted.json()["po_number"] == "PO-1"
    again = client.post(api(world.a.msp, f"{report.pk}/submit/"), {}, content_type="application/json")
    assert again.status_code == 409


def test_review_actions_by_the_serving_distributor(world, login, report):
    msp = login(world.a.users["msp_admin"])
    m365 = line_of(report, "MS-365-BP")
    msp.post(
        api(world.a.msp, f"{report.pk}/lines/{m365.pk}/comments/"),
        {"body": "Leavers."},
        content_type="application/json",
    )
    msp.post(api(world.a.msp, f"{report.pk}/submit/"), {}, content_type="application/json")

    reviewer = login(world.a.users["dist_reviewer"])
    no_reason = reviewer.post(
        api(world.a.distributor, f"{report.pk}/reject/"), {"reason": ""}, content_type="application/json"
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    rejected = reviewer.post(
        api(world.a.distributor, f"{report.pk}/reject/"),
        {"reason": "Check seats.", "line_ids": [m365.pk]},
        content_type="application/json",
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Check seats."
    # Approving a rejected report is a transition the state does not allow.
    assert reviewer.post(api(world.a.distributor, f"{report.pk}/approve/")).status_code == 409
    # The other side's distributor does not even see it.
    outsider = login(world.b.users["dist_admin"])
    assert outsider.post(api(world.b.distributor, f"{report.pk}/approve/")).status_code == 404
    # The MSP fixes the line and resubmits; the reviewer sees what changed and approves.
    msp.patch(
        api(world.a.msp, f"{report.pk}/lines/{m365.pk}/"),
        {"billable_units": 40, "version": 1},
        content_type="application/json",
    )
    msp.post(api(world.a.msp, f"{report.pk}/submit/"), {}, content_type="application/json")
    changes = reviewer.get(api(world.a.distributor, f"{report.pk}/changes/")).json()
    assert changes["rejection_reason"] == "Check seats."
    assert [
        (c["product_name"], c["old_billable_units"], c["new_billable_units"]) for c in changes["changes"]
    ] == [("Microsoft 365 Business Premium", 36, 40)]
    approved = reviewer.post(api(world.a.distributor, f"{report.pk}/approve/"))
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    history = [e["kind"] for e in reviewer.get(api(world.a.distributor, f"{report.pk}/history/")).json()]
    assert history == ["opened", "submitted", "rejected", "line_edit", "submitted", "approved"]


def test_roles_that_may_not_act_get_403(world, login, report):
    line = line_of(report, "EDR-1")
    viewer = login(world.a.users["msp_viewer"])
    assert viewer.get(api(world.a.msp, f"{report.pk}/")).status_code == 200
    assert (
        viewer.patch(
            api(world.a.msp, f"{report.pk}/lines/{line.pk}/"),
            {"billable_units": 1, "version": 1},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert (
        viewer.post(api(world.a.msp, f"{report.pk}/submit/"), {}, content_type="application/json").status_code
        == 403
    )
    assert viewer.post(api(world.a.msp, f"{report.pk}/approve/")).status_code == 403
    admin = login(world.a.users["msp_admin"])
    assert admin.post(api(world.a.msp, f"{report.pk}/approve/")).status_code == 403


def test_detail_shows_the_penalty_preview_and_unexplained_lines(world, login, report):
    detail = login(world.a.users["msp_admin"]).get(api(world.a.msp, f"{report.pk}/")).json()
    m365 = line_of(report, "MS-365-BP")
    assert detail["unexplained_line_ids"] == [m365.pk]
    assert detail["penalty_preview"] == {"total": "88.00", "line_ids": [m365.pk]}  # 4 seats × 22.00
    assert {line["product_code"]: line["billable_units"] for line in detail["lines"]} == {
        "MS-365-BP": 36,
        "AZ-BACKUP": 1200,
        "EDR-1": 55,
    }


@pytest.mark.now("2026-12-03T10:00:00+00:00")
def test_last12_holds_the_twelve_cycles_that_can_have_a_report(world, login, open_report):
    """December's cycle has not ended, so it has no report yet: "the last 12 months" are December
    2025 to November 2026, twelve reports, and November 2025 is left out."""
    cycles = [dt.date(2025, 11, 1)] + [dt.date(2025, 12, 1)] + [dt.date(2026, m, 1) for m in range(1, 12)]
    for cycle in cycles:
        open_report(world.a.msp, cycle=cycle)
    client = login(world.a.users["msp_admin"])
    shown = [r["cycle"] for r in client.get(api(world.a.msp)).json()["results"]]
    assert sorted(shown) == [f"{c:%Y-%m-%d}" for c in cycles[1:]]
    page = client.get(f"/o/{world.a.msp.slug}/reports/").content.decode()
    assert "November 2025" not in page and "December 2025" in page and "November 2026" in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "A comment holds at most 4000 characters: shorten it."),
        ("fr", "Un commentaire compte au plus 4000 caractères : raccourcissez-le."),
    ],
)
def test_a_long_comment_is_refused_in_the_pages_words(world, login, report, language, expected):
    client = login(world.a.users["msp_admin"])
    m365 = line_of(report, "MS-365-BP")
    refused = client.post(
        api(world.a.msp, f"{report.pk}/lines/{m365.pk}/comments/"),
        {"body": "x" * 4100},
        content_type="application/json",
        headers={"Accept-Language": language},
    )
    assert refused.status_code == 400
    message = refused.json()["errors"]["body"][0]
    assert message == expected
    schema = client.get("/api/v1/schema/?format=json").json()
    assert schema["components"]["schemas"]["CommentCreateRequest"]["properties"]["body"]["maxLength"] == 4000
