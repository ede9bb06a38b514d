"""Helpers shared by the benchmarks (run_all.py skips this file: its name starts with "_").

- the database: each benchmark has its own database on the PostgreSQL server of DATABASE_URL,
  created and migrated when needed, the embedded servers started from var/ when DATABASE_URL /
  REDIS_URL are unset (:func:`run_on_database`);
- removing a benchmark's own organisations and everything in them (:func:`wipe_organisations`);
- the machine the figures come from (:func:`machine`, :func:`print_header`);
- timing pages and functions in-process (:class:`Figure`, :func:`measure`, :func:`measure_callable`,
  :func:`print_table`, :func:`print_slowest`).

Django is imported inside the functions: the settings module is only known once
:func:`run_on_database` has set it up.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

SETTINGS = "config.settings.test"  # DEBUG off as in production, plain static storage
WARM_UP = 3


# ---------------------------------------------------------------------------------------------
# Database and Django
# ---------------------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    """``url`` with its database name replaced by ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def ensure_database(url: str) -> None:
    """Create the benchmark database on the server when it does not exist yet."""
    import psycopg2
    from psycopg2 import sql

    name = urlsplit(url).path.lstrip("/")
    connection = psycopg2.connect(with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def django_setup(database_url: str, *, configure: Callable[[object], None] | None = None) -> None:
    """Set Django up on ``database_url`` (settings :data:`SETTINGS`) and migrate the database.

    ``configure(settings)`` runs after the settings are loaded and before anything else reads
    them (the Celery app reads its configuration on first use)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    if configure is not None:
        from django.conf import settings

        configure(settings)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def run_on_database(
    database: str, run: Callable[[], int], *, configure: Callable[[object], None] | None = None
) -> int:
    """Run ``run()`` with Django set up on the benchmark's own database ``database``: on the
    server of DATABASE_URL, or on the embedded servers (started from var/ and stopped at the
    end) when DATABASE_URL / REDIS_URL are unset. Returns what ``run`` returns."""
    from config.embedded import services_running

    with services_running(database=database) as urls:
        database_url = with_database(urls["DATABASE_URL"], database)
        ensure_database(database_url)
        django_setup(database_url, configure=configure)
        return run()


def tenant_tables() -> list[str]:
    """Every table with an ``organisation`` foreign key (the tenant-owned rows)."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    from msp_portal.tenancy.models import Organisation

    tables = []
    for model in apps.get_models():
        try:
            field = model._meta.get_field("organisation")
        except FieldDoesNotExist:
            continue
        if getattr(field, "related_model", None) is Organisation and not model._meta.proxy:
            tables.append(model._meta.db_table)
    return sorted(set(tables))


def wipe_organisations(prefix: str, email_suffix: str) -> int:
    """Delete the organisations whose slug starts with ``prefix``, every tenant-owned row of
    theirs and the users whose e-mail ends with ``email_suffix``. Returns the organisations
    deleted.

    The append-only history tables (report events and penalties, assignment events, true-up
    charges) refuse DELETE with a trigger: their user triggers are switched off for this one
    transaction, in this database only (ALTER TABLE is transactional: other sessions wait for
    the lock and never see them off). The foreign keys are checked at commit (Django makes them
    DEFERRABLE INITIALLY DEFERRED), so the order of the deletes does not matter."""
    from django.db import connection, transaction
    from psycopg2 import sql

    from msp_portal.tenancy.models import Organisation, User

    with transaction.atomic():
        ids = list(Organisation.objects.filter(slug__startswith=prefix).values_list("pk", flat=True))
        if ids:
            tables = tenant_tables()
            with connection.cursor() as cursor:
                cursor.execute(
                    """SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                        WHERE NOT t.tgisinternal AND c.relname = ANY(%s)""",
                    [tables],
                )
                guarded = [row[0] for row in cursor.fetchall()]
                raw = cursor.cursor  # psycopg2's own cursor, to compose identifiers
                for table in guarded:
                    raw.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(table)))
                for table in tables:
                    raw.execute(
                        sql.SQL("DELETE FROM {} WHERE organisation_id = ANY(%s)").format(
                            sql.Identifier(table)
                        ),
                        [ids],
                    )
                # The deferred foreign-key checks of the deletes run now: a table with pending
                # trigger events cannot be altered.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in guarded:
                    raw.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(table)))
                cursor.execute("DELETE FROM tenancy_organisation WHERE id = ANY(%s)", [ids])
        User.objects.filter(email__endswith=email_suffix).delete()
    return len(ids)


