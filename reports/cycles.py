"""Opening cycles (docs/reports.md, docs/jobs.md): once a month has ended in an MSP's own time zone, the MSP gets
its usage report for it, lines from the licensing seam (docs/licensing.md).

Every active MSP is checked on each run (hourly in the beat): the months to open run from the
month after its latest report (or, for an account without any, the month it was created) to the
last month that has ended locally. So a new account gets its first report at the next run, and
months missed while the workers were down are caught up, each with a deadline counted from now.

Safe at once from several processes: each MSP is handled in its own transaction holding its
organisation row (``FOR UPDATE SKIP LOCKED``: an MSP another run holds is left to it), and the
(MSP, cycle) unique key lets exactly one report exist whatever happens.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from msp_portal.calendar import cycle_of, last_ended_cycle, months_between, next_month
from msp_portal.jobs.services import JobRunLog
from msp_portal.money import CurrencyMismatch
from msp_portal.tenancy.choices import OrganisationKind
from msp_portal.tenancy.models import Organisation

from .models import UsageReport
from .services import usage_reports_open_from_licensing


def cycles_to_open(msp: Organisation, latest_cycle: dt.date | None, now: dt.datetime) -> list[dt.date]:
    """The months of the MSP that have ended and have no report yet (oldest first)."""
    first = next_month(latest_cycle) if latest_cycle is not None else cycle_of(msp.created_at, msp.timezone)
    return months_between(first, last_ended_cycle(now, msp.timezone))


def _active_msps_with_latest_cycle():
    latest = (
        UsageReport.objects.across_tenants()
        .filter(organisation=OuterRef("pk"))
        .values("organisation")
        .annotate(latest=Max("cycle"))
        .values("latest")
    )
    return (
        Organisation.objects.filter(kind=OrganisationKind.MSP, is_active=True, distributor__is_active=True)
        .annotate(latest_cycle=Subquery(latest))
        .order_by("pk")
    )


def cycles_open_due(*, log: JobRunLog, now: dt.datetime | None = None) -> None:
    """Open every report that is due (see the module's docstring). Safe to run again: a month
    already open is left as it is. A dry run writes nothing and lists what it would open."""
    now = now or timezone.now()
    for msp in _active_msps_with_latest_cycle():
        cycles = cycles_to_open(msp, msp.latest_cycle, now)
        if not cycles:
            continue
        if log.dry_run:
            for cycle in cycles:
                log.would(f"open {msp.name} {cycle:%Y-%m}")
                log.add("reports_opened")
            continue
        try:
            _open_for_msp(msp.pk, now, log)
        except CurrencyMismatch as exc:
            # Its months stay unopened (rolled back) until product and currency agree again;
            # the next run tries again. The other MSPs are served meanwhile.
            log.error(f"MSP {msp.pk} ({msp.slug}): {exc.message}")


@transaction.atomic
def _open_for_msp(msp_id: int, now: dt.datetime, log: JobRunLog) -> None:
    msp = Organisation.objects.select_for_update(skip_locked=True).filter(pk=msp_id, is_active=True).first()
    if msp is None:  # another run holds this MSP (or it was just deactivated)
        log.add("msps_skipped")
        return
    # Read again under the lock: another run may have opened some months meanwhile.
    latest = UsageReport.objects.for_tenant(msp).aggregate(latest=Max("cycle"))["latest"]
    cycles = cycles_to_open(msp, latest, now)
    if not cycles:
        return
    for opened in usage_reports_open_from_licensing(msp=msp, cycles=cycles, opened_at=now):
        log.add("reports_opened", opened.created)
        log.add("lines", opened.line_count)
    log.add("msps")
