"""The business rules a person meets while preparing and reviewing a usage report."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from msp_portal.errors import DomainError, Invalid, NotAllowed
from msp_portal.exceptions import status_of
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.resolve import resolve_tenant
from reports import selectors, services
from reports.choices import EventKind, PenaltyKind, ReportState
from reports.events import record_event
from reports.models import (
    LineComment,
    MspAccountSettings,
    ReportEvent,
    UsageReport,
    UsageReportLine,
)
from tests.factories import MembershipFactory, UserFactory

from .conftest import line_specs

pytestmark = pytest.mark.django_db

# product, name, unit, price, provided, used
ROWS = [
    ("M365", "Microsoft 365 Business Premium", "seat", "22.00", 40, 36),  # discrepant: 36 < 40
    ("BACKUP", "Azure Backup storage", "GB", "0.0500", 1200, None),  # billable = provided
    ("EDR", "Endpoint protection", "device", "3.50", 55, 55),
    ("TEAMS", "Teams Phone", "seat", "8.00", 10, 12),  # discrepant: used above provided
]


def ctx(user, org):
    return resolve_tenant(user=user, org_slug=org.slug)


def admin_ctx(side):
    return ctx(side.users["msp_admin"], side.msp)


def lines_of(report) -> dict[str, UsageReportLine]:
    return {
        line.product_code: line
        for line in UsageReportLine.objects.for_tenant(report.organisation).filter(report=report)
    }


def events_of(report) -> list[ReportEvent]:
    return list(
        ReportEvent.objects.for_tenant(report.organisation).filter(report=report).order_by("created_at", "pk")
    )


def refetch(report) -> UsageReport:
    return UsageReport.objects.for_tenant(report.organisation).get(pk=report.pk)


def comment(tenant, user, report, line, body="Explained: seats held for new hires."):
    return services.line_comment_add(
        tenant=tenant, acting_user=user, report_id=report.pk, line_id=line.pk, body=body
    )


def msp_comment(side, report, code, body="Explained: seats held for new hires."):
    return comment(admin_ctx(side), side.users["msp_admin"], report, lines_of(report)[code], body)


def set_units(side, report, code, units, user=None, tenant=None):
    line = lines_of(report)[code]
    return services.usage_report_line_update(
        tenant=tenant or admin_ctx(side),
        acting_user=user or side.users["msp_admin"],
        report_id=report.pk,
        line_id=line.pk,
        billable_units=units,
        version=line.version,
    )


def submit(side, report, user=None, tenant=None):
    return services.usage_report_submit(
        tenant=tenant or admin_ctx(side),
        acting_user=user or side.users["msp_admin"],
        report_id=report.pk,
    )


def page(tenant, report):
    return selectors.report_page(
        tenant=tenant, report=selectors.usage_report_get(tenant=tenant, report_id=report.pk)
    )


# --- the comment rule ---------------------------------------------------------------------------


def test_submit_is_refused_while_discrepant_lines_have_no_msp_comment(world, open_report):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    lines = lines_of(report)

    with pytest.raises(DomainError) as excinfo:
        submit(side, report)

    error = excinfo.value
    assert status_of(error) == 400 and error.code == "unexplained_discrepancies"
    assert error.extra["lines"] == [lines["M365"].pk, lines["TEAMS"].pk]
    assert error.field_errors["lines"] == ["Microsoft 365 Business Premium", "Teams Phone"]
    assert "Microsoft 365 Business Premium" in error.message and "Teams Phone" in error.message
    assert "Azure Backup storage" not in error.message and "Endpoint protection" not in error.message
    assert refetch(report).state == ReportState.MSP_PREPARATION


def test_a_distributor_comment_does_not_explain_a_line(world, open_report):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    lines = lines_of(report)
    msp_comment(side, report, "TEAMS", "Two extra seats were used by a partner.")
    reviewer = side.users["dist_reviewer"]
    comment(
        ctx(reviewer, side.distributor),
        reviewer,
        report,
        lines["M365"],
        "Please explain the 4 missing seats.",
    )

    with pytest.raises(DomainError) as excinfo:
        submit(side, report)

    assert excinfo.value.extra["lines"] == [lines["M365"].pk]
    assert excinfo.value.field_errors["lines"] == ["Microsoft 365 Business Premium"]


def test_submit_works_once_every_discrepant_line_has_an_msp_comment(world, open_report):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    msp_comment(side, report, "M365")
    msp_comment(side, report, "TEAMS", "Two extra seats were used by a partner.")

    submit(side, report)

    assert refetch(report).state == ReportState.UNDER_REVIEW


def test_editing_decides_which_lines_need_a_comment(world, open_report):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    set_units(side, report, "M365", 40)  # back to provided: nothing to explain
    set_units(side, report, "TEAMS", 10)
    set_units(side, report, "EDR", 50)  # newly discrepant

    with pytest.raises(DomainError) as excinfo:
        submit(side, report)
    assert excinfo.value.extra["lines"] == [lines_of(report)["EDR"].pk]

    msp_comment(side, report, "EDR", "Five devices were retired on the 3rd.")
    submit(side, report)
    assert refetch(report).state == ReportState.UNDER_REVIEW


# --- units --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, "-3", "abc", "", 1.5, "1.5", True, False, None, 10_000_001])
def test_billable_units_must_be_a_whole_non_negative_number(world, open_report, value):
    side = world.a
    report = open_report(side.msp, rows=ROWS)

    with pytest.raises(DomainError) as excinfo:
        set_units(side, report, "M365", value)

    assert type(excinfo.value) is Invalid and status_of(excinfo.value) == 400
    assert "billable_units" in excinfo.value.field_errors
    line = lines_of(report)["M365"]
    assert (line.billable_units, line.version) == (36, 1)
    assert [e.kind for e in events_of(report)] == [EventKind.OPENED]


@pytest.mark.parametrize(("value", "saved"), [(0, 0), ("12", 12), (" 7 ", 7), (10_000_000, 10_000_000)])
def test_whole_numbers_are_accepted_as_numbers_or_text(world, open_report, value, saved):
    side = world.a
    report = open_report(side.msp, rows=ROWS)

    set_units(side, report, "M365", value)

    assert lines_of(report)["M365"].billable_units == saved
    assert events_of(report)[-1].new_value == str(saved)


# --- comments -----------------------------------------------------------------------------------


def test_a_double_submitted_comment_is_kept_once(world, open_report):
    side = world.a
    report = open_report(side.msp, rows=ROWS)

    first = msp_comment(side, report, "M365", "Seats held for new hires.")
    second = msp_comment(side, report, "M365", "  Seats held for new hires.  ")

    assert second.pk == first.pk
    assert LineComment.objects.for_tenant(side.msp).filter(line=lines_of(report)["M365"]).count() == 1

    msp_comment(side, report, "M365", "And two for contractors.")
    reviewer = side.users["dist_reviewer"]
    comment(
        ctx(reviewer, side.distributor),
        reviewer,
        report,
        lines_of(report)["M365"],
        "Seats held for new hires.",
    )
    bodies = list(
        LineComment.objects.for_tenant(side.msp)
        .filter(line=lines_of(report)["M365"])
        .values_list("body", flat=True)
    )
    assert bodies == [
        "Seats held for new hires.",
        "And two for contractors.",
        "Seats held for new hires.",
    ]


# --- segregation of duties ----------------------------------------------------------------------


@pytest.fixture
def two_hats(world):
    """A person who is both an admin of MSP A and a reviewer at the distributor serving it."""
    user = UserFactory(email="two.hats@a.example")
    MembershipFactory(organisation=world.a.msp, user=user, role="msp_admin")
    MembershipFactory(organisation=world.a.distributor, user=user, role="dist_reviewer")
    return user


@pytest.mark.parametrize("submitted_by_two_hats", [True, False])
def test_who_edited_or_submitted_a_report_cannot_review_it(
    world, open_report, two_hats, submitted_by_two_hats
):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    as_msp = ctx(two_hats, side.msp)
    set_units(side, report, "TEAMS", 10, user=two_hats, tenant=as_msp)
    msp_comment(side, report, "M365")
    if submitted_by_two_hats:
        submit(side, report, user=two_hats, tenant=as_msp)
    else:
        submit(side, report)  # someone else submitted; the person still edited a line
    as_reviewer = ctx(two_hats, side.distributor)

    with pytest.raises(NotAllowed) as approving:
        services.usage_report_approve(tenant=as_reviewer, acting_user=two_hats, report_id=report.pk)
    with pytest.raises(NotAllowed) as rejecting:
        services.usage_report_reject(
            tenant=as_reviewer, acting_user=two_hats, report_id=report.pk, reason="Looks off."
        )

    assert approving.value.code == "segregation_of_duties"
    assert rejecting.value.code == "segregation_of_duties"
    assert status_of(approving.value) == 403
    assert refetch(report).state == ReportState.UNDER_REVIEW

    other = side.users["dist_reviewer"]
    services.usage_report_approve(tenant=ctx(other, side.distributor), acting_user=other, report_id=report.pk)
    assert refetch(report).state == ReportState.APPROVED


def test_a_reviewer_who_only_belongs_to_both_may_review(world, open_report, two_hats):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    msp_comment(side, report, "M365")
    msp_comment(side, report, "TEAMS")
    submit(side, report)

    services.usage_report_approve(
        tenant=ctx(two_hats, side.distributor), acting_user=two_hats, report_id=report.pk
    )

    assert refetch(report).state == ReportState.APPROVED


# --- the history cannot be changed --------------------------------------------------------------


def snapshot(event_pk, msp):
    return (
        ReportEvent.objects.for_tenant(msp)
        .filter(pk=event_pk)
        .values(
            "kind",
            "actor_id",
            "from_state",
            "to_state",
            "reason",
            "old_value",
            "new_value",
            "created_at",
        )
        .get()
    )


def test_history_rows_cannot_be_updated_or_deleted(world, open_report):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    set_units(side, report, "M365", 38)
    edit_event = events_of(report)[-1]
    before = snapshot(edit_event.pk, side.msp)
    count = len(events_of(report))

    def tamper_update():
        ReportEvent.objects.for_tenant(side.msp).filter(pk=edit_event.pk).update(new_value="40")

    def tamper_save():
        event = ReportEvent.objects.for_tenant(side.msp).get(pk=edit_event.pk)
        event.new_value = "40"
        event.save()

    def tamper_delete():
        ReportEvent.objects.for_tenant(side.msp).get(pk=edit_event.pk).delete()

    def tamper_sql():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM reports_reportevent WHERE report_id = %s", [report.pk])

    for attempt in (tamper_update, tamper_save, tamper_delete, tamper_sql):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
        assert snapshot(edit_event.pk, side.msp) == before, f"{attempt.__name__} changed the history"
        assert len(events_of(report)) == count, f"{attempt.__name__} removed history rows"

    # Appending still works.
    record_event(
        report=report,
        kind=EventKind.LINE_EDIT,
        actor=side.users["msp_admin"],
        old_value=38,
        new_value=39,
    )
    assert len(events_of(report)) == count + 1


# --- opening ------------------------------------------------------------------------------------


def test_opening_the_same_cycle_twice_returns_the_same_report(world):
    msp = world.a.msp
    first, created = services.usage_report_open(msp=msp, cycle=dt.date(2026, 10, 1), lines=line_specs(ROWS))
    assert created

    again, created_again = services.usage_report_open(
        msp=msp, cycle=dt.date(2026, 10, 17), lines=line_specs(ROWS[:1])
    )

    assert created_again is False
    assert again.pk == first.pk
    assert again.deadline == first.deadline
    assert UsageReport.objects.for_tenant(msp).count() == 1
    assert UsageReportLine.objects.for_tenant(msp).count() == len(ROWS)
    assert [e.kind for e in events_of(first)] == [EventKind.OPENED]
    with scopes_disabled():
        assert Notification.objects.filter(kind="report_ready").count() == 1


def test_billable_starts_at_used_units_where_reported_else_provided(world, open_report):
    rows = ROWS + [("ZERO", "Unused add-on", "seat", "1.00", 5, 0)]
    report = open_report(world.a.msp, rows=rows)

    billable = {code: line.billable_units for code, line in lines_of(report).items()}

    assert billable == {"M365": 36, "BACKUP": 1200, "EDR": 55, "TEAMS": 12, "ZERO": 0}


# --- penalty preview ----------------------------------------------------------------------------


def test_penalty_preview_in_money_drops_to_zero_once_every_line_is_explained(world, open_report):
    side = world.a
    MspAccountSettings.objects.for_tenant(side.msp).create(
        organisation=side.msp,
        penalty_kind=PenaltyKind.PERCENT,
        penalty_percent=Decimal("10"),
        penalty_minimum=Decimal("5"),
    )
    report = open_report(side.msp, rows=ROWS)
    set_units(side, report, "BACKUP", 1000)
    lines = lines_of(report)
    # M365: 4 × 22.00 = 88.00 reset, 10 % = 8.80 surcharge  → 96.80
    # TEAMS: declared 2 above provided (over-declared): its reset lowers the bill, and the
    # account does not surcharge over-declared lines → 0.00 (still reset)
    # BACKUP: 200 × 0.05 = 10.00 reset; 10 % = 1.00, minimum 5.00 → 15.00
    # EDR: no discrepancy → nothing
    tenant = admin_ctx(side)

    preview = page(tenant, report).penalty

    assert preview.total == Decimal("111.80")
    assert {pk: p.total for pk, p in preview.lines.items()} == {
        lines["M365"].pk: Decimal("96.80"),
        lines["TEAMS"].pk: Decimal("0.00"),
        lines["BACKUP"].pk: Decimal("15.00"),
    }
    reviewer = side.users["dist_reviewer"]
    assert page(ctx(reviewer, side.distributor), report).penalty.total == Decimal("111.80")

    comment(ctx(reviewer, side.distributor), reviewer, report, lines["M365"], "Why 36?")
    assert page(tenant, report).penalty.total == Decimal("111.80"), "a distributor comment explains nothing"

    msp_comment(side, report, "M365")
    assert page(tenant, report).penalty.total == Decimal("15.00")
    msp_comment(side, report, "TEAMS")
    msp_comment(side, report, "BACKUP")

    final = page(tenant, report)
    assert final.penalty.total == Decimal("0.00")
    assert final.penalty.lines == {}
    assert final.unexplained_count == 0


# --- what changed since the rejection ----------------------------------------------------------


def test_changes_since_rejection_show_old_and_new_units_and_new_comments(world, open_report):
    side = world.a
    report = open_report(side.msp, rows=ROWS)
    msp_comment(side, report, "M365", "Before the rejection.")
    msp_comment(side, report, "TEAMS", "Partner seats.")
    submit(side, report)
    assert page(admin_ctx(side), report).changes == []

    reviewer = side.users["dist_reviewer"]
    services.usage_report_reject(
        tenant=ctx(reviewer, side.distributor),
        acting_user=reviewer,
        report_id=report.pk,
        reason="Backup is too high.",
    )
    set_units(side, report, "BACKUP", 1000)
    set_units(side, report, "BACKUP", 1100)
    msp_comment(side, report, "BACKUP", "Old snapshots were purged.")
    set_units(side, report, "M365", 38)
    set_units(side, report, "M365", 36)  # changed back: nothing to show
    msp_comment(side, report, "EDR", "Unchanged, confirmed with the vendor.")
    submit(side, report)

    view = page(ctx(reviewer, side.distributor), report)

    assert view.last_rejection.reason == "Backup is too high."
    changes = {change.line.product_code: change for change in view.changes}
    assert set(changes) == {"BACKUP", "EDR"}
    backup = changes["BACKUP"]
    assert (backup.old_billable, backup.new_billable) == (1200, 1100)
    assert [c.body for c in backup.new_comments] == ["Old snapshots were purged."]
    edr = changes["EDR"]
    assert (edr.old_billable, edr.new_billable) == (None, 55)
    assert [c.body for c in edr.new_comments] == ["Unchanged, confirmed with the vendor."]
