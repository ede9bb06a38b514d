"""One currency per MSP (docs/currency.md), where usage reports let prices in: opening a report
(by hand, from licensing, by the monthly job), penalties, an MSP's currency, and the data
migration for rows written before the rule. The test MSPs are billed in US dollars."""

import dataclasses
import datetime as dt
import importlib
import logging
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from licensing.choices import BillingType, Program
from licensing.models import Product, Purchase, Subscription
from msp_portal.errors import DomainError
from msp_portal.jobs.choices import JobName, JobStatus
from msp_portal.jobs.models import JobRun
from msp_portal.jobs.services import JobRunLog, job_run
from msp_portal.money import CurrencyMismatch, billing_currency_change_check
from msp_portal.tenancy.models import Organisation
from reports.auto_submit import auto_submit_due
from reports.cycles import cycles_open_due
from reports.models import ReportPenalty, UsageReport, UsageReportLine
from reports.services import LineSpec, usage_report_open, usage_reports_open_from_licensing

from .conftest import line_specs

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")
UTC = dt.UTC
OPENED = dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
NOVEMBER = dt.date(2026, 11, 1)

migration = importlib.import_module("reports.migrations.0005_one_currency_per_msp")


def catalog_product(distributor, code: str, currency: str, price="10.00") -> Product:
    return Product.objects.create(
        organisation=distributor,
        product_code=code,
        sku_code=f"{code}-P1M",
        name=f"Product {code}",
        publisher="Contoso",
        unit_price=Decimal(price),
        currency=currency,
        billing_type=BillingType.LICENSE,
        program=Program.TRUE_UP,
    )


def held(side, item: Product) -> Subscription:
    """A subscription made straight in the database, as rows from before the rule were: the
    purchase service would refuse a product in another currency."""
    return Subscription.objects.create(organisation=side.msp, product=item, term_start=dt.date(2026, 1, 1))


def reports_of(msp) -> list[UsageReport]:
    return list(UsageReport.objects.for_tenant(msp).order_by("cycle"))


# --- opening ------------------------------------------------------------------------------------


def test_a_line_priced_in_another_currency_stops_the_opening_loudly(world, caplog):
    euro_line = LineSpec(
        product_code="EU-1",
        product_name="Euro Backup",
        unit_type="GB",
        unit_price=Decimal("0.0500"),
        provided_units=10,
        currency="EUR",
    )

    with (
        caplog.at_level(logging.ERROR, logger="reports.services"),
        pytest.raises(CurrencyMismatch) as refused,
    ):
        usage_report_open(msp=world.a.msp, cycle=dt.date(2026, 10, 1), lines=[*line_specs(), euro_line])

    assert refused.value.message == (
        "The usage report of MSP A for 2026-10 was not opened: MSP A is billed in USD, and these products "
        "are priced in another currency: Euro Backup (EUR)."
    )
    assert refused.value.message in caplog.text
    assert reports_of(world.a.msp) == [], "no report with a price under another currency's name"

    report, created = usage_report_open(msp=world.a.msp, cycle=dt.date(2026, 10, 1), lines=line_specs())
    assert created and report.currency == "USD"


def test_the_licensing_seam_prices_lines_in_the_msps_currency_or_opens_nothing(world):
    dollars = catalog_product(world.a.distributor, "USD-1", "USD", price="7.25")
    euros = catalog_product(world.a.distributor, "EUR-1", "EUR")
    held(world.a, dollars)
    legacy = held(world.a, euros)

    with pytest.raises(CurrencyMismatch) as refused:
        usage_reports_open_from_licensing(msp=world.a.msp, cycles=[NOVEMBER])
    assert "Product EUR-1 (EUR)" in refused.value.message and "Product USD-1" not in refused.value.message
    assert reports_of(world.a.msp) == []

    Subscription.objects.for_tenant(world.a.msp).filter(pk=legacy.pk).delete()
    [opened] = usage_reports_open_from_licensing(msp=world.a.msp, cycles=[NOVEMBER])
    report = opened.report
    assert opened.created and report.currency == "USD"
    [line] = UsageReportLine.objects.for_tenant(world.a.msp).filter(report=report)
    assert (line.product_code, line.unit_price) == ("USD-1", Decimal("7.2500"))


def test_the_monthly_job_records_the_refusal_and_opens_the_other_msps(world):
    held(world.a, catalog_product(world.a.distributor, "EUR-1", "EUR"))
    held(world.b, catalog_product(world.b.distributor, "USD-1", "USD"))

    log = job_run(JobName.OPEN_CYCLES, cycles_open_due, now=dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC))

    assert reports_of(world.a.msp) == []
    [opened] = reports_of(world.b.msp)
    assert (opened.cycle, opened.currency) == (NOVEMBER, "USD")
    expected = (
        f"MSP {world.a.msp.pk} (msp-a): The usage report of MSP A for 2026-11 was not opened: MSP A is billed "
        "in USD, and these products are priced in another currency: Product EUR-1 (EUR)."
    )
    assert log.errors == [expected]
    run = JobRun.objects.get(job=JobName.OPEN_CYCLES)
    assert run.status == JobStatus.PARTIAL and run.errors == [expected]


