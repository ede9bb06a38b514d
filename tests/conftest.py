"""Shared fixtures. Every test world has two distributors, each serving MSPs, so that a test
can always ask: does anything of the other organisation show?

Time: no test may depend on the day it runs. A test that involves time fixes the clock with
``@pytest.mark.now("2026-11-20T10:00:00+00:00")`` (set before any fixture runs, so the objects
it creates are created then too), with ``time_machine.travel`` or with explicit ``now=``
arguments. ``--clock-offset-days=N`` moves the clock of the whole session N days ahead (CI runs
the suite a second time that way), so a date written into a test that does not fix the clock
fails the second run instead of failing on its own one day."""

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import time_machine
from django.db.backends.postgresql.creation import DatabaseCreation
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import Client
from django_scopes import scopes_disabled

from msp_portal.tenancy.models import Membership, Organisation, User

from .factories import PASSWORD, DistributorFactory, MembershipFactory, MspFactory, UserFactory
from .migrated_template import migrated_template
from .scheduling import DurationRecorder, ModuleScheduling, order_longest_first

# The migrated template the test databases are copied from (tests/migrated_template.py): made
# ready by the process that starts the run, read by each process that creates a test database.
TEMPLATE_ENV = "MSP_PORTAL_TEST_DB_TEMPLATE"


def pytest_addoption(parser):
    parser.addoption(
        "--clock-offset-days",
        type=int,
        default=0,
        help="run the whole session with the clock moved this many days ahead (or back)",
    )


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the process that starts the run (not a worker)
        os.environ[TEMPLATE_ENV] = migrated_template()  # before pytest-xdist starts its workers
        _durations.enabled = True
    config.addinivalue_line(
        "markers",
        "now(moment): the clock of the test, an ISO 8601 moment with its offset, set before its fixtures",
    )
    days = config.getoption("--clock-offset-days")
    if days:
        # The session's clock keeps ticking, from the moved moment; a test's own travel nests.
        moved = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
        config._clock_traveller = time_machine.travel(moved, tick=True)
        config._clock_traveller.start()


