"""The demo's billing part: Contoso's vendor files of the last ended month (and the one before)
are imported and reconciled, and the results page shows every kind of flag with its causes
(docs/billing.md, "Reconciliation").

The checks on a November day run in tests/test_demo.py, on the demo set that module loads once
at that moment (a whole load takes seconds); this module loads it at the turn of a year."""

import datetime as dt

import pytest

from billing.models import FlagKind, ImportState, ReconciliationFlag, ReconciliationImport, ReconciliationRun
from config.demo import demo_data_load
from msp_portal.calendar import add_months
from msp_portal.tenancy.models import Organisation

VARIANCE_CAUSES = {"discount_or_credit", "tax_or_fee", "decimal_rounding", "date_range"}


def latest_run_flags(period: dt.date) -> tuple[ReconciliationRun, list[ReconciliationFlag]]:
    contoso = Organisation.objects.get(slug="contoso")
    run = ReconciliationRun.objects.for_tenant(contoso).filter(period=period).first()
    return run, list(ReconciliationFlag.objects.for_tenant(contoso).filter(run=run))


def check_the_last_ended_month(counts: dict[str, int], period: dt.date) -> None:
    """The loaded demo imported the files of ``period`` and the month before, and its latest
    reconciliation shows every kind of flag and every cause of a variance."""
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


# Already 1 January in Paris (Contoso's time zone), still 31 December in UTC.
@pytest.mark.now("2027-01-01T00:30:00+01:00")
def test_at_the_turn_of_the_year_the_last_ended_month_is_december(db):
    check_the_last_ended_month(demo_data_load(), dt.date(2026, 12, 1))