# --- penalties and the MSP's currency ------------------------------------------------------------


def test_penalties_are_in_the_reports_currency_which_is_the_msps(world):
    Organisation.objects.filter(pk=world.a.msp.pk).update(currency="EUR")
    world.a.msp.refresh_from_db()
    lines = [dataclasses.replace(spec, currency="EUR") for spec in line_specs()]
    report, _ = usage_report_open(msp=world.a.msp, cycle=dt.date(2026, 10, 1), lines=lines, opened_at=OPENED)

    auto_submit_due(log=JobRunLog(), now=report.deadline)

    penalties = list(ReportPenalty.objects.for_tenant(world.a.msp).filter(report=report))
    assert penalties, "the unexplained line is penalised"
    assert {p.currency for p in penalties} == {report.currency} == {world.a.msp.currency} == {"EUR"}


def test_an_msp_with_reports_keeps_its_currency(world, open_report):
    open_report(world.a.msp)

    with pytest.raises(DomainError) as refused:
        billing_currency_change_check(organisation=world.a.msp, currency="EUR")

    assert refused.value.message == (
        "MSP A is billed in USD and holds 1 usage report in USD: its currency cannot change to EUR."
    )
    billing_currency_change_check(organisation=world.b.msp, currency="EUR")  # nothing billed yet


# --- the data migration ------------------------------------------------------------------------------


def migrate_currencies() -> None:
    with connection.schema_editor() as editor:
        migration.one_currency_per_msp(apps, editor)


def legacy_report(side, item: Product, *, cycle=dt.date(2026, 10, 1)) -> UsageReport:
    """A report as written before the rule: lines priced from ``item`` under the MSP's label."""
    spec = LineSpec(
        product_code=item.product_code,
        sku_code=item.sku_code,
        product_name=item.name,
        unit_type="seat",
        unit_price=item.unit_price,
        provided_units=40,
        used_units=36,
        currency=side.msp.currency,  # the mislabel the rule now refuses
    )
    report, _ = usage_report_open(msp=side.msp, cycle=cycle, lines=[spec], opened_at=OPENED)
    return report


def test_the_migration_relabels_an_msp_whose_money_was_all_in_its_products_currency(world):
    euros = catalog_product(world.a.distributor, "EUR-1", "EUR")
    held(world.a, euros)
    report = legacy_report(world.a, euros)
    line = UsageReportLine.objects.for_tenant(world.a.msp).get(report=report)
    ReportPenalty.objects.create(
        organisation=world.a.msp,
        report=report,
        line=line,
        deadline=report.deadline,
        provided_units=40,
        billable_before=36,
        reset_amount=Decimal("40.00"),
        surcharge=Decimal("0.00"),
        total=Decimal("40.00"),
        currency="USD",
    )
    untouched = legacy_report(world.b, catalog_product(world.b.distributor, "USD-1", "USD"))

    migrate_currencies()

    assert Organisation.objects.get(pk=world.a.msp.pk).currency == "EUR"
    assert UsageReport.objects.for_tenant(world.a.msp).get(pk=report.pk).currency == "EUR"
    assert ReportPenalty.objects.for_tenant(world.a.msp).get().currency == "EUR"
    assert line.unit_price == Decimal("10.0000"), "a relabel, never a conversion"
    # MSP B's money was in dollars all along: nothing changes.
    assert Organisation.objects.get(pk=world.b.msp.pk).currency == "USD"
    assert UsageReport.objects.for_tenant(world.b.msp).get(pk=untouched.pk).currency == "USD"
    # The penalties are append-only again afterwards.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReportPenalty.objects.for_tenant(world.a.msp).update(currency="USD")


def test_the_migration_refuses_an_msp_whose_money_is_in_two_currencies_and_changes_nothing(world):
    euros = catalog_product(world.a.distributor, "EUR-1", "EUR")
    held(world.a, euros)
    report = legacy_report(world.a, euros)
    Purchase.objects.create(
        organisation=world.a.msp,
        number="P-2026-00001",
        idempotency_key="legacy",
        created_by=world.a.users["msp_admin"],
        currency="USD",
        total=Decimal("10.00"),
        acknowledged_terms=True,
    )
    # MSP B could be relabelled, but the migration is all or nothing.
    legacy_report(world.b, catalog_product(world.b.distributor, "EUR-2", "EUR"))

    with pytest.raises(RuntimeError) as refused:
        migrate_currencies()

    text = str(refused.value)
    assert "MSP A (msp-a, billed in USD)" in text
    assert "in EUR: subscription" in text and f"usage report {report.pk} of 2026-10" in text
    assert "in USD: purchase P-2026-00001" in text
    assert "msp-b" not in text
    assert Organisation.objects.get(pk=world.a.msp.pk).currency == "USD"
    assert Organisation.objects.get(pk=world.b.msp.pk).currency == "USD"
    assert {r.currency for r in UsageReport.objects.for_tenant(world.b.msp)} == {"USD"}
