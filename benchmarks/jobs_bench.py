"""Wall time and SQL statements of the scheduled jobs: the auto-submit sweep and opening cycles.

    .venv/bin/python benchmarks/jobs_bench.py [--reports N] [--lines N] [--msps N] [--products N]
                                              [--submit-msps N] [--small-reports N] [--small-lines N]
                                              [--batch-size N] [--database NAME] [--only submit|cycles]
                                              [--profile]

1) Auto-submit: --reports reports (default 10,000) of --lines lines (default 20) in
   msp_preparation, their deadline passed, spread over --submit-msps MSPs (default 500; one
   msp_admin each, distinct first-of-month cycles per MSP) of a distributor with two reviewers.
   Every line provides 10 units and declares 10 billable, except that in half of the reports
   one line declares 7 with no comment (an unexplained discrepancy: one penalty) and in one
   report in twenty another declares 9 with the MSP's comment (explained: no penalty); half of
   the MSPs have a percentage surcharge. Times one ``reports.auto_submit.auto_submit_due`` run
   (default batch size) and counts its SQL statements (``connection.execute_wrapper``: counted,
   not kept), with the time spent in each step of the sweep (claiming, planning, writing,
   notifying). Then the same on a fresh set of --small-reports reports (default 2,000) of
   --small-lines lines (default 5), to show that the statements per report do not grow with
   the lines. Afterwards every report must be under_review with one penalty per discrepant
   report (exit status 1 otherwise). Target: 10,000 reports of 20 lines in under 30 s.
2) Open cycles: --msps MSPs (default 1,000) each holding a subscription to every product of a
   --products catalog (default 30), three licenses and six to nine assignment events per
   subscription between August and October 2026 (so the peaks differ: carry-ins, months
   without events, three time zones), every MSP created in October 2026 and without reports.
   Times one ``reports.cycles.cycles_open_due`` run at 2026-11-10 12:00 UTC (exactly one cycle,
   2026-10, opens per MSP; statements total and per MSP, reports and lines opened), then a
   second run right after, which must open nothing.

Notifications: both jobs enqueue e-mail tasks on commit. The Celery default queue is set to a
queue of this benchmark only (msp_portal_jobbench, before anything reads the settings), so a
worker running on the same Redis never sees them, and that queue is purged at the start and
at the end.

Data: its own database (--database, default msp_bench_jobs) on the PostgreSQL server of
DATABASE_URL, created and migrated when needed; without DATABASE_URL / REDIS_URL the embedded
servers of the project are started from var/. At start it deletes only its own organisations
(slugs starting with "jobbench-"), every tenant-owned row of theirs and their users (DELETE
statements; the append-only triggers of the report history, the penalties and the assignment
history are switched off for that one transaction, in this database only: see
``_common.wipe_organisations``), then creates everything again with set-based SQL
(``INSERT … SELECT generate_series``) and runs VACUUM ANALYZE. Settings:
config.settings.test (DEBUG off as in production).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

from _common import (
    StatementCounter,
    load_average,
    print_header,
    print_profile,
    run_on_database,
    wipe_organisations,
)

PREFIX = "jobbench-"
EMAIL_SUFFIX = "@jobbench.example"
SUBMIT_DISTRIBUTOR = "jobbench-submit"
CYCLES_DISTRIBUTOR = "jobbench-cycles"
QUEUE = "msp_portal_jobbench"
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo")
TARGET_SECONDS = 30
LICENSES_PER_SUBSCRIPTION = 3
EVENTS_PER_SUBSCRIPTION = 6  # plus 0 to 3 more, by subscription
CYCLES_NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)
CREATED = dt.datetime(2026, 10, 5, 8, 0, tzinfo=dt.UTC)  # the MSPs of part 2, in every zone's October


# ---------------------------------------------------------------------------------------------
# Celery: a queue of our own
# ---------------------------------------------------------------------------------------------


def use_own_queue(settings) -> None:
    settings.CELERY_TASK_DEFAULT_QUEUE = QUEUE


def purge_queue() -> int:
    """Drop the e-mail tasks the jobs enqueued, then the queue itself (its binding in Redis
    included); returns how many tasks there were."""
    from config import celery_app

    if celery_app.conf.task_default_queue != QUEUE:
        raise SystemExit(f"the Celery default queue is {celery_app.conf.task_default_queue!r}, not {QUEUE!r}")
    with celery_app.connection_for_write() as connection:
        queue = celery_app.amqp.queues[QUEUE](connection.default_channel)
        queue.declare()
        purged = queue.purge() or 0
        queue.delete()
    return purged


# ---------------------------------------------------------------------------------------------
# Data (set-based SQL)
# ---------------------------------------------------------------------------------------------


def sql(statement: str, params: dict | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        return cursor.fetchall() if cursor.description else []


def create_distributor(slug: str, name: str, reviewers: int) -> int:
    """The distributor and its ``reviewers`` dist_reviewer users; returns its id."""
    [(dist_id,)] = sql(
        """INSERT INTO tenancy_organisation (name, slug, kind, distributor_id, country, timezone, currency,
                                             is_active, created_at)
           VALUES (%(name)s, %(slug)s, 'distributor', NULL, 'FR', 'Europe/Paris', 'EUR', true, now())
           RETURNING id""",
        {"name": name, "slug": slug},
    )
    sql(
        """WITH u AS (
               INSERT INTO tenancy_user (password, last_login, is_superuser, first_name, last_name, is_staff,
                                         is_active, date_joined, email)
               SELECT '!', NULL, false, 'Reviewer', n::text, false, true, now(),
                      'reviewer-' || n || '-' || %(slug)s || %(suffix)s
                 FROM generate_series(1, %(count)s) AS n
               RETURNING id)
           INSERT INTO tenancy_membership (organisation_id, user_id, role, invited_by_id, created_at)
           SELECT %(dist)s, u.id, 'dist_reviewer', NULL, now() FROM u""",
        {"slug": slug, "suffix": EMAIL_SUFFIX, "count": reviewers, "dist": dist_id},
    )
    return dist_id


def create_msps(distributor_id: int, tag: str, count: int, created_at: dt.datetime) -> list[int]:
    """``count`` MSPs (slugs jobbench-<tag>-00001…, time zones in turn from ZONES, created a
    minute apart from ``created_at``), each with one msp_admin user; returns their ids."""
    sql(
        """WITH n AS (SELECT generate_series(1, %(count)s) AS n),
           o AS (
               INSERT INTO tenancy_organisation (name, slug, kind, distributor_id, country, timezone, currency,
                                                 is_active, created_at)
               SELECT 'Job bench MSP ' || %(tag)s || ' ' || n, %(prefix)s || lpad(n::text, 5, '0'), 'msp',
                      %(dist)s, 'FR', (%(zones)s::text[])[1 + n %% cardinality(%(zones)s::text[])], 'EUR', true,
                      %(created)s::timestamptz + n * interval '1 minute'
                 FROM n
               RETURNING id, slug),
           u AS (
               INSERT INTO tenancy_user (password, last_login, is_superuser, first_name, last_name, is_staff,
                                         is_active, date_joined, email)
               SELECT '!', NULL, false, 'Admin', n::text, false, true, now(),
                      'admin-' || %(prefix)s || lpad(n::text, 5, '0') || %(suffix)s
                 FROM n
               RETURNING id, email)
           INSERT INTO tenancy_membership (organisation_id, user_id, role, invited_by_id, created_at)
           SELECT o.id, u.id, 'msp_admin', NULL, now()
             FROM o JOIN u ON u.email = 'admin-' || o.slug || %(suffix)s""",
        {
            "count": count,
            "tag": tag,
            "prefix": f"{PREFIX}{tag}-",
            "dist": distributor_id,
            "zones": list(ZONES),
            "created": created_at,
            "suffix": EMAIL_SUFFIX,
        },
    )
    rows = sql(
        "SELECT id FROM tenancy_organisation WHERE slug LIKE %(like)s ORDER BY slug",
        {"like": f"{PREFIX}{tag}-%"},
    )
    return [row[0] for row in rows]


def create_due_reports(msp_ids: list[int], count: int, lines: int, month_offset: int, tag: str) -> None:
    """``count`` reports in msp_preparation, deadline passed, MSP after MSP in turn (each MSP's
    cycles are consecutive months going back from 2026-10, after ``month_offset`` months), with
    ``lines`` lines each, an "opened" history row each, and the comments of the explained
    discrepancies. The set is tagged in ``po_number`` (kept by the sweep) to find it again.

    Even report ids: one line declares 7 of 10 units, no comment. Report ids ≡ 1 (mod 20): one
    line declares 9, with the MSP admin's comment. The others: every line 10 of 10."""
    sql(
        """WITH r AS (
               INSERT INTO reports_usagereport (organisation_id, cycle, state, currency, opened_at, deadline,
                   submitted_at, submitted_by_id, submission_kind, needs_review_flag, po_number, note,
                   reviewed_at, reviewed_by_id, rejection_reason, rejection_count)
               SELECT m.ids[1 + i %% cardinality(m.ids)],
                      (date '2026-10-01' - make_interval(months => %(offset)s + i / cardinality(m.ids)))::date,
                      'msp_preparation', 'EUR', now() - interval '20 days',
                      now() - interval '1 hour' - make_interval(secs => i), NULL, NULL, '', false, %(tag)s, '',
                      NULL, NULL, '', 0
                 FROM generate_series(0, %(count)s - 1) AS i, (SELECT %(ids)s::bigint[] AS ids) AS m
               RETURNING id, organisation_id),
           l AS (
               INSERT INTO reports_usagereportline (organisation_id, report_id, position, product_code, sku_code,
                   product_name, unit_type, unit_price, provided_units, used_units, billable_units, flagged,
                   version, updated_at)
               SELECT r.organisation_id, r.id, p, 'JB-' || lpad(p::text, 4, '0'), 'P1M',
                      'Job bench product ' || p || ' (Microsoft 365 Business Premium)', 'seat', 20.6, 10, NULL,
                      CASE WHEN r.id %% 2 = 0 AND p = (r.id / 2) %% %(lines)s THEN 7
                           WHEN r.id %% 20 = 1 AND p = (r.id / 20) %% %(lines)s THEN 9
                           ELSE 10 END,
                      false, 1, now()
                 FROM r CROSS JOIN generate_series(0, %(lines)s - 1) AS p
               RETURNING id, organisation_id, billable_units),
           e AS (
               INSERT INTO reports_reportevent (organisation_id, report_id, line_id, kind, actor_id, from_state,
                   to_state, old_value, new_value, reason, details, created_at)
               SELECT r.organisation_id, r.id, NULL, 'opened', NULL, '', 'msp_preparation', '', '', '', '{}',
                      now() - interval '20 days'
                 FROM r)
           INSERT INTO reports_linecomment (organisation_id, line_id, author_id, author_organisation_id, body,
                                            created_at)
           SELECT l.organisation_id, l.id, mb.user_id, l.organisation_id,
                  'Two leavers, seats released on the 3rd.', now() - interval '2 days'
             FROM l JOIN tenancy_membership mb ON mb.organisation_id = l.organisation_id AND mb.role = 'msp_admin'
            WHERE l.billable_units = 9""",
        {"ids": msp_ids, "count": count, "lines": lines, "offset": month_offset, "tag": tag},
    )


