"""Peaks per cycle in SQL against a Python replay, and the license list page.

    .venv/bin/python benchmarks/licensing_bench.py [--events N] [--subscriptions N] [--months N]
                                                   [--licenses N] [--runs N] [--requests N]
                                                   [--database NAME] [--only a|b] [--queries]

a) An MSP with --events assignment events (default 100,000) over --subscriptions subscriptions
   (default 50) and --months months (default 24), loaded with COPY. Times, median of --runs
   (default 5) after one warm-up run:
   - ``licensing.cycle_peaks.peaks_by_cycle``: every subscription × every cycle in one statement;
   - the naive Python replay: fetch every event of the MSP, then for each cycle and each
     subscription replay its history with the reference rule ``licensing.peaks.peak_of``;
   - a one-pass Python replay (same fetch, each history walked once across the cycles), to show
     what the fetch alone costs;
   - ``licensing.selectors.peaks`` once per cycle (what asking cycle by cycle costs);
   and checks that they all agree (exit status 1 if not).
b) The license list page /o/<msp>/licensing/ of an MSP with --licenses licenses (default
   20,000; four in five assigned, each with its assignment event) and of one with 1,000, as the
   MSP's msp_admin: first page, a late page, a search and a cost-center filter; plus the
   selectors alone (first page of ``license_list`` and ``subscription_statuses``). For each: the
   SQL queries of one request and the median, 90th percentile and minimum of --requests requests
   (default 20) after 3 warm-up requests, in-process through django.test.Client. When the page
   does not exist (no URL named licensing_licenses:license-list) only the selectors are measured,
   and the output says so.

Data: its own database (--database, default msp_bench_lic) on the PostgreSQL server of
DATABASE_URL, created and migrated when needed; without DATABASE_URL / REDIS_URL the embedded
servers of the project are started from var/. At start it deletes its own organisations (slugs
starting with "lbench-") and everything in them (the append-only trigger of the assignment
history is switched off for that one statement, in this database only), then creates them again
with bulk inserts and COPY. Settings: config.settings.test (DEBUG off as in production).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import sys
import time
from collections import defaultdict
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
    timed_runs,
    wipe_organisations,
)

PREFIX = "lbench-"
DISTRIBUTOR = "lbench-dist"
PEAKS_MSP = "lbench-peaks"  # part a
OTHER_MSP = "lbench-other"  # part a: another MSP's history in the same table
LIST_MSP = "lbench-list"  # part b, --licenses licenses
SMALL_MSP = "lbench-small"  # part b, 1,000 licenses
SMALL_LICENSES = 1000
ADMIN_EMAIL = "lbench-admin@lbench.example"
ZONE = "Europe/Paris"
SEARCH = "martin"

FIRST_NAMES = (
    "Camille Léa Hugo Louis Chloé Manon Lucas Emma Jules Inès Nathan Sarah Thomas Julie Antoine Claire "
    "Maxime Pauline Nicolas Élodie Olivia Liam Noah Charlotte Benjamin Amelia Raj Priya Wei Mei Aisha Ethan"
).split()
LAST_NAMES = (
    "Martin Bernard Dubois Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia "
    "Smith Brown Tremblay Roy Wilson Gagnon Patel Singh Nguyen Chen Wong Kim Fortin Pelletier Khan Li"
).split()


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def wipe() -> None:
    """Delete the benchmark organisations and everything in them."""
    wipe_organisations(PREFIX, "@lbench.example")


@dataclass
class World:
    distributor: object
    peaks_msp: object
    other_msp: object
    list_msp: object
    small_msp: object
    admin: object


def build_organisations():
    from django.db import transaction
    from django_scopes import scopes_disabled

    from msp_portal.tenancy.models import Membership, Organisation, User

    common = {"country": "FR", "timezone": ZONE, "currency": "EUR"}
    with scopes_disabled(), transaction.atomic():
        dist = Organisation.objects.create(
            slug=DISTRIBUTOR, name="Bench Licensing Distribution", kind="distributor", **common
        )

        def msp(slug, name):
            return Organisation.objects.create(slug=slug, name=name, kind="msp", distributor=dist, **common)

        world = World(
            distributor=dist,
            peaks_msp=msp(PEAKS_MSP, "Bench MSP peaks"),
            other_msp=msp(OTHER_MSP, "Bench MSP other"),
            list_msp=msp(LIST_MSP, "Bench MSP licenses"),
            small_msp=msp(SMALL_MSP, "Bench MSP small"),
            admin=User.objects.create_user(email=ADMIN_EMAIL, first_name="Ada", last_name="Admin"),
        )
        Membership.objects.bulk_create(
            [
                Membership(organisation=org, user=world.admin, role="msp_admin")
                for org in (world.peaks_msp, world.other_msp, world.list_msp, world.small_msp)
            ]
        )
    return world


def products(distributor, count: int, offset: int = 0):
    from licensing.choices import BillingType, Program
    from licensing.models import Product

    return Product.objects.bulk_create(
        [
            Product(
                organisation=distributor,
                product_code=f"LB-{offset + n:03d}",
                sku_code="P1M",
                name=f"Bench product {offset + n:03d} (Microsoft 365 E3)",
                publisher="Microsoft",
                unit_price=Decimal("35.70"),
                currency="EUR",
                billing_type=BillingType.LICENSE,
                program=Program.TRUE_UP if n % 3 else Program.NO_OVERALLOCATION,
            )
            for n in range(count)
        ]
    )


def subscriptions(msp, items, term_start: dt.date):
    from licensing.models import Subscription

    return Subscription.objects.bulk_create(
        [Subscription(organisation=msp, product=item, term_start=term_start) for item in items]
    )


def copy_events(rows: list[tuple[int, int, dt.datetime, int, int]]) -> None:
    """(organisation id, subscription id, at, delta, owned after) rows, in the order given (ids
    follow it), with COPY."""
    from django.db import connection

    kinds = {1: "assigned", -1: "unassigned", 0: "purchased"}
    buffer = io.StringIO()
    for org, sub, at, delta, owned in rows:
        buffer.write(f'{org},{sub},{kinds[delta]},{delta},{owned},,"",,{at.isoformat()}\n')
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            "COPY licensing_assignmentevent "
            "(organisation_id, subscription_id, kind, assigned_delta, owned_after, license_ref, assignee, "
            "actor_id, at) FROM STDIN WITH (FORMAT csv)",
            buffer,
        )


def build_history(
    world: World, events: int, count: int, months: int
) -> tuple[list[int], list[dt.date], float]:
    """Part a: ``events`` events over ``count`` subscriptions, from two months before the first
    cycle to ten days after the last; a tenth as many for another MSP in the same table.
    Returns the subscription ids, the cycles and the seconds it took."""
    from django.db import transaction
    from django.utils import timezone

    from msp_portal.calendar import add_months, month_start

    started = time.perf_counter()
    rng = random.Random(20261122)
    today = timezone.localdate()
    cycles = [add_months(today, -back) for back in range(months, 0, -1)]
    begin = dt.datetime.combine(add_months(cycles[0], -2), dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(month_start(today), dt.time.min, tzinfo=dt.UTC) + dt.timedelta(days=10)
    span = (end - begin).total_seconds()

    def history(org, subs, total):
        rows = []
        for sub in subs:
            level = rng.randint(20, 400)  # where the count hovers
            moments = sorted(
                begin + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(total // len(subs))
            )
            running, owned = 0, level
            for at in moments:
                if rng.random() < 0.01:
                    owned += rng.randint(1, 20)
                    rows.append((org.pk, sub.pk, at, 0, owned))
                    continue
                up = 0.5 + (0.1 if running < level else -0.1)
                delta = 1 if running == 0 or rng.random() < up else -1
                running += delta
                rows.append((org.pk, sub.pk, at, delta, owned))
        rows.sort(key=lambda row: row[2])
        return rows

    with transaction.atomic():
        term = cycles[0] - dt.timedelta(days=60)
        items = products(world.distributor, count)
        subs = subscriptions(world.peaks_msp, items, term)
        others = subscriptions(world.other_msp, items[:5], term)
        copy_events(history(world.peaks_msp, subs, events))
        copy_events(history(world.other_msp, others, max(events // 10, 5)))
    return [s.pk for s in subs], cycles, time.perf_counter() - started


def build_licenses(world: World, msp, total: int, offset: int) -> float:
    """Part b: ``total`` licenses over 30 subscriptions and 24 cost centers (a tree), four in
    five assigned to people (each with its assignment event), some over-allocated."""
    from django.db import transaction
    from django.utils import timezone

    from licensing.models import CostCenter, License

    started = time.perf_counter()
    rng = random.Random(f"{msp.slug}-{total}")
    now = timezone.now()
    with transaction.atomic():
        items = products(world.distributor, 30, offset)
        subs = subscriptions(msp, items, (now - dt.timedelta(days=300)).date())
        tops = CostCenter.objects.bulk_create(
            [
                CostCenter(organisation=msp, code=code, name=name)
                for code, name in (
                    ("HQ", "Head office"),
                    ("SALES", "Sales"),
                    ("SUP", "Support"),
                    ("RND", "R&D"),
                )
            ]
        )
        children = CostCenter.objects.bulk_create(
            [
                CostCenter(
                    organisation=msp, code=f"{top.code}-{n:02d}", name=f"{top.name} team {n}", parent=top
                )
                for top in tops
                for n in range(1, 6)
            ]
        )
        centers = tops + children
        licenses, events = [], []
        for n in range(total):
            sub = subs[n % len(subs)]
            assigned = rng.random() < 0.8
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            at = now - dt.timedelta(minutes=rng.randint(60, 300 * 24 * 60))
            licenses.append(
                License(
                    organisation=msp,
                    subscription=sub,
                    cost_center=rng.choice(centers) if rng.random() < 0.95 else None,
                    is_overage=assigned and n % 97 == 0,
                    assignee_name=f"{first} {last}" if assigned else "",
                    assignee_email=f"{first}.{last}{n}@example.com".lower() if assigned else "",
                    assignee_extension=str(3000 + n % 900) if assigned and rng.random() < 0.5 else "",
                    assigned_at=at if assigned else None,
                )
            )
            if assigned:
                events.append((msp.pk, sub.pk, at, 1, 0))
        License.objects.bulk_create(licenses, batch_size=2000)
        events.sort(key=lambda row: row[2])
        copy_events(events)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# a) peaks per cycle
# ---------------------------------------------------------------------------------------------


def fetch_histories(msp) -> dict[int, list[tuple[dt.datetime, int]]]:
    from licensing.models import AssignmentEvent

    histories: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    rows = (
        AssignmentEvent.objects.for_tenant(msp)
        .order_by("subscription_id", "at", "pk")
        .values_list("subscription_id", "at", "assigned_delta")
    )
    for sub, at, delta in rows.iterator(chunk_size=10_000):
        histories[sub].append((at, delta))
    return histories


def naive_replay(msp, subscription_ids, cycles) -> dict:
    """Every event fetched, then each (cycle, subscription) replayed with the reference rule."""
    from licensing.peaks import peak_of
    from licensing.selectors import cycle_bounds

    histories = fetch_histories(msp)
    found = {}
    for cycle in cycles:
        start, end = cycle_bounds(msp, cycle)
        for sub in subscription_ids:
            found[(sub, cycle)] = peak_of(histories.get(sub, []), start=start, end=end).units
    return found


def one_pass_replay(msp, subscription_ids, cycles) -> dict:
    """Same fetch; each history walked once, cycle after cycle."""
    from licensing.selectors import cycle_bounds

    bounds = [cycle_bounds(msp, cycle) for cycle in cycles]
    histories = fetch_histories(msp)
    found = {}
    for sub in subscription_ids:
        events = histories.get(sub, [])
        index, running = 0, 0
        for cycle, (start, end) in zip(cycles, bounds, strict=True):
            while index < len(events) and events[index][0] < start:
                running += events[index][1]
                index += 1
            best = running
            while index < len(events) and events[index][0] < end:
                running += events[index][1]
                best = max(best, running)
                index += 1
            found[(sub, cycle)] = best
    return found


def sql_per_cycle(msp, subscription_ids, cycles) -> dict:
    from licensing import selectors

    found = {}
    for cycle in cycles:
        start, end = selectors.cycle_bounds(msp, cycle)
        for sub, peak in selectors.peaks(
            organisation=msp, subscription_ids=subscription_ids, start=start, end=end
        ).items():
            found[(sub, cycle)] = peak.units
    return found


def sql_cycle_peaks(msp, subscription_ids, cycles) -> dict:
    from licensing.cycle_peaks import peaks_by_cycle

    return peaks_by_cycle(organisation=msp, first_cycle=cycles[0], last_cycle=cycles[-1])


def timed(function, runs: int, *args) -> tuple[list[float], dict, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    function(*args)  # warm-up
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        result = function(*args)
    times = timed_runs(lambda: function(*args), runs)
    return times, result, len(captured.captured_queries)


def part_a(world: World, subscription_ids, cycles, args) -> tuple[list[str], bool]:
    msp = world.peaks_msp
    methods = [
        ("peaks_by_cycle: one SQL statement", sql_cycle_peaks),
        ("naive Python replay (peak_of per cycle)", naive_replay),
        ("one-pass Python replay", one_pass_replay),
        (f"selectors.peaks once per cycle (× {len(cycles)})", sql_per_cycle),
    ]
    results, lines = {}, []
    header = f"{'method':<44} {'queries':>7} {'median ms':>10} {'min ms':>8} {'max ms':>8}"
    lines += [header, "-" * len(header)]
    for label, function in methods:
        times, result, queries = timed(function, args.runs, msp, subscription_ids, cycles)
        results[label] = (statistics.median(times), result)
        lines.append(
            f"{label:<44} {queries:>7} {statistics.median(times):>10.1f} {times[0]:>8.1f} {times[-1]:>8.1f}"
        )
    reference = results[methods[0][0]][1]
    agree = all(result == reference for _median, result in results.values())
    cells = len(subscription_ids) * len(cycles)
    sql_ms, naive_ms = results[methods[0][0]][0], results[methods[1][0]][0]
    one_pass_ms = results[methods[2][0]][0]
    lines.append("")
    lines.append(
        f"{cells} (subscription, cycle) peaks; all methods agree: {'yes' if agree else 'NO'}; "
        f"highest peak {max(reference.values())}"
    )
    lines.append(
        f"speed-up of peaks_by_cycle: × {naive_ms / sql_ms:.1f} against the naive replay, "
        f"× {one_pass_ms / sql_ms:.1f} against the one-pass replay"
    )
    return lines, agree


# ---------------------------------------------------------------------------------------------
# b) the license list
# ---------------------------------------------------------------------------------------------


def selector_figure(msp, label: str, requests: int) -> Figure:
    """The list's own selectors: the first page of license_list and subscription_statuses."""
    from licensing import selectors

    def prepare():
        page = list(selectors.license_list(organisation=msp)[:50])
        statuses = selectors.subscription_statuses(organisation=msp)
        return page, statuses

    return measure_callable(label, prepare, requests)


