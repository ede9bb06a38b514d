"""The whole state graph of a usage report, driven through the services: who may take each
transition, which ones the state refuses, what the history keeps and who is told."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from msp_portal.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from msp_portal.exceptions import status_of
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.resolve import resolve_tenant
from reports import services
from reports.choices import EventKind, ReportState, SubmissionKind
from reports.models import MspAccountSettings, ReportEvent, UsageReport, UsageReportLine
from reports.rules import deadline_after

from .conftest import line_specs

pytestmark = pytest.mark.django_db

ROLES = ["msp_admin", "msp_billing", "msp_viewer", "dist_admin", "dist_reviewer"]
REVIEWERS = ["dist_reviewer", "dist_admin"]
# LINES of tests/reports/conftest.py: only the first one (40 provided, 36 used) is discrepant.
DISCREPANT = "MS-365-BP"


# --- helpers --------------------------------------------------------------------------------


def ctx(side, role):
    user = side.users[role]
    return resolve_tenant(user=user, org_slug=side.org_of(role).slug)


def refetch(report) -> UsageReport:
    return UsageReport.objects.for_tenant(report.organisation).get(pk=report.pk)


def lines_of(report) -> dict[str, UsageReportLine]:
    return {
        line.product_code: line
        for line in UsageReportLine.objects.for_tenant(report.organisation).filter(report=report)
    }


def events_of(report) -> list[ReportEvent]:
    return list(
        ReportEvent.objects.for_tenant(report.organisation).filter(report=report).order_by("created_at", "pk")
    )


def explain(side, report):
    line = lines_of(report)[DISCREPANT]
    services.line_comment_add(
        tenant=ctx(side, "msp_admin"),
        acting_user=side.users["msp_admin"],
        report_id=report.pk,
        line_id=line.pk,
        body="Four seats were kept for new hires that started late.",
    )


def submit(side, report, **kwargs):
    return services.usage_report_submit(
        tenant=ctx(side, "msp_admin"),
        acting_user=side.users["msp_admin"],
        report_id=report.pk,
        **kwargs,
    )


def approve(side, report, role="dist_reviewer"):
    return services.usage_report_approve(
        tenant=ctx(side, role), acting_user=side.users[role], report_id=report.pk
    )


def reject(side, report, role="dist_reviewer", reason="The backup volume looks too high.", line_ids=()):
    return services.usage_report_reject(
        tenant=ctx(side, role),
        acting_user=side.users[role],
        report_id=report.pk,
        reason=reason,
        line_ids=line_ids,
    )


def edit(side, report, role="msp_admin", product=DISCREPANT, units=38, other_side=None):
    line = lines_of(report)[product]
    actor_side = other_side or side
    return services.usage_report_line_update(
        tenant=ctx(actor_side, role),
        acting_user=actor_side.users[role],
        report_id=report.pk,
        line_id=line.pk,
        billable_units=units,
        version=line.version,
    )


def report_in(state, side, open_report) -> UsageReport:
    """A report of ``side``'s MSP brought to ``state`` by the people allowed to."""
    report = open_report(side.msp)
    if state == ReportState.MSP_PREPARATION:
        return refetch(report)
    explain(side, report)
    submit(side, report)
    if state == ReportState.APPROVED:
        approve(side, report)
    elif state == ReportState.REJECTED:
        reject(side, report)
    report = refetch(report)
    assert report.state == state
    return report


def notified(kind) -> dict[int, Notification]:
    with scopes_disabled():
        return {n.recipient_id: n for n in Notification.objects.filter(kind=kind)}


# --- the allowed path, with its history ---------------------------------------------------------


def test_opening_records_a_system_event(world, open_report):
    report = open_report(world.a.msp)

    [opened] = events_of(report)
    assert opened.kind == EventKind.OPENED
    assert opened.actor is None, "the system opens reports"
    assert opened.to_state == ReportState.MSP_PREPARATION
    assert report.state == ReportState.MSP_PREPARATION


def test_submit_from_preparation_goes_under_review_and_is_recorded(world, open_report):
    side = world.a
    report = open_report(side.msp)
    explain(side, report)

    submit(side, report, po_number=" PO-7781 ", note="Two new customers this month.")

    report = refetch(report)
    assert report.state == ReportState.UNDER_REVIEW
    assert report.submitted_by == side.users["msp_admin"]
    assert report.submitted_at is not None
    assert report.submission_kind == SubmissionKind.MANUAL
    assert report.needs_review_flag is False
    assert (report.po_number, report.note) == ("PO-7781", "Two new customers this month.")
    last = events_of(report)[-1]
    assert (last.kind, last.from_state, last.to_state, last.actor) == (
        EventKind.SUBMITTED,
        ReportState.MSP_PREPARATION,
        ReportState.UNDER_REVIEW,
        side.users["msp_admin"],
    )
    assert last.details["po_number"] == "PO-7781"


