"""The demo's billing part: Contoso's vendor files of the last ended month (and the one before)
are imported and reconciled, and the results page shows every kind of flag with its causes
(docs/billing.md, "Reconciliation")."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from billing.models import FlagKind, ImportState, ReconciliationFlag, ReconciliationImport, ReconciliationRun
from config.demo import demo_data_load
from msp_portal.calendar import add_months
from msp_portal.tenancy.models import Organisation, User

VARIANCE_CAUSES = {"discount_or_credit", "tax_or_fee", "decimal_rounding", "date_range"}

# The moments the demo is loaded at. Each loaded set is shared by the tests of this module that
# ask for it (a load takes seconds), and the tests look at it a few minutes later.
NOVEMBER = "2026-11-20T10:00:00+00:00"
# Already 1 January in Paris (Contoso's time zone), still 31 December in UTC.
YEAR_TURN = "2027-01-01T00:30:00+01:00"
LATER = dt.timedelta(minutes=5)


def later(moment: str) -> str:
    return (dt.datetime.fromisoformat(moment) + LATER).isoformat()


@pytest.fixture(scope="module")
def demo_at(request, django_db_setup, django_db_blocker):
    """The demo loaded at the moment ``request.param`` (tests ask for it with an indirect
    parameter) inside a transaction rolled back when the module ends or asks for another moment:
    pytest groups the tests by moment, so two loaded sets never meet. Returns the load's counts;
    each test still runs in its own savepoint (``db``)."""
    moment = dt.datetime.fromisoformat(request.param)
    with time_machine.travel(moment, tick=True), django_db_blocker.unblock(), transaction.atomic():
        # Guards the grouping: the load must start from an empty database.
        assert not Organisation.objects.filter(slug="contoso").exists(), "another demo set is loaded"
        yield demo_data_load()
        transaction.set_rollback(True)


def latest_run_flags(period: dt.date) -> tuple[ReconciliationRun, list[ReconciliationFlag]]:
    contoso = Organisation.objects.get(slug="contoso")
    run = ReconciliationRun.objects.for_tenant(contoso).filter(period=period).first()
    return run, list(ReconciliationFlag.objects.for_tenant(contoso).filter(run=run))


@pytest.mark.parametrize(
    ("demo_at", "period"),
    [
        pytest.param(NOVEMBER, dt.date(2026, 10, 1), marks=pytest.mark.now(later(NOVEMBER)), id="november"),
        pytest.param(
            YEAR_TURN, dt.date(2026, 12, 1), marks=pytest.mark.now(later(YEAR_TURN)), id="year-turn"
        ),
    ],
    indirect=["demo_at"],
    scope="module",  # with ``period`` beside it, pytest would not group the tests by moment
)
def test_the_last_ended_month_shows_every_kind_of_flag_and_cause(db, demo_at, period):
    counts = demo_at

    contoso = Organisation.objects.get(slug="contoso")
    imports = ReconciliationImport.objects.for_tenant(contoso)
    assert sorted({(i.period, i.state) for i in imports}) == [
        (add_months(period, -1), ImportState.DONE),
        (period, ImportState.DONE),
    ]
    run, flags = latest_run_flags(period)
    assert {f.kind for f in flags} == set(FlagKind.values)
    variances = [f for f in flags if f.kind == FlagKind.VARIANCE]
    assert {f.causes[0]["cause"] for f in variances} == VARIANCE_CAUSES
    assert run.flag_count == sum(1 for f in flags if not f.kind.startswith("expected"))
    # The discount seen in the month before is marked recurring; nothing else was flagged then.
    (recurring,) = [f for f in flags if f.recurring]
    assert (recurring.kind, recurring.causes[0]["cause"]) == (FlagKind.VARIANCE, "discount_or_credit")
    # The row whose stated total is not the FLOOR of its price is flagged at import.
    assert sum(i.flagged_count for i in imports) == 2  # one row in each month's daily file
    assert counts["reconciliation_flags"] == ReconciliationFlag.objects.for_tenant(contoso).count()
    assert 200 <= counts["daily_usage_rows"] <= 600


@pytest.mark.now(later(NOVEMBER))
@pytest.mark.parametrize("demo_at", [NOVEMBER], indirect=True, ids=["november"])
def test_loading_the_demo_twice_leaves_the_same_counts(db, demo_at):
    first = demo_at  # the first load: the module's
    again = demo_data_load()
    assert {key: again[key] for key in first} == first
    assert (first["reconciliation_imports"], first["reconciliation_flags"]) == (
        4,
        len(latest_run_flags(dt.date(2026, 10, 1))[1]) + 1,
    )


@pytest.mark.now(later(NOVEMBER))
@pytest.mark.parametrize("demo_at", [NOVEMBER], indirect=True, ids=["november"])
def test_the_billing_member_finds_the_demo_files_among_the_imports(db, demo_at):
    client = Client()
    client.force_login(User.objects.get(email="billing@contoso.example"))
    page = client.get("/o/contoso/billing/imports/").content.decode()
    for name in (
        "contoso-daily-usage-2026-10.csv",
        "contoso-invoice-2026-10.csv",
        "contoso-invoice-2026-09.csv",
    ):
        assert name in page