def vacuum_analyze(*tables: str) -> None:
    """VACUUM ANALYZE ``tables`` (dead rows of the wipe gone, so each run starts from the same
    tables), then ANALYZE the whole database."""
    from django.db import connection

    with connection.cursor() as cursor:
        if tables:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
        cursor.execute("ANALYZE")


# ---------------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def machine() -> list[tuple[str, str]]:
    """(name, value) rows: date, cores, CPU, memory, system, versions, load average now."""
    from django.db import connection

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    system = platform.platform()
    if Path("/etc/os-release").is_file():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import django

    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    return [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("cores (nproc)", nproc),
        ("CPU", cpu),
        ("memory", memory),
        ("system", system),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("PostgreSQL", postgres),
        ("load average", load_average() + " (1, 5, 15 min, at the end)"),
    ]


def print_header(title: str, *, rule: int | None = None) -> None:
    """The title, underlined (``rule`` characters; the title's length by default), then the
    machine."""
    print()
    print(title)
    print("=" * (rule or len(title)))
    for name, value in machine():
        print(f"{name:<14} {value}")


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    url: str
    queries: int
    median_ms: float
    p90_ms: float
    min_ms: float
    kbytes: float
    slowest: list[tuple[float, str]]


def p90(times: list[float]) -> float:
    """The 90th percentile of sorted ``times`` (nearest rank)."""
    return times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]


def timed_runs(function: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of ``runs`` calls of ``function``, sorted."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def print_profile(label: str, function: Callable[[], object], *, limit: int = 25) -> None:
    """A cProfile of one call of ``function``, sorted by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    print(f"\n--- profile of {label} ---\n{out.getvalue()}")


def measure(client, label: str, url: str, requests: int, *, profile: bool = False) -> Figure:
    """A page: the SQL queries of one request, then ``requests`` timed requests after
    :data:`WARM_UP` warm-up requests (in-process, ``django.test.Client``)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    # Every request starts by emptying the query log (request_started → reset_queries), so the
    # log must be empty when the capture starts too, and be read before the next request.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = list(captured.captured_queries)
    slowest = sorted(((float(q["time"]), q["sql"]) for q in queries), reverse=True)[:3]
    times = timed_runs(lambda: client.get(url), requests)
    if profile:
        print_profile(f"{label} ({url})", lambda: client.get(url))
    return Figure(
        label=label,
        url=url,
        queries=len(queries),
        median_ms=statistics.median(times),
        p90_ms=p90(times),
        min_ms=times[0],
        kbytes=len(response.content) / 1024,
        slowest=slowest,
    )


def measure_callable(
    label: str, function: Callable[[], object], requests: int, *, keep_slowest: bool = True
) -> Figure:
    """:func:`measure` for a function (a page's selectors alone, SQL included)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        function()
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        function()
    slowest = sorted(((float(q["time"]), q["sql"]) for q in captured.captured_queries), reverse=True)[:3]
    times = timed_runs(function, requests)
    return Figure(
        label=label,
        url="",
        queries=len(captured.captured_queries),
        median_ms=statistics.median(times),
        p90_ms=p90(times),
        min_ms=times[0],
        kbytes=0,
        slowest=slowest if keep_slowest else [],
    )


def print_table(figures: list[Figure]) -> None:
    header = f"{'page':<52} {'queries':>7} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'KiB':>7}"
    print(header)
    print("-" * len(header))
    for f in figures:
        print(
            f"{f.label:<52} {f.queries:>7} {f.median_ms:>10.1f} {f.p90_ms:>8.1f} {f.min_ms:>8.1f} {f.kbytes:>7.0f}"
        )


def print_slowest(figures: list[Figure]) -> None:
    """The slowest SQL statements kept for each figure (``--queries``)."""
    for f in figures:
        if f.slowest:
            print(f"\n{f.label}: {f.queries} queries; slowest:")
            for seconds, sql in f.slowest:
                print(f"  {seconds * 1000:7.1f} ms  {sql[:300]}")


class StatementCounter:
    """Counts the SQL statements a connection executes (``connection.execute_wrapper``), without
    keeping them: ``with StatementCounter() as counter: …; counter.count``. An executemany
    counts once."""

    def __init__(self, using: str = "default"):
        self.using = using
        self.count = 0
        self._context = None

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> StatementCounter:
        from django.db import connections

        self._context = connections[self.using].execute_wrapper(self)
        self._context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._context.__exit__(*exc)