# Tools of the system that some tests need; `make test` installs them (config.launch). A run
# without them stops at once with the command to run: never a wall of errors, never a skip.
NEEDED_TOOLS = {
    "e2e": ("chromium", os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")),
    "needs_gettext": ("gettext", "/usr/bin/xgettext"),
}


# Usage reports live on a calendar (cycles, deadlines, the last twelve months): their tests, and
# the browser journeys through them, run on this day unless they set their own moment.
DEFAULT_MOMENT_UNDER = {
    "reports": "2026-12-02T09:00:00+00:00",
    "e2e": "2026-12-02T09:00:00+00:00",
}


def pytest_collection_modifyitems(session, config, items):
    tests_root = Path(__file__).resolve().parent
    for item in items:
        folder = Path(item.path).resolve().relative_to(tests_root).parts[0]
        if folder in DEFAULT_MOMENT_UNDER and item.get_closest_marker("now") is None:
            item.add_marker(pytest.mark.now(DEFAULT_MOMENT_UNDER[folder]))
    missing = set()
    for item in items:
        for marker, (package, path) in NEEDED_TOOLS.items():
            if item.get_closest_marker(marker) and not os.path.exists(path):
                missing.add(package)
    if missing:
        packages = " ".join(sorted(missing))
        pytest.exit(
            f"The selected tests need {packages} ({', '.join(sorted(missing))} not found). "
            f"Run `sudo apt-get install {packages}` (or `make test`, which installs it as root).",
            returncode=3,
        )
    order_longest_first(items)  # tests/scheduling.py


# --- spreading the suite over the workers (tests/scheduling.py) ---------------------------------

_durations = DurationRecorder()


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: harmless when it is not loaded
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") == "loadfile":
        return ModuleScheduling(config, log)
    return None  # the scheduler the caller chose


def pytest_runtest_logreport(report):
    _durations.add(report)  # in the process that reports the run: the workers' tests, or its own


def pytest_sessionfinish(session, exitstatus):
    _durations.write()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """pytest-django's hook for the test database's settings (after its per-worker suffix)."""
    from django.conf import settings

    template = os.environ.get(TEMPLATE_ENV)
    if template:
        settings.DATABASES["default"]["TEST"]["TEMPLATE"] = template


def _flush_by_delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """What ends every ``transaction=True`` test (Django's flush): a DELETE of every table, in
    place of one TRUNCATE of them all. The tables are nearly empty and TRUNCATE gives each table,
    index and TOAST table a new file (and its commit waits for the disk): about 0.7 s a test,
    where the DELETEs take a few milliseconds. Triggers (the append-only and immutable tables)
    and foreign-key checks are off for the flush's transaction alone
    (``session_replication_role``, which needs a superuser: otherwise Django's TRUNCATE)."""
    if reset_sequences or not tables or not _is_superuser(self.connection):
        return _django_sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    deletes = [f"DELETE FROM {self.quote_name(table)};" for table in tables]
    return ["SET LOCAL session_replication_role = replica;", *deletes]


def _is_superuser(connection) -> bool:
    known = getattr(connection, "_test_is_superuser", None)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            known = connection._test_is_superuser = bool(cursor.fetchone()[0])
    return known


_django_sql_flush = DatabaseOperations.sql_flush
DatabaseOperations.sql_flush = _flush_by_delete


def _destroy_test_db_forcing(self, test_database_name, verbosity):
    """The end of a test process drops its database WITH (FORCE): a connection that a test's
    thread left open (kept alive by an exception's traceback) would otherwise make the DROP wait
    5 s and fail, leaving the database behind."""
    with self._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE {self.connection.ops.quote_name(test_database_name)} WITH (FORCE)")


DatabaseCreation._destroy_test_db = _destroy_test_db_forcing


def pytest_unconfigure(config):
    traveller = getattr(config, "_clock_traveller", None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    days = config.getoption("--clock-offset-days")
    if days:
        return f"clock moved {days} days ahead: the session believes it is {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    return None


@pytest.fixture(autouse=True)
def _clock(request):
    """Travels to the moment of the test's ``now`` marker (autouse, so before its fixtures)."""
    marker = request.node.get_closest_marker("now")
    if marker is None:
        yield None
        return
    moment = dt.datetime.fromisoformat(marker.args[0])
    if moment.tzinfo is None:
        raise ValueError(f"@pytest.mark.now needs a moment with its offset, not {marker.args[0]!r}")
    with time_machine.travel(moment, tick=marker.kwargs.get("tick", True)) as traveller:
        yield traveller


@dataclass
class Side:
    """One distributor, one MSP it serves, and a user for every role."""

    distributor: Organisation
    msp: Organisation
    users: dict[str, User] = field(default_factory=dict)

    def org_of(self, role: str) -> Organisation:
        return self.distributor if role.startswith("dist_") else self.msp


@dataclass
class World:
    a: Side
    b: Side


SIDE_ROLES = ("msp_admin", "msp_billing", "msp_viewer", "dist_admin", "dist_reviewer")


def make_side(label: str) -> Side:
    """The rows the factories would make, written in four INSERTs instead of ~38 statements
    (each factory row is a get-or-create in a savepoint, and a user is saved twice): half the
    tests build two sides. The models have no save() of their own and no signals."""
    distributor = DistributorFactory.build(name=f"Distributor {label.upper()}", slug=f"dist-{label}")
    distributor.save()
    msp = MspFactory.build(name=f"MSP {label.upper()}", slug=f"msp-{label}", distributor=distributor)
    msp.save()
    side = Side(distributor=distributor, msp=msp)
    users = User.objects.bulk_create(
        [UserFactory.build(email=f"{role}@{label}.example") for role in SIDE_ROLES]
    )
    side.users = dict(zip(SIDE_ROLES, users, strict=True))
    with scopes_disabled():
        Membership.objects.bulk_create(
            [
                MembershipFactory.build(organisation=side.org_of(role), user=side.users[role], role=role)
                for role in SIDE_ROLES
            ]
        )
    return side


@pytest.fixture
def world(db) -> World:
    return World(a=make_side("a"), b=make_side("b"))


@pytest.fixture
def login():
    """``login(user)`` → a test client signed in as that user (through the real login form)."""

    def _login(user: User) -> Client:
        client = Client()
        response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302, "login failed"
        return client

    return _login


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