def create_account_settings(msp_ids: list[int]) -> None:
    """Half of the MSPs surcharge 10 % (at least 5.00 a line); the others keep the defaults."""
    sql(
        """INSERT INTO reports_mspaccountsettings (organisation_id, auto_submit_days, penalty_kind, penalty_percent,
               penalty_minimum, auto_approve_clean, reminder_days, updated_at, updated_by_id)
           SELECT id, 10, 'percent', 10, 5, false, '{7,3,1}', now(), NULL
             FROM unnest(%(ids)s::bigint[]) AS id WHERE id %% 2 = 0""",
        {"ids": msp_ids},
    )


def create_licensing(distributor_id: int, msp_ids: list[int], products: int) -> dict[str, int]:
    """The catalog (every tenth product usage-based), a subscription per product per MSP, three
    assigned licenses and six to nine assignment events per subscription. Returns row counts."""
    sql(
        """INSERT INTO licensing_product (organisation_id, product_code, sku_code, name, publisher, unit_type,
               unit_price, currency, billing_type, program, is_active)
           SELECT %(dist)s, 'JBC-' || lpad(n::text, 3, '0'), 'P1M', 'Job bench product ' || n, 'Microsoft', 'seat',
                  10 + n * 1.25, 'EUR', CASE WHEN n %% 10 = 0 THEN 'usage' ELSE 'license' END,
                  CASE WHEN n %% 3 = 0 THEN 'no_overallocation' ELSE 'true_up' END, true
             FROM generate_series(1, %(count)s) AS n""",
        {"dist": distributor_id, "count": products},
    )
    sql(
        """INSERT INTO licensing_subscription (organisation_id, product_id, term_start, created_at)
           SELECT o.id, p.id, date '2026-01-01', o.created_at
             FROM tenancy_organisation o CROSS JOIN licensing_product p
            WHERE o.id = ANY(%(ids)s) AND p.organisation_id = %(dist)s""",
        {"ids": msp_ids, "dist": distributor_id},
    )
    sql(
        """INSERT INTO licensing_license (organisation_id, subscription_id, cost_center_id, purchase_id, is_overage,
               assignee_name, assignee_email, assignee_extension, assigned_at, created_at)
           SELECT s.organisation_id, s.id, NULL, NULL, false, 'Person ' || k, 'person' || k || '@example.com', '',
                  timestamptz '2026-08-01 09:00+00' + k * interval '9 days', timestamptz '2026-08-01 09:00+00'
             FROM licensing_subscription s CROSS JOIN generate_series(1, %(per)s) AS k
            WHERE s.organisation_id = ANY(%(ids)s)""",
        {"ids": msp_ids, "per": LICENSES_PER_SUBSCRIPTION},
    )
    # Events from 1 August to the end of October; every third one unassigns. Some fall on the
    # last evening of September in UTC, which is already October in Tokyo but not in New York.
    sql(
        """INSERT INTO licensing_assignmentevent (organisation_id, subscription_id, kind, assigned_delta, owned_after,
               license_ref, assignee, actor_id, at)
           SELECT s.organisation_id, s.id, CASE WHEN j %% 3 = 2 THEN 'unassigned' ELSE 'assigned' END,
                  CASE WHEN j %% 3 = 2 THEN -1 ELSE 1 END, 10, NULL, '', NULL,
                  timestamptz '2026-08-01 00:00+00' + j * interval '91 days' / (%(per)s + 3)
                      + (s.id %% 1440) * interval '1 minute'
             FROM licensing_subscription s
             CROSS JOIN LATERAL generate_series(0, %(per)s - 1 + (s.id %% 4)::int) AS j
            WHERE s.organisation_id = ANY(%(ids)s)
            ORDER BY 9""",
        {"ids": msp_ids, "per": EVENTS_PER_SUBSCRIPTION},
    )
    [(subs, licenses, events)] = sql(
        """SELECT (SELECT count(*) FROM licensing_subscription WHERE organisation_id = ANY(%(ids)s)),
                  (SELECT count(*) FROM licensing_license WHERE organisation_id = ANY(%(ids)s)),
                  (SELECT count(*) FROM licensing_assignmentevent WHERE organisation_id = ANY(%(ids)s))""",
        {"ids": msp_ids},
    )
    return {"subscriptions": subs, "licenses": licenses, "events": events}


