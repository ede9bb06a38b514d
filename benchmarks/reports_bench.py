"""Server time and SQL queries of the usage-report pages and API.

    .venv/bin/python benchmarks/reports_bench.py [--requests N] [--reports N] [--database NAME]
                                                 [--queries] [--profile]

Measures, in-process through django.test.Client (no network, no browser):

a) the report page /o/<msp>/reports/<id>/ of reports with 10, 100 and 300 lines (a fifth of
   the lines commented), as the MSP's msp_admin (report in preparation: editable grid, penalty
   preview) and as the distributor's reviewer (same report; and a 300-line report resubmitted
   after a rejection, with the "changes since the rejection" panel and the reject form);
b) the report list /o/<msp>/reports/?period=all of an MSP with 5,000 reports (first page), and
   the distributor's review queue over them;
c) the API list /api/v1/orgs/<msp>/usage-reports/?period=all (first page).

For each: the SQL queries of one request (CaptureQueriesContext) and the median, 90th
percentile and minimum server time of --requests requests (default 20) after 3 warm-up
requests (time.perf_counter around client.get).

Data: the benchmark uses its own database (--database, default msp_bench) on the PostgreSQL
server of DATABASE_URL, creating and migrating it when needed; without DATABASE_URL / REDIS_URL
the embedded servers of the project are started from var/. At start it deletes its own
organisations (slugs starting with "bench-") and everything in them, then creates them again
with bulk inserts. Settings: config.settings.test (DEBUG off as in production, plain static
storage so that no collectstatic is needed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import dataclass
from decimal import Decimal

from _common import (
    WARM_UP,
    Figure,
    measure,
    measure_callable,
    print_header,
    print_slowest,
    print_table,
    run_on_database,
    wipe_organisations,
)

PREFIX = "bench-"
DISTRIBUTOR = "bench-dist"
MSP = "bench-msp"  # the reports of part a
MANY = "bench-many"  # the 5,000 reports of parts b and c
ADMIN_EMAIL = "bench-admin@bench.example"
REVIEWER_EMAIL = "bench-reviewer@bench.example"
LINE_COUNTS = (10, 100, 300)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def wipe() -> None:
    """Delete the benchmark organisations and everything in them (history rows included: the
    append-only trigger is switched off for that one statement, in this database only)."""
    wipe_organisations(PREFIX, "@bench.example")


@dataclass
class World:
    msp: object
    many: object
    admin: object
    reviewer: object
    preparation: dict  # lines → report id (msp_preparation)
    resubmitted: int  # 300 lines, under review after a rejection


def _line(org, report, position, *, discrepant: bool):
    from reports.models import UsageReportLine

    provided = 20 + position % 180
    return UsageReportLine(
        organisation=org,
        report=report,
        position=position,
        product_code=f"PRD-{position:04d}",
        sku_code="P1M",
        product_name=f"Product {position:04d} (Microsoft 365 Business Premium)",
        unit_type="seat",
        unit_price=Decimal("20.6000"),
        provided_units=provided,
        used_units=provided - 2 if discrepant else provided,
        billable_units=provided - 2 if discrepant else provided,
    )


def _comments(lines, author, author_organisation, body):
    from reports.models import LineComment

    msp = lines[0].organisation
    LineComment.objects.bulk_create(
        [
            LineComment(
                organisation=msp, line=line, author=author, author_organisation=author_organisation, body=body
            )
            for line in lines
        ]
    )


def _event(report, kind, **fields):
    from reports.models import ReportEvent

    return ReportEvent(organisation=report.organisation, report=report, kind=kind, **fields)


def _edits(report, lines, actor):
    from reports.choices import EventKind
    from reports.models import ReportEvent

    ReportEvent.objects.bulk_create(
        [
            _event(
                report,
                EventKind.LINE_EDIT,
                line=line,
                actor=actor,
                old_value=str(line.billable_units + 1),
                new_value=str(line.billable_units),
            )
            for line in lines
        ]
    )


def build() -> World:
    """The benchmark organisations, people and the reports of part a, by bulk inserts.

    Reports in preparation have 10, 100 and 300 lines: a third discrepant, a fifth commented by
    the MSP, a tenth by the distributor, an edit on every seventh. The resubmitted report has
    300 lines, a rejection, then new comments on a fifth of the lines and 40 edits."""
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from msp_portal.tenancy.models import Membership, Organisation, User
    from reports.choices import EventKind, ReportState, SubmissionKind
    from reports.models import UsageReport, UsageReportLine

    now = timezone.now()
    common = {"country": "FR", "timezone": "Europe/Paris", "currency": "EUR"}
    with scopes_disabled(), transaction.atomic():
        dist = Organisation.objects.create(
            slug=DISTRIBUTOR, name="Bench Distribution", kind="distributor", **common
        )
        msp = Organisation.objects.create(slug=MSP, name="Bench MSP", kind="msp", distributor=dist, **common)
        many = Organisation.objects.create(
            slug=MANY, name="Bench MSP 5000", kind="msp", distributor=dist, **common
        )
        admin = User.objects.create_user(email=ADMIN_EMAIL, first_name="Ada", last_name="Admin")
        reviewer = User.objects.create_user(email=REVIEWER_EMAIL, first_name="Rex", last_name="Reviewer")
        Membership.objects.bulk_create(
            [
                Membership(organisation=msp, user=admin, role="msp_admin"),
                Membership(organisation=many, user=admin, role="msp_admin"),
                Membership(organisation=dist, user=reviewer, role="dist_reviewer"),
            ]
        )

        def report_with_lines(month: int, count: int, state: str, **fields):
            report = UsageReport.objects.create(
                organisation=msp,
                cycle=dt.date(2026, month, 1),
                state=state,
                currency="EUR",
                opened_at=now - dt.timedelta(days=3),
                deadline=now + dt.timedelta(days=7),
                **fields,
            )
            lines = UsageReportLine.objects.bulk_create(
                [_line(msp, report, position, discrepant=position % 3 == 0) for position in range(count)]
            )
            _event(report, EventKind.OPENED, to_state=ReportState.MSP_PREPARATION).save()
            return report, lines

        preparation = {}
        for month, count in enumerate(LINE_COUNTS, start=1):
            report, lines = report_with_lines(month, count, ReportState.MSP_PREPARATION)
            _comments(lines[::5], admin, msp, "Seats of leavers, released on the 3rd.")
            _comments(lines[::10], reviewer, dist, "Noted, thanks.")
            _edits(report, lines[1::7], admin)
            preparation[count] = report.pk

        reason = "Explain the lower figures."
        report, lines = report_with_lines(
            4,
            300,
            ReportState.UNDER_REVIEW,
            submitted_at=now,
            submitted_by=admin,
            submission_kind=SubmissionKind.MANUAL,
            rejection_count=1,
            rejection_reason=reason,
        )
        _event(report, EventKind.SUBMITTED, actor=admin, to_state=ReportState.UNDER_REVIEW).save()
        _event(
            report, EventKind.REJECTED, actor=reviewer, to_state=ReportState.REJECTED, reason=reason
        ).save()
        # after the rejection (history rows are stamped when written, so these come later)
        _comments(lines[::5], admin, msp, "Explained: seats of leavers.")
        _edits(report, lines[::7][:40], admin)
        _event(report, EventKind.SUBMITTED, actor=admin, to_state=ReportState.UNDER_REVIEW).save()
    return World(
        msp=msp, many=many, admin=admin, reviewer=reviewer, preparation=preparation, resubmitted=report.pk
    )


def build_many(world: World, count: int) -> float:
    """``count`` reports of 3 lines each in one MSP, one per month going back from 2026-10
    (the unique (MSP, cycle) key wants distinct months: 5,000 months reach back to 1610);
    most approved, some in the other states. Returns the seconds it took."""
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from msp_portal.calendar import add_months
    from reports.choices import ReportState, SubmissionKind
    from reports.models import UsageReport, UsageReportLine

    started = time.perf_counter()
    now = timezone.now()
    others = [ReportState.UNDER_REVIEW, ReportState.REJECTED, ReportState.MSP_PREPARATION]
    states = [ReportState.APPROVED] * 17 + others
    org = world.many
    reports = []
    for index in range(count):
        cycle = add_months(dt.date(2026, 10, 1), -index)
        state = states[index % len(states)]
        submitted = state in (ReportState.APPROVED, ReportState.UNDER_REVIEW)
        reports.append(
            UsageReport(
                organisation=org,
                cycle=cycle,
                state=state,
                currency="EUR",
                opened_at=now,
                deadline=now + dt.timedelta(days=10),
                submitted_at=now - dt.timedelta(minutes=index) if submitted else None,
                submitted_by=world.admin if submitted else None,
                submission_kind=SubmissionKind.MANUAL if submitted else "",
            )
        )
    with scopes_disabled(), transaction.atomic():
        reports = UsageReport.objects.bulk_create(reports, batch_size=1000)
        lines = [
            _line(org, report, position, discrepant=position == 1)
            for report in reports
            for position in range(3)
        ]
        UsageReportLine.objects.bulk_create(lines, batch_size=2000)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument(
        "--reports", type=int, default=5000, help="reports in the MSP of the list (default 5000)"
    )
    parser.add_argument(
        "--database", default="msp_bench", help="database on the DATABASE_URL server (default msp_bench)"
    )
    parser.add_argument("--queries", action="store_true", help="print the 3 slowest SQL queries of each page")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one request of each page")
    parser.add_argument("--only", metavar="TEXT", help="measure only the pages whose label contains TEXT")
    args = parser.parse_args(argv)

    return run_on_database(args.database, lambda: run(args))


def selector_figure(world: World, lines: int, requests: int) -> Figure:
    """The report page's selector alone (its SQL included), to split server time between
    preparing the data and rendering the HTML."""
    from msp_portal.tenancy.resolve import resolve_tenant
    from reports import selectors

    tenant = resolve_tenant(user=world.admin, org_slug=MSP)
    report_id = world.preparation[lines]

    def prepare():
        report = selectors.usage_report_get(tenant=tenant, report_id=report_id)
        return selectors.report_page(tenant=tenant, report=report)

    return measure_callable(
        f"a) {lines} lines: usage_report_get + report_page only", prepare, requests, keep_slowest=False
    )


def run(args) -> int:
    from django.db import connection
    from django.test import Client

    started = time.perf_counter()
    wipe()
    world = build()
    many_seconds = build_many(world, args.reports)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_seconds = time.perf_counter() - started

    msp_admin, reviewer = Client(), Client()
    msp_admin.force_login(world.admin)
    reviewer.force_login(world.reviewer)
    n = args.reports
    pages = [
        *[
            (msp_admin, f"a) report page, {lines} lines, MSP admin", f"/o/{MSP}/reports/{pk}/")
            for lines, pk in world.preparation.items()
        ],
        *[
            (reviewer, f"a) report page, {lines} lines, distributor", f"/o/{DISTRIBUTOR}/reports/{pk}/")
            for lines, pk in world.preparation.items()
        ],
        (
            reviewer,
            "a) resubmitted, 300 lines, distributor",
            f"/o/{DISTRIBUTOR}/reports/{world.resubmitted}/",
        ),
        (msp_admin, "a) resubmitted, 300 lines, MSP admin", f"/o/{MSP}/reports/{world.resubmitted}/"),
        (msp_admin, f"b) report list, {n} reports, first page", f"/o/{MANY}/reports/?period=all"),
        (msp_admin, f"b) report list, {n} reports, page 100", f"/o/{MANY}/reports/?period=all&page=100"),
        (
            reviewer,
            f"b) review queue, {n} reports, all states",
            f"/o/{DISTRIBUTOR}/reports/?period=all&msp={MANY}&all_states=1",
        ),
        (
            msp_admin,
            f"c) API list, {n} reports, first page",
            f"/api/v1/orgs/{MANY}/usage-reports/?period=all",
        ),
    ]
    figures = [
        measure(client, label, url, args.requests, profile=args.profile)
        for client, label, url in pages
        if not args.only or args.only in label
    ]
    if not args.only or "300 lines" in args.only:
        figures.insert(min(3, len(figures)), selector_figure(world, LINE_COUNTS[-1], args.requests))

    print_header("Usage reports: server time and SQL queries per request", rule=55)
    print(f"{'requests':<14} median / p90 / min of {args.requests} after {WARM_UP} warm-up, in-process")
    print(f"{'setup':<14} {setup_seconds:.1f} s ({n} reports × 3 lines: {many_seconds:.1f} s)")
    print()
    print_table(figures)
    print()
    return verdict(figures, args)


def verdict(figures: list[Figure], args) -> int:
    """Print the targets and whether they are met; 1 when queries grow with the lines."""
    by_label = {f.label: f for f in figures}
    grows = False
    for who in ("MSP admin", "distributor"):
        counts = [
            by_label[k].queries
            for k in (f"a) report page, {n} lines, {who}" for n in LINE_COUNTS)
            if k in by_label
        ]
        if counts:
            grows = grows or len(set(counts)) > 1
            state = "GROW with the lines" if len(set(counts)) > 1 else "constant"
            print(
                f"Queries of the report page ({who}), {' → '.join(map(str, LINE_COUNTS))} lines: {counts}: {state}"
            )
    targets = [
        (f"a) report page, {LINE_COUNTS[-1]} lines, MSP admin", 300),
        (f"a) report page, {LINE_COUNTS[-1]} lines, distributor", 300),
        (f"b) report list, {args.reports} reports, first page", 150),
    ]
    for label, limit in targets:
        if label in by_label:
            median = by_label[label].median_ms
            state = "met" if median <= limit else "OVER"
            print(f"Target {label}: ≤ {limit} ms; median {median:.0f} ms: {state}")
    if args.queries:
        print_slowest(figures)
    return 1 if grows else 0


if __name__ == "__main__":
    sys.exit(main())
