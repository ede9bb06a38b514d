"""The demo data set, loaded once for every test of this package (it takes seconds), inside a
transaction rolled back after the package's last test; each test runs in its own savepoint, so
what one changes, the next does not see. The package's modules run one after the other in the
same test process (tests/conftest.py: pytest_xdist_make_scheduler)."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from config.demo import demo_data_load

# The shared demo data set is loaded on this day; the tests look at it an hour later
# (each module: pytestmark = pytest.mark.now(SEEN_AT)).
LOADED_AT = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
SEEN_AT = "2026-11-20T11:00:00+00:00"


@pytest.fixture(scope="package")
def demo_loaded(django_db_setup, django_db_blocker) -> dict[str, int]:
    with time_machine.travel(LOADED_AT, tick=True), django_db_blocker.unblock(), transaction.atomic():
        yield demo_data_load()  # the command's own work (it prints these counts)
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db) -> dict[str, int]:
    """The shared demo data set (the load's counts); what a test changes stays in its own
    savepoint (``db``)."""
    return demo_loaded