def vacuum() -> None:
    """VACUUM ANALYZE the database (a benchmark database: small, and only ours by default)."""
    sql("VACUUM ANALYZE")


# ---------------------------------------------------------------------------------------------
# 1) Auto-submit
# ---------------------------------------------------------------------------------------------


@dataclass
class Sweep:
    reports: int
    lines: int
    discrepant: int
    explained: int
    seconds: float
    statements: int
    sql_seconds: float
    batches: int
    counts: dict
    steps: dict = field(default_factory=dict)

    @property
    def per_report(self) -> float:
        return self.statements / self.reports


class StepTimer:
    """Wall time spent in named functions (module functions or class methods, patched for the run
    and restored after it)."""

    def __init__(self, targets: list[tuple[object, str]]):
        self.targets = targets
        self.names = [name for _owner, name in targets]
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def _wrap(self, name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return timed

    @contextlib.contextmanager
    def patched(self):
        originals = [(owner, name, owner.__dict__[name]) for owner, name in self.targets]
        for owner, name, function in originals:
            setattr(owner, name, self._wrap(name, function))
        try:
            yield self
        finally:
            for owner, name, function in originals:
                setattr(owner, name, function)


class TimedStatements(StatementCounter):
    """Counts the statements and adds up the time spent executing them (round trips included)."""

    def __init__(self):
        super().__init__()
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def set_figures(tag: str) -> tuple[int, int, int]:
    """(reports, discrepant reports, explained reports) of a tagged set, from the database."""
    [(reports, discrepant, explained)] = sql(
        """SELECT count(DISTINCT r.id),
                  count(DISTINCT r.id) FILTER (WHERE l.billable_units < l.provided_units AND NOT EXISTS (
                      SELECT 1 FROM reports_linecomment c
                       WHERE c.line_id = l.id AND c.author_organisation_id = l.organisation_id)),
                  count(DISTINCT r.id) FILTER (WHERE l.billable_units < l.provided_units AND EXISTS (
                      SELECT 1 FROM reports_linecomment c
                       WHERE c.line_id = l.id AND c.author_organisation_id = l.organisation_id))
             FROM reports_usagereport r JOIN reports_usagereportline l ON l.report_id = r.id
            WHERE r.po_number = %(tag)s""",
        {"tag": tag},
    )
    return reports, discrepant, explained


def check_sweep(tag: str, sweep: Sweep) -> list[str]:
    """What is wrong after the sweep of a set (nothing: an empty list)."""
    problems = []
    states = dict(
        sql(
            "SELECT state, count(*) FROM reports_usagereport WHERE po_number = %(tag)s GROUP BY 1",
            {"tag": tag},
        )
    )
    if states != {"under_review": sweep.reports}:
        problems.append(
            f"{tag}: states after the sweep {states}, expected {{'under_review': {sweep.reports}}}"
        )
    [(penalties, penalised, reports_with_penalties)] = sql(
        """SELECT (SELECT count(*) FROM reports_reportpenalty p JOIN reports_usagereport r ON r.id = p.report_id
                    WHERE r.po_number = %(tag)s),
                  (SELECT count(*) FROM reports_usagereport
                    WHERE po_number = %(tag)s AND submission_kind = 'automatic_penalised'),
                  (SELECT count(DISTINCT p.report_id) FROM reports_reportpenalty p
                     JOIN reports_usagereport r ON r.id = p.report_id WHERE r.po_number = %(tag)s)""",
        {"tag": tag},
    )
    for label, found in (
        ("penalties", penalties),
        ("reports submitted with penalties", penalised),
        ("reports with a penalty", reports_with_penalties),
    ):
        if found != sweep.discrepant:
            problems.append(f"{tag}: {found} {label}, expected {sweep.discrepant} (the discrepant reports)")
    if sweep.counts.get("submitted") != sweep.reports:
        problems.append(
            f"{tag}: the sweep submitted {sweep.counts.get('submitted')} reports, expected {sweep.reports}"
        )
    if sweep.counts.get("penalties") != sweep.discrepant:
        problems.append(
            f"{tag}: the sweep counted {sweep.counts.get('penalties')} penalties, expected {sweep.discrepant}"
        )
    return problems


def run_sweep(tag: str, lines: int, batch_size: int, *, profile: bool) -> Sweep:
    from django.db.models import QuerySet
    from django.utils import timezone

    from msp_portal.jobs.services import JobRunLog
    from reports import auto_submit

    reports, discrepant, explained = set_figures(tag)
    log = JobRunLog()
    steps = StepTimer(
        [(auto_submit, name) for name in ("_due_reports", "_plan_batch", "_write", "_tell")]
        + [(QuerySet, "bulk_update")]
    )
    now = timezone.now()

    def sweep():
        auto_submit.auto_submit_due(log=log, now=now, batch_size=batch_size)

    with steps.patched(), TimedStatements() as counter:
        started = time.perf_counter()
        if profile:
            print_profile(
                f"auto_submit_due, {reports:,} reports × {lines} lines (times inflated)", sweep, limit=40
            )
        else:
            sweep()
        seconds = time.perf_counter() - started
    return Sweep(
        reports=reports,
        lines=lines,
        discrepant=discrepant,
        explained=explained,
        seconds=seconds,
        statements=counter.count,
        sql_seconds=counter.seconds,
        batches=steps.calls["_write"],
        counts=dict(log.counts),
        steps={name: (steps.seconds[name], steps.calls[name]) for name in steps.names},
    )


def part_submit(args) -> tuple[list[str], int, float]:
    """Returns the output lines, the exit status and the seconds the data took."""
    from reports import auto_submit

    batch_size = args.batch_size or auto_submit.BATCH_SIZE
    started = time.perf_counter()
    dist = create_distributor(SUBMIT_DISTRIBUTOR, "Job bench distribution (auto-submit)", reviewers=2)
    msp_ids = create_msps(dist, "s", args.submit_msps, dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    create_account_settings(msp_ids)
    sets = [(f"jobbench-{args.reports}x{args.lines}", args.reports, args.lines, 0)]
    if args.small_reports:
        months = -(-args.reports // len(msp_ids))  # after the months of the first set
        sets.append(
            (
                f"jobbench-{args.small_reports}x{args.small_lines}",
                args.small_reports,
                args.small_lines,
                months,
            )
        )
    setup = 0.0
    sweeps = []
    for tag, count, lines, offset in sets:
        create_due_reports(msp_ids, count, lines, offset, tag)
        vacuum()
        setup += time.perf_counter() - started
        sweeps.append((tag, run_sweep(tag, lines, batch_size, profile=args.profile)))
        started = time.perf_counter()
    # Part 2 must not open months for these MSPs: their distributor goes inactive.
    sql("UPDATE tenancy_organisation SET is_active = false WHERE id = %(id)s", {"id": dist})

    out = [
        f"1) Auto-submit sweep: reports.auto_submit.auto_submit_due, batch size {batch_size}, "
        f"{len(msp_ids):,} MSPs, one run per set",
        "",
    ]
    header = (
        f"{'reports':>8} {'lines':>5} {'discrepant':>10} {'wall s':>7} {'reports/s':>9} {'statements':>10} "
        f"{'per report':>10} {'per batch':>9} {'SQL s':>6} {'penalties':>9}"
    )
    out += [header, "-" * len(header)]
    for _tag, s in sweeps:
        out.append(
            f"{s.reports:>8,} {s.lines:>5} {s.discrepant:>10,} {s.seconds:>7.2f} {s.reports / s.seconds:>9,.0f} "
            f"{s.statements:>10,} {s.per_report:>10.3f} {s.statements / max(s.batches, 1):>9.1f} "
            f"{s.sql_seconds:>6.2f} {s.counts.get('penalties', 0):>9,}"
        )
    out.append("")
    out.append("")
    out.append(
        "Where the time goes, wall s (each step once per batch; the e-mail tasks are enqueued on commit):"
    )
    out.append(f"  {'':<52}" + "".join(f"{f'{s.reports:,} × {s.lines}':>14}" for _tag, s in sweeps))
    rows = [
        ("claim the batch (_due_reports)", lambda s: s.steps["_due_reports"][0]),
        ("plan: lines and accounts, penalties (_plan_batch)", lambda s: s.steps["_plan_batch"][0]),
        (
            "write, notifications excepted (_write − _tell)",
            lambda s: s.steps["_write"][0] - s.steps["_tell"][0],
        ),
        ("  of which QuerySet.bulk_update (reports, lines)", lambda s: s.steps["bulk_update"][0]),
        ("notifications (_tell)", lambda s: s.steps["_tell"][0]),
        (
            "commit, on-commit e-mail tasks, loop",
            lambda s: s.seconds - sum(s.steps[name][0] for name in ("_due_reports", "_plan_batch", "_write")),
        ),
        ("total", lambda s: s.seconds),
        ("  of which executing SQL statements", lambda s: s.sql_seconds),
    ]
    for label, value in rows:
        out.append(f"  {label:<52}" + "".join(f"{value(s):>14.2f}" for _tag, s in sweeps))
    out.append(
        f"  {'batches (+1 empty claim at the end)':<52}" + "".join(f"{s.batches:>14}" for _tag, s in sweeps)
    )
    out.append(
        "  explained discrepancies (MSP comment, no penalty): "
        + ", ".join(f"{s.explained:,} of {s.reports:,}" for _tag, s in sweeps)
    )
    status = 0
    problems = [problem for tag, s in sweeps for problem in check_sweep(tag, s)]
    out.append("")
    if problems:
        status = 1
        out += [f"CHECK FAILED: {problem}" for problem in problems]
    else:
        out.append("Checked: every report under_review; one penalty per discrepant report, none elsewhere.")
    if len(sweeps) > 1:
        (_, big), (_, small) = sweeps
        grows = big.per_report > small.per_report * 1.05 + 0.01
        state = "GROW with the lines" if grows else "do not grow with the lines"
        out.append(
            f"Statements per report, {small.lines} → {big.lines} lines: {small.per_report:.3f} → "
            f"{big.per_report:.3f}: {state}"
        )
        status |= 1 if grows else 0
    big = sweeps[0][1]
    target = "met" if big.seconds < TARGET_SECONDS else "OVER"
    out.append(
        f"Target {big.reports:,} reports × {big.lines} lines under {TARGET_SECONDS} s: {big.seconds:.1f} s: {target}"
        + ("" if (big.reports, big.lines) == (10_000, 20) else " (not the target's size)")
    )
    return out, status, setup


# ---------------------------------------------------------------------------------------------
# 2) Open cycles
# ---------------------------------------------------------------------------------------------


def part_cycles(args) -> tuple[list[str], int, float]:
    from msp_portal.jobs.services import JobRunLog
    from reports.cycles import cycles_open_due

    started = time.perf_counter()
    dist = create_distributor(CYCLES_DISTRIBUTOR, "Job bench distribution (cycles)", reviewers=1)
    msp_ids = create_msps(dist, "c", args.msps, CREATED)
    rows = create_licensing(dist, msp_ids, args.products)
    vacuum()
    setup = time.perf_counter() - started

    runs = []
    for index in range(2):
        log = JobRunLog()

        def open_cycles(log=log):
            cycles_open_due(log=log, now=CYCLES_NOW)

        with TimedStatements() as counter:
            started = time.perf_counter()
            if args.profile and index == 0:
                print_profile(
                    f"cycles_open_due, {len(msp_ids):,} MSPs (times inflated)", open_cycles, limit=40
                )
            else:
                open_cycles()
            seconds = time.perf_counter() - started
        runs.append((seconds, counter.count, counter.seconds, dict(log.counts)))

    [(reports, lines, cycles, low, high, total)] = sql(
        """SELECT count(DISTINCT r.id), count(l.id), count(DISTINCT r.cycle), min(l.provided_units),
                  max(l.provided_units), coalesce(sum(l.provided_units), 0)
             FROM reports_usagereport r LEFT JOIN reports_usagereportline l ON l.report_id = r.id
            WHERE r.organisation_id = ANY(%(ids)s)""",
        {"ids": msp_ids},
    )
    first, second = runs
    msps = len(msp_ids)
    out = [
        f"2) Open cycles: reports.cycles.cycles_open_due at {CYCLES_NOW:%Y-%m-%d %H:%M} UTC, {msps:,} MSPs × "
        f"{args.products} products ({rows['subscriptions']:,} subscriptions, {rows['licenses']:,} licenses, "
        f"{rows['events']:,} assignment events; zones {', '.join(ZONES)})",
        "",
    ]
    header = f"{'run':<24} {'wall s':>7} {'MSPs/s':>7} {'statements':>10} {'per MSP':>8} {'SQL s':>6} {'reports':>8} {'lines':>7}"
    out += [header, "-" * len(header)]
    for label, (seconds, statements, sql_seconds, counts) in (
        ("first (opens 2026-10)", first),
        ("second, right after", second),
    ):
        out.append(
            f"{label:<24} {seconds:>7.2f} {msps / seconds:>7,.0f} {statements:>10,} {statements / msps:>8.1f} "
            f"{sql_seconds:>6.2f} {counts.get('reports_opened', 0):>8,} {counts.get('lines', 0):>7,}"
        )
    out.append("")
    out.append(
        f"Opened: {reports:,} reports ({cycles} cycle), {lines:,} lines; provided units per line {low}–{high}, "
        f"{total:,} in all"
    )
    problems = []
    if first[3].get("reports_opened") != msps or reports != msps:
        problems.append(
            f"the first run opened {first[3].get('reports_opened')} reports ({reports} found), expected {msps}"
        )
    if first[3].get("lines") != msps * args.products or lines != msps * args.products:
        problems.append(
            f"the first run opened {first[3].get('lines')} lines ({lines} found), expected {msps * args.products}"
        )
    if second[3].get("reports_opened", 0) != 0:
        problems.append(f"the second run opened {second[3].get('reports_opened')} reports, expected none")
    if problems:
        out += [f"CHECK FAILED: {problem}" for problem in problems]
    else:
        out.append("Checked: one report per MSP with a line per product; the second run opened nothing.")
    return out, 1 if problems else 0, setup


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000, help="overdue reports of part 1 (10,000)")
    parser.add_argument("--lines", type=int, default=20, help="lines per report of part 1 (20)")
    parser.add_argument(
        "--submit-msps", type=int, default=500, help="MSPs the reports of part 1 spread over (500)"
    )
    parser.add_argument(
        "--small-reports", type=int, default=2_000, help="reports of part 1's second set, 0 for none (2,000)"
    )
    parser.add_argument("--small-lines", type=int, default=5, help="lines per report of the second set (5)")
    parser.add_argument(
        "--batch-size", type=int, default=0, help="auto-submit batch size (the job's default)"
    )
    parser.add_argument("--msps", type=int, default=1_000, help="MSPs of part 2 (1,000)")
    parser.add_argument(
        "--products", type=int, default=30, help="products and subscriptions per MSP of part 2 (30)"
    )
    parser.add_argument(
        "--database", default="msp_bench_jobs", help="database on the DATABASE_URL server (msp_bench_jobs)"
    )
    parser.add_argument(
        "--only", choices=("submit", "cycles"), help="run only part 1 (submit) or part 2 (cycles)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the auto-submit sweeps and the first open-cycles run (their times are then inflated)",
    )
    args = parser.parse_args(argv)
    return run_on_database(args.database, lambda: run(args), configure=use_own_queue)


def run(args) -> int:
    load_at_start = load_average()
    purge_queue()
    started = time.perf_counter()
    wipe_organisations(PREFIX, EMAIL_SUFFIX)
    wipe_seconds = time.perf_counter() - started

    status, sections, setups = 0, [], []
    if args.only in (None, "submit"):
        lines, part_status, setup = part_submit(args)
        sections.append(lines)
        status |= part_status
        setups.append(f"part 1 {setup:.1f} s")
    if args.only in (None, "cycles"):
        lines, part_status, setup = part_cycles(args)
        sections.append(lines)
        status |= part_status
        setups.append(f"part 2 {setup:.1f} s")
    purged = purge_queue()

    print_header("Scheduled jobs: auto-submit sweep and opening cycles")
    print(f"{'load at start':<14} {load_at_start} (1, 5, 15 min)")
    print(
        f"{'setup':<14} wipe {wipe_seconds:.1f} s; data (set-based SQL + VACUUM ANALYZE): {', '.join(setups)}"
    )
    print(f"{'e-mail tasks':<14} {purged:,} enqueued on commit to {QUEUE!r}, purged at the end")
    for lines in sections:
        print()
        for line in lines:
            print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