@pytest.mark.parametrize("role", REVIEWERS)
def test_approve_from_under_review(world, open_report, role):
    side = world.a
    report = report_in(ReportState.UNDER_REVIEW, side, open_report)

    approve(side, report, role=role)

    report = refetch(report)
    assert report.state == ReportState.APPROVED
    assert report.reviewed_by == side.users[role]
    assert report.reviewed_at is not None
    last = events_of(report)[-1]
    assert (last.kind, last.from_state, last.to_state, last.actor) == (
        EventKind.APPROVED,
        ReportState.UNDER_REVIEW,
        ReportState.APPROVED,
        side.users[role],
    )


@pytest.mark.parametrize("role", REVIEWERS)
def test_reject_from_under_review_then_submit_again(world, open_report, role):
    side = world.a
    report = report_in(ReportState.UNDER_REVIEW, side, open_report)

    reject(side, report, role=role, reason="  Backup GB do not match the vendor file.  ")

    report = refetch(report)
    assert report.state == ReportState.REJECTED
    assert report.rejection_reason == "Backup GB do not match the vendor file."
    assert report.rejection_count == 1
    assert report.reviewed_by == side.users[role]
    rejected = events_of(report)[-1]
    assert (
        rejected.kind,
        rejected.from_state,
        rejected.to_state,
        rejected.actor,
        rejected.reason,
    ) == (
        EventKind.REJECTED,
        ReportState.UNDER_REVIEW,
        ReportState.REJECTED,
        side.users[role],
        "Backup GB do not match the vendor file.",
    )

    submit(side, report)  # the comment written before still explains the discrepant line

    report = refetch(report)
    assert report.state == ReportState.UNDER_REVIEW
    resubmitted = events_of(report)[-1]
    assert (resubmitted.kind, resubmitted.from_state, resubmitted.to_state, resubmitted.actor) == (
        EventKind.SUBMITTED,
        ReportState.REJECTED,
        ReportState.UNDER_REVIEW,
        side.users["msp_admin"],
    )
    assert [e.kind for e in events_of(report)] == [
        EventKind.OPENED,
        EventKind.SUBMITTED,
        EventKind.REJECTED,
        EventKind.SUBMITTED,
    ]


@pytest.mark.parametrize("state", [ReportState.MSP_PREPARATION, ReportState.REJECTED])
def test_msp_admin_edits_a_line_in_an_editable_state(world, open_report, state):
    side = world.a
    report = report_in(state, side, open_report)

    line = edit(side, report, units=39)

    assert (line.billable_units, line.version) == (39, 2)
    last = events_of(report)[-1]
    assert (last.kind, last.line_id, last.old_value, last.new_value, last.actor) == (
        EventKind.LINE_EDIT,
        line.pk,
        "36",
        "39",
        side.users["msp_admin"],
    )
    assert refetch(report).state == state, "saving a draft does not change the state"


# --- transitions the state refuses (409) --------------------------------------------------------


def assert_conflict(excinfo):
    assert type(excinfo.value) is Conflict
    assert status_of(excinfo.value) == 409


@pytest.mark.parametrize("state", [ReportState.UNDER_REVIEW, ReportState.APPROVED])
def test_submit_is_refused_once_submitted(world, open_report, state):
    side = world.a
    report = report_in(state, side, open_report)
    before = len(events_of(report))

    with pytest.raises(Conflict) as excinfo:
        submit(side, report)

    assert_conflict(excinfo)
    assert refetch(report).state == state
    assert len(events_of(report)) == before


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("state", [ReportState.MSP_PREPARATION, ReportState.REJECTED, ReportState.APPROVED])
@pytest.mark.parametrize("role", REVIEWERS)
def test_review_is_refused_unless_under_review(world, open_report, state, action, role):
    side = world.a
    report = report_in(state, side, open_report)
    before = len(events_of(report))

    with pytest.raises(Conflict) as excinfo:
        if action == "approve":
            approve(side, report, role=role)
        else:
            reject(side, report, role=role)

    assert_conflict(excinfo)
    assert refetch(report).state == state
    assert len(events_of(report)) == before