def list_page_exists() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("licensing_licenses:license-list", kwargs={"org_slug": LIST_MSP})
    except NoReverseMatch:
        return False
    return True


def part_b(world: World, args) -> tuple[list[Figure], bool]:
    from django.test import Client

    from licensing.models import CostCenter

    figures = []
    n = args.licenses
    has_page = list_page_exists()
    if has_page:
        client = Client()
        client.force_login(world.admin)
        centers = list(
            CostCenter.objects.for_tenant(world.list_msp).order_by("code").values_list("pk", flat=True)[:3]
        )
        base = f"/o/{LIST_MSP}/licensing/"
        pages = [
            (f"b) license list, {SMALL_LICENSES:,} licenses, first page", f"/o/{SMALL_MSP}/licensing/"),
            (f"b) license list, {n:,} licenses, first page", base),
            (f"b) license list, {n:,} licenses, page 200", f"{base}?page=200"),
            (f"b) license list, {n:,} licenses, search '{SEARCH}'", f"{base}?q={SEARCH}"),
            (
                f"b) license list, {n:,} licenses, 3 cost centers",
                base + "?" + "&".join(f"cost_center={pk}" for pk in centers),
            ),
        ]
        for label, url in pages:
            figures.append(measure(client, label, url, args.requests, profile=args.profile))
    figures.append(
        selector_figure(world.small_msp, f"b) {SMALL_LICENSES:,} licenses: selectors only", args.requests)
    )
    figures.append(selector_figure(world.list_msp, f"b) {n:,} licenses: selectors only", args.requests))
    return figures, has_page


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="assignment events of part a (100,000)")
    parser.add_argument("--subscriptions", type=int, default=50, help="subscriptions of part a (50)")
    parser.add_argument("--months", type=int, default=24, help="cycles of part a (24)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each method of part a (5)")
    parser.add_argument(
        "--licenses", type=int, default=20_000, help="licenses of the list of part b (20,000)"
    )
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page of part b (20)")
    parser.add_argument(
        "--database", default="msp_bench_lic", help="database on the DATABASE_URL server (msp_bench_lic)"
    )
    parser.add_argument("--only", choices=("a", "b"), help="run only part a or part b")
    parser.add_argument("--queries", action="store_true", help="print the 3 slowest SQL queries of each page")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one request of each page")
    args = parser.parse_args(argv)

    return run_on_database(args.database, lambda: run(args))


