"""The demo's billing part: Contoso's vendor files of the last ended month (and the one before)
are imported and reconciled, and the results page shows every kind of flag with its causes
(docs/billing.md, "Reconciliation")."""

import datetime as dt

import pytest
from django.test import Client

from billing.models import FlagKind, ImportState, ReconciliationFlag, ReconciliationImport, ReconciliationRun
from config.demo import demo_data_load
from msp_portal.calendar import add_months
from msp_portal.tenancy.models import Organisation, User

VARIANCE_CAUSES = {"discount_or_credit", "tax_or_fee", "decimal_rounding", "date_range"}


def latest_run_flags(period: dt.date) -> tuple[ReconciliationRun, list[ReconciliationFlag]]:
    contoso = Organisation.objects.get(slug="contoso")
    run = ReconciliationRun.objects.for_tenant(contoso).filter(period=period).first()
    return run, list(ReconciliationFlag.objects.for_tenant(contoso).filter(run=run))


@pytest.mark.parametrize(
    ("moment", "period"),
    [
        pytest.param(
            "2026-11-20T10:00:00+00:00",
            dt.date(2026, 10, 1),
            marks=pytest.mark.now("2026-11-20T10:00:00+00:00"),
            id="november",
        ),
        # Already 1 January in Paris (Contoso's time zone), still 31 December in UTC.
        pytest.param(
            "2027-01-01T00:30:00+01:00",
            dt.date(2026, 12, 1),
            marks=pytest.mark.now("2027-01-01T00:30:00+01:00"),
            id="year-turn",
        ),
    ],
)
def test_the_last_ended_month_shows_every_kind_of_flag_and_cause(db, moment, period):
    counts = demo_data_load()

    contoso = Organisation.objects.get(slug="contoso")
    imports = ReconciliationImport.objects.for_tenant(contoso)
    assert sorted({(i.period, i.state) for i in imports}) == [
        (add_months(period, -1), ImportState.DONE),
        (period, ImportState.DONE),
    ], moment
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


@pytest.mark.now("2026-11-20T10:00:00+00:00")
def test_loading_the_demo_twice_leaves_the_same_counts(db):
    first = demo_data_load()
    again = demo_data_load()
    assert {key: again[key] for key in first} == first
    assert (first["reconciliation_imports"], first["reconciliation_flags"]) == (
        4,
        len(latest_run_flags(dt.date(2026, 10, 1))[1]) + 1,
    )


@pytest.mark.now("2026-11-20T10:00:00+00:00")
def test_the_billing_member_finds_the_demo_files_among_the_imports(db):
    demo_data_load()
    client = Client()
    client.force_login(User.objects.get(email="billing@contoso.example"))
    page = client.get("/o/contoso/billing/imports/").content.decode()
    for name in (
        "contoso-daily-usage-2026-10.csv",
        "contoso-invoice-2026-10.csv",
        "contoso-invoice-2026-09.csv",
    ):
        assert name in page