@pytest.mark.parametrize("state", [ReportState.UNDER_REVIEW, ReportState.APPROVED])
def test_lines_cannot_be_edited_once_submitted(world, open_report, state):
    side = world.a
    report = report_in(state, side, open_report)
    before = len(events_of(report))

    with pytest.raises(Conflict) as excinfo:
        edit(side, report, units=40)

    assert_conflict(excinfo)
    assert lines_of(report)[DISCREPANT].billable_units == 36
    assert len(events_of(report)) == before


# --- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["msp_billing", "msp_viewer", "dist_admin", "dist_reviewer"])
def test_only_the_msp_admin_edits_lines(world, open_report, role):
    side = world.a
    report = open_report(side.msp)

    with pytest.raises(NotAllowed) as excinfo:
        edit(side, report, role=role, units=40)

    assert status_of(excinfo.value) == 403
    line = lines_of(report)[DISCREPANT]
    assert (line.billable_units, line.version) == (36, 1)
    assert [e.kind for e in events_of(report)] == [EventKind.OPENED]


@pytest.mark.parametrize("role", ["msp_billing", "msp_viewer", "dist_admin", "dist_reviewer"])
def test_only_the_msp_admin_submits(world, open_report, role):
    side = world.a
    report = open_report(side.msp)
    explain(side, report)

    with pytest.raises(NotAllowed) as excinfo:
        services.usage_report_submit(
            tenant=ctx(side, role), acting_user=side.users[role], report_id=report.pk
        )

    assert status_of(excinfo.value) == 403
    assert refetch(report).state == ReportState.MSP_PREPARATION
    assert [e.kind for e in events_of(report)] == [EventKind.OPENED]


@pytest.mark.parametrize("role", ROLES)
def test_nobody_of_the_other_world_edits_or_submits(world, open_report, role):
    report = open_report(world.a.msp)
    explain(world.a, report)

    # The other MSP's admin cannot find the report; every other role is refused before looking.
    expected = NotFound if role == "msp_admin" else NotAllowed
    with pytest.raises(expected):
        edit(world.a, report, role=role, units=40, other_side=world.b)
    with pytest.raises(expected):
        services.usage_report_submit(
            tenant=ctx(world.b, role), acting_user=world.b.users[role], report_id=report.pk
        )

    assert refetch(report).state == ReportState.MSP_PREPARATION
    assert lines_of(report)[DISCREPANT].billable_units == 36
    assert [e.kind for e in events_of(report)] == [EventKind.OPENED]


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("role", ["msp_admin", "msp_billing", "msp_viewer"])
def test_msp_roles_cannot_review_their_own_report(world, open_report, role, action):
    side = world.a
    report = report_in(ReportState.UNDER_REVIEW, side, open_report)
    before = len(events_of(report))

    with pytest.raises(NotAllowed) as excinfo:
        if action == "approve":
            approve(side, report, role=role)
        else:
            reject(side, report, role=role)

    assert status_of(excinfo.value) == 403
    assert refetch(report).state == ReportState.UNDER_REVIEW
    assert len(events_of(report)) == before


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("role", ["msp_admin", "dist_admin", "dist_reviewer"])
def test_the_other_world_cannot_even_find_the_report_to_review(world, open_report, role, action):
    report = report_in(ReportState.UNDER_REVIEW, world.a, open_report)
    before = len(events_of(report))

    with pytest.raises(NotFound):
        if action == "approve":
            approve(world.b, report, role=role)
        else:
            reject(world.b, report, role=role)

    assert refetch(report).state == ReportState.UNDER_REVIEW
    assert len(events_of(report)) == before
    assert not notified("report_approved") and not notified("report_rejected")


# --- rejection ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reject_requires_a_reason(world, open_report, reason):
    side = world.a
    report = report_in(ReportState.UNDER_REVIEW, side, open_report)

    with pytest.raises(DomainError) as excinfo:
        reject(side, report, reason=reason)

    assert type(excinfo.value) is Invalid and status_of(excinfo.value) == 400
    assert "reason" in excinfo.value.field_errors
    assert refetch(report).state == ReportState.UNDER_REVIEW


def test_reject_flags_the_lines_at_fault_until_the_next_submit(world, open_report):
    side = world.a
    report = report_in(ReportState.UNDER_REVIEW, side, open_report)
    lines = lines_of(report)
    at_fault = lines["AZ-BACKUP"]

    reject(side, report, line_ids=[at_fault.pk, str(at_fault.pk)])

    flagged = {code for code, line in lines_of(report).items() if line.flagged}
    assert flagged == {"AZ-BACKUP"}
    assert events_of(report)[-1].details["lines"] == [at_fault.pk]

    submit(side, report)
    assert not any(line.flagged for line in lines_of(report).values()), "a resubmission clears the flags"


