"""The demo's billing part: Contoso's vendor files of the last ended month (and the one before)
are imported and reconciled, and the results page shows every kind of flag with its causes
(docs/billing.md, "Reconciliation").

Checked on the demo sets other modules load anyway (a whole load takes seconds): on a November
day in tests/test_demo.py, at the turn of a year and on 29 February in tests/test_demo_any_day.py."""

import datetime as dt

from billing.models import FlagKind, ImportState, ReconciliationFlag, ReconciliationImport, ReconciliationRun
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