def run(args) -> int:
    from django.db import connection
    from django_scopes import scopes_disabled

    started = time.perf_counter()
    wipe()
    world = build_organisations()
    with scopes_disabled():
        subscription_ids, cycles, history_seconds = build_history(
            world, args.events, args.subscriptions, args.months
        )
        list_seconds = build_licenses(world, world.list_msp, args.licenses, 100)
        build_licenses(world, world.small_msp, SMALL_LICENSES, 200)
    with connection.cursor() as cursor:
        # the wipe leaves dead rows behind: vacuum so that each run starts from the same tables
        cursor.execute("VACUUM ANALYZE licensing_assignmentevent, licensing_license")
        cursor.execute("ANALYZE")
    setup_seconds = time.perf_counter() - started

    status = 0
    a_lines, figures, has_page = [], [], True
    if args.only in (None, "a"):
        a_lines, agree = part_a(world, subscription_ids, cycles, args)
        status |= 0 if agree else 1
    if args.only in (None, "b"):
        figures, has_page = part_b(world, args)

    print_header("Licensing: peaks per cycle, and the license list")
    print(
        f"{'setup':<14} {setup_seconds:.1f} s (a: {args.events:,} events with COPY, {history_seconds:.1f} s; "
        f"b: {args.licenses:,} licenses, {list_seconds:.1f} s)"
    )
    if a_lines:
        print()
        print(
            f"a) peaks of {args.subscriptions} subscriptions × {len(cycles)} cycles "
            f"({cycles[0]:%Y-%m} to {cycles[-1]:%Y-%m}, time zone {ZONE}), {args.events:,} events; "
            f"median of {args.runs} runs after 1 warm-up"
        )
        print()
        for line in a_lines:
            print(line)
    if figures:
        print()
        if not has_page:
            print(
                "b) The license list page does not exist yet (no URL named "
                "licensing_licenses:license-list): measured its selectors only."
            )
        print(f"b) median / p90 / min of {args.requests} requests after {WARM_UP} warm-up, in-process")
        print()
        print_table(figures)
        print()
        status |= verdict(figures, args)
    return status


def verdict(figures: list[Figure], args) -> int:
    by_label = {f.label: f for f in figures}
    small = by_label.get(f"b) license list, {SMALL_LICENSES:,} licenses, first page")
    large = by_label.get(f"b) license list, {args.licenses:,} licenses, first page")
    grows = False
    if small and large:
        grows = small.queries != large.queries
        state = "GROW with the licenses" if grows else "constant"
        print(
            f"Queries of the license list, {SMALL_LICENSES:,} → {args.licenses:,} licenses: "
            f"{small.queries} → {large.queries}: {state}"
        )
        state = "met" if large.median_ms <= 300 else "OVER"
        print(
            f"Target license list, {args.licenses:,} licenses, first page: ≤ 300 ms; "
            f"median {large.median_ms:.0f} ms: {state}"
        )
    if args.queries:
        print_slowest(figures)
    return 1 if grows else 0


if __name__ == "__main__":
    sys.exit(main())