def test_a_second_rejection_replaces_the_lines_at_fault(world, open_report):
    side = world.a
    report = report_in(ReportState.UNDER_REVIEW, side, open_report)
    lines = lines_of(report)
    reject(side, report, line_ids=[lines["AZ-BACKUP"].pk])
    submit(side, report)

    reject(side, report, reason="Now the EDR count is wrong.", line_ids=[lines["EDR-1"].pk])

    assert {code for code, line in lines_of(report).items() if line.flagged} == {"EDR-1"}
    assert refetch(report).rejection_count == 2


def test_reject_refuses_lines_that_are_not_in_the_report(world, open_report):
    side = world.a
    report = report_in(ReportState.UNDER_REVIEW, side, open_report)
    other_cycle = open_report(side.msp, cycle=dt.date(2026, 9, 1))
    foreign_line = next(iter(lines_of(other_cycle).values()))
    own_line = lines_of(report)["EDR-1"]

    for bad_ids in ([foreign_line.pk], [own_line.pk, 987654321]):
        with pytest.raises(DomainError) as excinfo:
            reject(side, report, line_ids=bad_ids)
        assert type(excinfo.value) is Invalid
        assert "line_ids" in excinfo.value.field_errors

    assert refetch(report).state == ReportState.UNDER_REVIEW
    assert not any(line.flagged for line in lines_of(report).values())


def test_reject_opens_a_new_deadline_from_the_account_delay(world):
    side = world.a
    side.msp.timezone = "Europe/Paris"
    side.msp.save()
    opened_at = timezone.now() - dt.timedelta(days=20)
    report, created = services.usage_report_open(
        msp=side.msp, cycle=dt.date(2026, 10, 1), lines=line_specs(), opened_at=opened_at
    )
    assert created
    first_deadline = report.deadline
    assert first_deadline == deadline_after(opened_at, 10, "Europe/Paris"), "10 days when never configured"
    explain(side, report)
    submit(side, report)
    MspAccountSettings.objects.for_tenant(side.msp).create(organisation=side.msp, auto_submit_days=30)

    reject(side, report)

    report = refetch(report)
    assert report.deadline > first_deadline
    assert report.deadline > timezone.now()
    assert report.deadline == deadline_after(report.reviewed_at, 30, "Europe/Paris")
    assert events_of(report)[-1].details["deadline"] == report.deadline.isoformat()


# --- notifications ------------------------------------------------------------------------------


def texts(notification) -> tuple[str, str]:
    with translation.override("en"):
        return notification.title, notification.body


def test_report_ready_goes_to_the_msp_admins_only(world, open_report):
    open_report(world.a.msp)

    ready = notified("report_ready")
    assert set(ready) == {world.a.users["msp_admin"].pk}
    title, body = texts(ready[world.a.users["msp_admin"].pk])
    assert "2026-10" in title
    assert "2026-10" in body


def test_submission_goes_to_the_serving_distributors_reviewers_and_admins(world, open_report):
    report_in(ReportState.UNDER_REVIEW, world.a, open_report)

    submitted = notified("report_submitted")
    assert set(submitted) == {world.a.users["dist_reviewer"].pk, world.a.users["dist_admin"].pk}
    for notification in submitted.values():
        assert notification.organisation_id == world.a.distributor.pk
        title, _ = texts(notification)
        assert "MSP A" in title and "2026-10" in title


def test_approval_goes_to_the_msp_admins(world, open_report):
    report_in(ReportState.APPROVED, world.a, open_report)

    approved = notified("report_approved")
    assert world.a.users["msp_admin"].pk in approved
    nobody_else = {world.a.users[r].pk for r in ("msp_viewer", "dist_admin", "dist_reviewer")} | {
        u.pk for u in world.b.users.values()
    }
    assert not nobody_else & set(approved)
    title, body = texts(approved[world.a.users["msp_admin"].pk])
    assert "2026-10" in title
    assert "Distributor A" in body and "approved" in body


def test_rejection_goes_to_the_msp_admins_with_the_reason(world, open_report):
    report = report_in(ReportState.UNDER_REVIEW, world.a, open_report)
    reject(world.a, report, reason="Backup GB are 20 % too high.")

    rejected = notified("report_rejected")
    assert set(rejected) == {world.a.users["msp_admin"].pk}
    title, body = texts(rejected[world.a.users["msp_admin"].pk])
    assert "2026-10" in title
    assert "Backup GB are 20 % too high." in body
    assert "Distributor A" in body
