"""Invoicing a month: 1,000 MSPs × 30 report lines, with penalties, true-ups and proration.

    .venv/bin/python benchmarks/invoicing_bench.py [--msps N] [--lines N] [--database NAME]

Measures, in-process on the benchmark's own database:

a) the month's invoicing as the deadline sweep does it: ``invoices_build_for_reports`` over the
   approved reports of every MSP, in batches of 100 (one transaction each): wall time, invoices
   per second and SQL statements per invoice;
b) one invoice at a time, as a person's approval does it, for reports of 30 and 300 lines: the
   SQL statements per invoice (they must not grow with the lines) and the median time;
c) the PDF of an invoice (``invoicing.pdf``, WeasyPrint) for 30 and 300 lines: median time.

Each MSP has 30 report lines (a tenth under-declared and penalised: surcharge 10 %), one
true-up charge dated in the month and two changes of owned licenses in the month (an increase
and a decrease, both prorated). The rows are written by bulk inserts; each run deletes its own
organisations first (slugs starting with "ibench-"). Invoices are immutable (a trigger refuses
DELETE), so the wipe turns the triggers off for its own transaction only.

Data: its own database (--database, default msp_bench_invoicing) on the PostgreSQL server of
DATABASE_URL, created and migrated when needed; without DATABASE_URL / REDIS_URL the embedded
servers are started from var/. Settings: config.settings.test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from decimal import Decimal

from _common import print_header, run_on_database, wipe_organisations

PREFIX = "ibench-"
EMAIL_SUFFIX = "@ibench.example"
MONTH = dt.date(2026, 10, 1)
BATCH = 100
UNIT_PRICE = Decimal("20.6000")


def _wipe() -> None:
    # Issued invoices refuse DELETE (a trigger); wipe_organisations switches the user triggers
    # of tenant tables off for its own transaction.
    wipe_organisations(PREFIX, EMAIL_SUFFIX)


def _organisations(count: int):
    from msp_portal.tenancy.models import Organisation

    common = {"country": "FR", "timezone": "Europe/Paris", "currency": "EUR"}
    distributor = Organisation.objects.create(
        slug=f"{PREFIX}dist", name="Invoicing Bench Distribution", kind="distributor", **common
    )
    msps = Organisation.objects.bulk_create(
        [
            Organisation(
                slug=f"{PREFIX}msp-{i:05d}",
                name=f"Bench MSP {i:05d}",
                kind="msp",
                distributor=distributor,
                **common,
            )
            for i in range(count)
        ]
    )
    return distributor, msps


def _catalog(distributor):
    from licensing.models import Product

    return Product.objects.create(
        organisation=distributor,
        product_code="IB-365",
        sku_code="P1M",
        name="Microsoft 365 Business Premium",
        publisher="Microsoft",
        unit_price=UNIT_PRICE,
        currency="EUR",
        billing_type="license",
        program="true_up",
    )


def _reports(msps, lines_per_report: int, approved_at):
    """An approved report per MSP, its lines and a penalty on a tenth of them."""
    from reports.choices import ReportState
    from reports.models import ReportPenalty, UsageReport, UsageReportLine

    reports = UsageReport.objects.bulk_create(
        [
            UsageReport(
                organisation=msp,
                cycle=MONTH,
                state=ReportState.APPROVED,
                currency="EUR",
                opened_at=approved_at - dt.timedelta(days=20),
                deadline=approved_at - dt.timedelta(days=5),
                submitted_at=approved_at - dt.timedelta(days=4),
                reviewed_at=approved_at,
            )
            for msp in msps
        ]
    )
    lines = []
    for report in reports:
        for position in range(lines_per_report):
            provided = 20 + position % 180
            lines.append(
                UsageReportLine(
                    organisation_id=report.organisation_id,
                    report=report,
                    position=position,
                    product_code=f"PRD-{position:04d}",
                    sku_code="P1M",
                    product_name=f"Product {position:04d}",
                    unit_type="seat",
                    unit_price=UNIT_PRICE,
                    provided_units=provided,
                    used_units=provided,
                    billable_units=provided,  # a penalised line's reset: billable = provided
                )
            )
    lines = UsageReportLine.objects.bulk_create(lines, batch_size=5000)
    penalties = [
        ReportPenalty(
            organisation_id=line.organisation_id,
            report=line.report,
            line=line,
            deadline=approved_at - dt.timedelta(days=5),
            provided_units=line.provided_units,
            billable_before=line.provided_units - 2,
            reset_amount=2 * UNIT_PRICE,
            surcharge=(line.provided_units * UNIT_PRICE / 10).quantize(Decimal("0.01")),
            total=(2 * UNIT_PRICE + line.provided_units * UNIT_PRICE / 10).quantize(Decimal("0.01")),
            currency="EUR",
        )
        for line in lines
        if line.position % 10 == 3
    ]
    ReportPenalty.objects.bulk_create(penalties, batch_size=5000)
    return reports


def _licensing(msps, product):
    """A subscription per MSP with a true-up charge in the month and two owned-license changes."""
    from licensing.choices import HistoryKind
    from licensing.models import AssignmentEvent, Subscription, TrueUpCharge

    subscriptions = Subscription.objects.bulk_create(
        [
            Subscription(organisation=msp, product=product, term_start=dt.date(2025, 10, 10), billing_day=10)
            for msp in msps
        ]
    )
    at = dt.datetime(2025, 10, 10, 9, tzinfo=dt.UTC)
    events = []
    for subscription in subscriptions:
        org = subscription.organisation_id
        for when, owned in ((at, 10), (dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC), 15)):
            events.append(
                AssignmentEvent(
                    organisation_id=org,
                    subscription=subscription,
                    kind=HistoryKind.PURCHASED,
                    assigned_delta=0,
                    owned_after=owned,
                    at=when,
                )
            )
        events.append(
            AssignmentEvent(
                organisation_id=org,
                subscription=subscription,
                kind=HistoryKind.REMOVED,
                assigned_delta=0,
                owned_after=12,
                at=dt.datetime(2026, 10, 25, 9, tzinfo=dt.UTC),
            )
        )
    AssignmentEvent.objects.bulk_create(events, batch_size=5000)
    TrueUpCharge.objects.bulk_create(
        [
            TrueUpCharge(
                organisation_id=subscription.organisation_id,
                subscription=subscription,
                true_up_date=dt.date(2026, 10, 10),
                period_start=dt.datetime(2025, 10, 10, tzinfo=dt.UTC),
                period_end=dt.datetime(2026, 10, 10, tzinfo=dt.UTC),
                peak_units=14,
                owned_units=12,
                units=2,
                unit_price=UNIT_PRICE * 12,
                amount=2 * UNIT_PRICE * 12,
                currency="EUR",
            )
            for subscription in subscriptions
        ],
        batch_size=5000,
    )


def _tax(distributor):
    from invoicing.models import TaxSetting

    TaxSetting.objects.create(
        organisation=distributor, country="FR", rate_percent=Decimal("20"), method="total"
    )


def build(msp_count: int, lines: int):
    from django.db import transaction
    from django_scopes import scopes_disabled

    approved_at = dt.datetime(2026, 11, 8, 10, tzinfo=dt.UTC)
    with scopes_disabled(), transaction.atomic():
        distributor, msps = _organisations(msp_count)
        product = _catalog(distributor)
        _tax(distributor)
        _licensing(msps, product)
        reports = _reports(msps, lines, approved_at)
    return distributor, reports


def invoice_in_batches(reports) -> tuple[float, int, int]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from invoicing.services.invoices import invoices_build_for_reports

    issued = statements = 0
    started = time.perf_counter()
    for first in range(0, len(reports), BATCH):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            issued += len(invoices_build_for_reports(reports[first : first + BATCH]))
        statements += len(queries.captured_queries)
    return time.perf_counter() - started, issued, statements


def one_at_a_time(reports, count: int) -> tuple[list[float], list[int]]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from invoicing.services.invoices import invoices_build_for_reports

    times, statements = [], []
    for report in reports[:count]:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            assert len(invoices_build_for_reports([report])) == 1
        times.append(time.perf_counter() - started)
        statements.append(len(queries.captured_queries))
    return times, statements


def pdf_times(invoices) -> tuple[list[float], list[float]]:
    """The invoice's page and its PDF as the MSP's admin downloads them (django.test.Client,
    in-process): server time of each, for each invoice."""
    from django.test import Client

    from msp_portal.tenancy.models import Membership, User

    admin = User.objects.create_user(email=f"admin{EMAIL_SUFFIX}", first_name="Ada", last_name="Admin")
    Membership.objects.bulk_create(
        [
            Membership(organisation_id=invoice.organisation_id, user=admin, role="msp_admin")
            for invoice in invoices
        ]
    )
    client = Client()
    client.force_login(admin)
    pages, pdfs = [], []
    for invoice in invoices:
        base = f"/o/{invoice.organisation.slug}/invoices/{invoice.pk}/"
        for url, times in ((base, pages), (base + "pdf/", pdfs)):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        assert response.content.startswith(b"%PDF")
    return pages, pdfs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--msps", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--database", default="msp_bench_invoicing")
    options = parser.parse_args(argv)

    def body() -> int:
        from django_scopes import scopes_disabled

        print_header(f"Invoicing a month: {options.msps} MSPs × {options.lines} lines")
        _wipe()
        started = time.perf_counter()
        _, reports = build(options.msps, options.lines)
        print(f"data: {time.perf_counter() - started:.1f} s (bulk inserts)")
        with scopes_disabled():
            wall, issued, statements = invoice_in_batches(reports)
        print(
            f"a) batches of {BATCH}: {issued} invoices in {wall:.2f} s "
            f"({issued / wall:.0f} invoices/s), {statements} SQL statements "
            f"({statements / max(issued, 1):.2f} per invoice)"
        )
        from django.db.models import Count

        from invoicing.models import InvoiceLine

        with scopes_disabled():
            kinds = dict(
                InvoiceLine.objects.across_tenants()
                .filter(invoice__report__in=reports)
                .values_list("kind")
                .annotate(n=Count("id"))
                .values_list("kind", "n")
            )
        print(
            "   lines by kind: "
            + ", ".join(f"{kind} {n / max(issued, 1):g} per invoice" for kind, n in sorted(kinds.items()))
        )
        rows = []
        pdf_ids = {}
        for lines in (30, 300):
            _wipe()
            _, few = build(20, lines)
            with scopes_disabled():
                times, counts = one_at_a_time(few, 20)
            rows.append((lines, statistics.median(times), counts))
            from invoicing.models import Invoice

            with scopes_disabled():
                invoices = list(
                    Invoice.objects.across_tenants().filter(report__in=few[:5]).select_related("organisation")
                )
            pdf_ids[lines] = pdf_times(invoices)
            from msp_portal.tenancy.models import User

            User.objects.filter(email__endswith=EMAIL_SUFFIX).delete()
        for lines, median, counts in rows:
            print(
                f"b) one invoice at a time, {lines} report lines: median {median * 1000:.1f} ms, "
                f"SQL statements per invoice {min(counts)}–{max(counts)}"
            )
        for lines, (pages, pdfs) in pdf_ids.items():
            print(
                f"c) an invoice of {lines} report lines: page median "
                f"{statistics.median(pages) * 1000:.0f} ms, PDF median {statistics.median(pdfs) * 1000:.0f} ms "
                f"(WeasyPrint, through the view)"
            )
        _wipe()
        return 0

    return run_on_database(options.database, body)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
