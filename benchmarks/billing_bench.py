"""Importing daily-rated usage files: the importer against a raw COPY, and bulk_create.

    .venv/bin/python benchmarks/billing_bench.py [--rows N] [--database NAME] [--no-phases]
                                                 [--regenerate]

For 100,000 rows and --rows rows (default 1,000,000):
- a daily-rated usage CSV of that many rows with all 50 columns (500 customers, 200 products, 30
  usage days of one month, quantities and prices with 10 decimals, one row in a hundred with a
  stated total a cent off, quoted Tags / AdditionalInfo JSON, the vendor's ``7/1/2025 0:00``
  dates), written to var/bench/ line by line (never held in memory) and kept for the next run;
- the end-to-end import: ``manage.py import_reconciliation`` as a subprocess (wall time, and
  its peak resident memory from ``os.wait4``: the Python process only, not the PostgreSQL
  backend);
- a raw ``COPY`` of the same file (``SET datestyle = 'ISO, MDY'``, so the vendor's dates load as
  they are) into a plain table with the typed columns of billing_daily_usage and the same
  indexes as its partitions (primary key, billing_daily_usage_key, the import index): the floor
  an import that checks nothing would reach (no foreign keys: the partition's two are checked at
  the import's commit);
- unless --no-phases, the importer's steps again one by one in-process (billing.importer and
  billing.services functions, rolled back at the end): where the import's time goes.
Then ``InvoiceLine.objects.bulk_create`` of 100,000 rows (rolled back): rows per second.

Data: its own database (--database, default msp_bench_billing) on the PostgreSQL server of
DATABASE_URL, created and migrated when needed; without DATABASE_URL / REDIS_URL the embedded
servers are started from var/. At start it drops the benchmark's partitions and deletes its own
organisations (slugs starting with "bbench-"). Settings: config.settings.test.
Targets (the issue): import ≤ 1.5 × raw COPY, import peak memory ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from _common import BASE_DIR, SETTINGS, load_average, print_header, run_on_database, wipe_organisations

PREFIX = "bbench-"
MSP = "bbench-msp"
EMAIL_SUFFIX = "@bbench.example"
SMALL_ROWS = 100_000
BULK_ROWS = 100_000
BENCH_DIR = BASE_DIR / "var" / "bench"
RAW_TABLE = "bench_raw_daily_usage"
TARGET_RATIO = 1.5
TARGET_PEAK_MB = 200
# Each size is its own billing period (and invoice), so each import creates its own partition.
PERIODS = {SMALL_ROWS: dt.date(2025, 6, 1)}
DEFAULT_PERIOD = dt.date(2025, 7, 1)
SCALE = 10**10  # the files' amounts carry 10 decimals


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    return "%08x-%04x-4%03x-8%03x-%012x" % (  # noqa: UP031 (one format, five random parts)
        rng.getrandbits(32),
        rng.getrandbits(16),
        rng.getrandbits(12),
        rng.getrandbits(12),
        rng.getrandbits(48),
    )


def _decimal(scaled: int) -> str:
    """A 10-place decimal from its value × 10^10 (exact, no float)."""
    sign = "-" if scaled < 0 else ""
    whole, fraction = divmod(abs(scaled), SCALE)
    return f"{sign}{whole}.{fraction:010d}"


def _cents(scaled_30: int) -> str:
    """A value × 10^30 cut toward zero to the cent, as the rule says (billing/rules.py)."""
    cents = abs(scaled_30) // 10**28
    sign = "-" if scaled_30 < 0 and cents else ""
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _vendor_date(day: dt.date) -> str:
    return f"{day.month}/{day.day}/{day.year} 0:00"


@dataclass
class Catalogue:
    """What the rows of one file pick from."""

    customers: list[tuple[str, str, str, str]]
    products: list[tuple]
    subscriptions: list[tuple[str, str, str]]
    days: list[str]
    start: str
    end: str
    invoice: str
    rate_date: str


def _catalogue(rng: random.Random, period: dt.date, seed: int) -> Catalogue:
    customers = [
        (_uuid(rng), f"Customer {i}", f"customer{i}.example", rng.choice(["FR", "DE", "BE", "ES", "IT"]))
        for i in range(500)
    ]
    products = [
        (
            f"DZH318Z0{i:04X}",
            f"{i % 7:04d}",
            f"Standard D{i % 16}s v{i % 5}",
            f"Virtual Machines series {i}",
            rng.choice(["Virtual Machines", "Storage", "Networking", "Databases"]),
            rng.choice(["1 Hour", "1 GB/Month", "10K"]),
            rng.randrange(1, 5_000_000_000),  # effective unit price × 10^10
        )
        for i in range(200)
    ]
    subscriptions = [(_uuid(rng), _uuid(rng), f"Subscription {i}") for i in range(2_000)]
    last_day = (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    days = [_vendor_date(period + dt.timedelta(days=d)) for d in range(last_day.day)]
    return Catalogue(
        customers, products, subscriptions, days, _vendor_date(period), _vendor_date(last_day),
        invoice=f"G{seed:09d}", rate_date=period.isoformat(),
    )  # fmt: skip


TIER2 = ["0"] * 6 + [""] * 2 + ["-1", "7654321", "1234987"]


def _usage_row(rng: random.Random, n: int, c: Catalogue) -> dict[str, str]:
    """Row ``n`` of a file: the columns that have a value (the others are empty)."""
    customer_id, customer, domain, country = c.customers[rng.randrange(len(c.customers))]
    product_id, sku_id, sku, product, category, unit, price = c.products[rng.randrange(len(c.products))]
    subscription_id, entitlement, subscription = c.subscriptions[rng.randrange(len(c.subscriptions))]
    quantity = rng.randrange(1, 240 * SCALE)
    if rng.random() < 0.02:
        quantity = -quantity  # a credit
    rate = SCALE if rng.random() < 0.7 else rng.randrange(8 * SCALE // 10, 12 * SCALE // 10)
    cent_off = 10**28 if n % 100 == 7 else 0  # one row in a hundred: flagged
    return {
        "PartnerId": "3b0a7d1e-0000-4000-8000-000000000001", "PartnerName": "Northwind Distribution",
        "CustomerId": customer_id, "CustomerName": customer, "CustomerDomainName": domain,
        "CustomerCountry": country, "MpnId": "1234567", "Tier2MpnId": TIER2[n % len(TIER2)],
        "InvoiceNumber": c.invoice, "ProductId": product_id, "SkuId": sku_id, "SkuName": sku,
        "ProductName": product, "PublisherName": "Microsoft",
        "SubscriptionDescription": subscription, "SubscriptionId": subscription_id,
        "ChargeStartDate": c.start, "ChargeEndDate": c.end, "UsageDate": c.days[n % len(c.days)],
        "MeterCategory": category, "MeterId": _uuid(rng), "MeterName": sku, "MeterRegion": "West Europe",
        "Unit": unit, "ResourceLocation": "westeurope", "ConsumedService": "Microsoft.Compute",
        "ResourceGroup": f"rg-{customer.split()[-1]}",
        "ResourceURI": f"/subscriptions/{subscription_id}/resourceGroups/rg/providers/Microsoft.Compute/vm{n % 50}",
        "ChargeType": "new", "UnitPrice": _decimal(price), "Quantity": _decimal(quantity),
        "UnitType": unit, "BillingPreTaxTotal": _cents(price * quantity * rate + cent_off),
        "BillingCurrency": "EUR", "PricingPreTaxTotal": _decimal(price * quantity // SCALE),
        "PricingCurrency": "USD",
        "Tags": f'{{"env": "{"prod" if n % 3 else "test"}", "team": "a,b"}}',
        "AdditionalInfo": f'{{"ImageType": "Canonical", "VCPUs": {1 + n % 8}}}',
        "EffectiveUnitPrice": _decimal(price), "PCToBCExchangeRate": _decimal(rate),
        "PCToBCExchangeRateDate": c.rate_date, "EntitlementId": entitlement,
        "EntitlementDescription": f"{customer} production",
        "PartnerEarnedCreditPercentage": "15" if n % 4 else "0",
    }  # fmt: skip


def write_usage_file(path: Path, rows: int, period: dt.date, seed: int) -> None:
    """A daily-rated usage file of ``rows`` rows, written row by row (never held in memory)."""
    from billing.columns import DAILY_USAGE

    rng = random.Random(seed)
    catalogue = _catalogue(rng, period, seed)
    headers = [column.header for column in DAILY_USAGE]
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(headers)
        for n in range(rows):
            row = _usage_row(rng, n, catalogue)
            writer.writerow([row.get(header, "") for header in headers])
    tmp.replace(path)


def usage_file(rows: int, regenerate: bool) -> tuple[Path, float]:
    """The file of ``rows`` rows (made when missing), and the seconds it took to make."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"billing_daily_usage_{rows}.csv"
    if path.exists() and not regenerate:
        return path, 0.0
    started = time.perf_counter()
    write_usage_file(path, rows, PERIODS.get(rows, DEFAULT_PERIOD), seed=rows)
    return path, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------


def wipe() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for period in {*PERIODS.values(), DEFAULT_PERIOD}:
            cursor.execute(f"DROP TABLE IF EXISTS billing_daily_usage_p{period:%Y_%m}")
        cursor.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
    wipe_organisations(PREFIX, EMAIL_SUFFIX)


def build_msp():
    from django_scopes import scopes_disabled

    from msp_portal.tenancy.models import Organisation

    common = {"country": "FR", "timezone": "Europe/Paris", "currency": "EUR"}
    with scopes_disabled():
        dist = Organisation.objects.create(
            slug=f"{PREFIX}dist", name="Bench Billing Distribution", kind="distributor", **common
        )
        return Organisation.objects.create(
            slug=MSP, name="Bench Billing MSP", kind="msp", distributor=dist, **common
        )


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


# ---------------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------------


def timed_import(path: Path) -> tuple[float, float, str]:
    """(seconds, peak resident MB of the process, its last output line) of manage.py
    import_reconciliation on ``path``."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": SETTINGS}
    log = BENCH_DIR / "import.log"
    command = [sys.executable, str(BASE_DIR / "manage.py"), "import_reconciliation"]
    command += ["--org", MSP, "--kind", "daily-usage", str(path)]
    with log.open("w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=BASE_DIR)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text().strip().splitlines()
    if process.returncode != 0:
        raise SystemExit(f"The import failed ({process.returncode}):\n" + "\n".join(output[-20:]))
    return seconds, usage.ru_maxrss / 1024, output[-1] if output else ""


def create_raw_table(organisation_id: int, period: dt.date) -> None:
    """A plain table with billing_daily_usage's typed columns and its partitions' indexes; the
    columns the file does not have take a default."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        cursor.execute(
            f"CREATE TABLE {RAW_TABLE} (LIKE billing_daily_usage INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        cursor.execute(
            f"ALTER TABLE {RAW_TABLE} ALTER organisation_id SET DEFAULT {int(organisation_id)}, "
            f"ALTER reconciliation_import_id SET DEFAULT 0, ALTER period SET DEFAULT '{period}', "
            "ALTER line SET DEFAULT 0, ALTER reseller_kind SET DEFAULT '', "
            "ADD PRIMARY KEY (organisation_id, period, id)"
        )
        cursor.execute(
            f"CREATE INDEX ON {RAW_TABLE} (organisation_id, period, customer_id, product_id, sku_id, entitlement_id)"
        )
        cursor.execute(f"CREATE INDEX ON {RAW_TABLE} (reconciliation_import_id)")


def timed_raw_copy(path: Path, organisation_id: int, period: dt.date) -> float:
    from django.db import connection, transaction

    from billing.columns import DAILY_USAGE, Kind

    create_raw_table(organisation_id, period)
    names = ", ".join(c.name for c in DAILY_USAGE)
    # An empty text cell is '' (as the importer stores it), not NULL.
    texts = ", ".join(c.name for c in DAILY_USAGE if c.kind == Kind.TEXT)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, path.open("rb") as raw:
        cursor.execute("SET LOCAL datestyle = 'ISO, MDY'")
        cursor.cursor.copy_expert(
            f"COPY {RAW_TABLE} ({names}) FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8', "
            f"FORCE_NOT_NULL ({texts}))",
            raw,
        )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RAW_TABLE}")
    return seconds


class Phases:
    """Seconds per named step, in order."""

    def __init__(self):
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        yield
        self.steps.append((name, time.perf_counter() - started))


def timed_phases(path: Path, organisation) -> Phases:
    """The importer's steps one by one, as billing.services runs them (run before the import
    of the same file, so its partition is new as it is then), all rolled back at the end."""
    from django.db import connection, transaction

    from billing import importer, services
    from billing.columns import FileKind

    phases = Phases()
    kind = FileKind.DAILY_USAGE
    with transaction.atomic(), connection.cursor() as cursor, path.open("rb") as raw:
        record = services.reconciliation_import_create_by_operator(
            organisation=organisation, kind=kind, file_name=path.name, size_bytes=path.stat().st_size
        )
        reader = importer.HashingReader(raw)
        with phases.step("header + staging table"):
            present = importer.read_header(reader, kind)
            importer._staging(cursor, present)
        with phases.step("COPY into the text staging table (+ SHA-256)"):
            importer._copy(cursor, reader, present)
        with phases.step("count rows"):
            cursor.execute("SELECT count(*) FROM billing_staging")
        with phases.step("cell checks (one scan)"):
            importer._check_cells(cursor, present)
        names, typed_sql = importer.typed_rows(kind, present)
        with phases.step("period + invoice (mode, typing charge dates)"):
            period, _invoice = services._period_and_invoice(cursor, typed_sql)
        with phases.step("partition"):
            services._ensure_partition(cursor, period)
        with phases.step("INSERT … SELECT into the partition (typing, rules, counts)"):
            services._insert(
                cursor, "billing_daily_usage", record, period, names, typed_sql, importer.DAILY_USAGE_DERIVED
            )
        # The foreign keys of billing_daily_usage are DEFERRABLE INITIALLY DEFERRED: the real
        # import checks them at commit, one lookup per row and key; this fires them now.
        with phases.step("foreign keys checked at commit (2 per row)"):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)
    return phases


def bulk_create_rate(organisation) -> float:
    """Rows per second of InvoiceLine.objects.bulk_create (batches of 1,000), rolled back."""
    from decimal import Decimal

    from django.db import transaction

    from billing.models import InvoiceLine, ReconciliationImport

    record = ReconciliationImport.objects.for_tenant(organisation).order_by("-pk").first()
    lines = [
        InvoiceLine(
            organisation=organisation,
            reconciliation_import=record,
            period=dt.date(2025, 7, 1),
            line=n + 2,
            customer_id=f"customer-{n % 500}",
            customer_name=f"Customer {n % 500}",
            product_id=f"DZH318Z0{n % 200:04X}",
            sku_id=f"{n % 7:04d}",
            subscription_id=f"sub-{n % 2000}",
            charge_start_date=dt.date(2025, 7, 1),
            charge_end_date=dt.date(2025, 7, 31),
            quantity=Decimal(n % 240),
            unit_price=Decimal("0.0960000000"),
            subtotal=Decimal("69.12"),
            tax_total=Decimal("13.82"),
            total=Decimal("82.94"),
            currency="EUR",
            mpn_id="1234567",
            tier2_mpn_id="0",
            invoice_number="G000000001",
            reseller_kind="direct",
        )
        for n in range(BULK_ROWS)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        InvoiceLine.objects.bulk_create(lines, batch_size=1000)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return BULK_ROWS / seconds


# ---------------------------------------------------------------------------------------------


INVOICE_LINES = 50_000
TARGET_RECONCILE_RATIO = 2.0


def write_invoice_file(msp, period: dt.date, path: Path) -> int:
    """An invoice file for the imported daily rows: one line per customer, product and SKU with
    the daily sums (every fifth one 7 % lower, so flags are found), then
    invoice-only lines up to INVOICE_LINES. Streamed from PostgreSQL to disk."""
    import csv

    from django.db import connection

    from billing.columns import INVOICE, INVOICE_OPTIONAL

    header = [c.header for c in (*INVOICE, *INVOICE_OPTIONAL) if c.header != "SkuName"]
    written = 0
    with path.open("w", encoding="utf-8", newline="") as file, connection.cursor() as cursor:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(header)
        cursor.execute(
            # Per customer, product and SKU (no subscription on the invoice: the daily rows are then
            # summed over their subscriptions), at most INVOICE_LINES of them.
            "SELECT customer_id, max(customer_name), product_id, sku_id, '', sum(quantity), "
            "sum(billing_pre_tax_total) FROM billing_daily_usage WHERE organisation_id = %s AND period = %s "
            "GROUP BY customer_id, product_id, sku_id ORDER BY 1, 3, 4 LIMIT %s",
            [msp.pk, period, INVOICE_LINES],
        )
        for customer, name, product, sku, entitlement, quantity, total in cursor.fetchall():
            subtotal = (total * Decimal("0.93") if written % 5 == 0 else total).quantize(Decimal("0.01"))
            writer.writerow(
                [customer, name, product, sku, "sub", f"{period}", f"{period:%Y-%m}-28", quantity, "", subtotal,
                 "0", subtotal, "EUR", "1", "0", "G-BENCH", product, "usage", entitlement]
            )  # fmt: skip
            written += 1
        while written < INVOICE_LINES:
            writer.writerow(
                [f"cust-only-{written}", "Invoice only", f"LIC{written % 50}", "P1M", "sub", f"{period}",
                 f"{period:%Y-%m}-28", "10", "5", "50.00", "0", "50.00", "EUR", "1", "0", "G-BENCH", "License", "new", ""]
            )  # fmt: skip
            written += 1
    return written


def timed_reconciliation(msp, period: dt.date) -> tuple[float, float, float, int]:
    """(invoice import s, reconciliation s, plain GROUP BY s of the same rows, flags)."""
    from django.db import connection

    from billing.reconciliation import reconciliation_run

    path = BENCH_DIR / "billing_invoice_bench.csv"
    lines = write_invoice_file(msp, period, path)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "import_reconciliation", "--org", MSP, "--kind", "invoice", str(path)],
        cwd=BASE_DIR, env={**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": SETTINGS},
        check=True, capture_output=True,
    )  # fmt: skip
    imported = time.perf_counter() - started
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for table, amount in (
            ("billing_daily_usage", "billing_pre_tax_total"),
            ("billing_invoiceline", "subtotal"),
        ):
            cursor.execute(
                f"SELECT customer_id, product_id, sku_id, entitlement_id, sum({amount}), sum(quantity) FROM {table} "
                "WHERE organisation_id = %s AND period = %s GROUP BY 1, 2, 3, 4",
                [msp.pk, period],
            )
            cursor.fetchall()
        plain = time.perf_counter() - started
    started = time.perf_counter()
    run = reconciliation_run(msp=msp, period=period)
    reconciled = time.perf_counter() - started
    print(
        f"  invoice: {lines:,} lines imported in {imported:.1f} s; reconciliation {reconciled:.1f} s, plain GROUP BY {plain:.1f} s, {run.flag_count:,} flags",
        flush=True,
    )
    return imported, reconciled, plain, run.flag_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large file (1,000,000)")
    parser.add_argument(
        "--database",
        default="msp_bench_billing",
        help="database on the DATABASE_URL server (msp_bench_billing)",
    )
    parser.add_argument(
        "--no-phases", action="store_true", help="skip the step-by-step timing of the importer"
    )
    parser.add_argument(
        "--no-reconcile", action="store_true", help="skip the reconciliation against a 50,000-line invoice"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="write the files again even if var/bench has them"
    )
    args = parser.parse_args(argv)
    return run_on_database(args.database, lambda: run(args))


def run(args) -> int:
    from django.db import connection

    wipe()
    msp = build_msp()
    sizes = sorted({SMALL_ROWS, args.rows})
    results, breakdowns = [], {}
    for rows in sizes:
        path, made = usage_file(rows, args.regenerate)
        megabytes = path.stat().st_size / 1024 / 1024
        print(f"{rows:,} rows: {path} ({megabytes:.0f} MB, written in {made:.0f} s)", flush=True)
        copy_seconds = timed_raw_copy(path, msp.pk, PERIODS.get(rows, DEFAULT_PERIOD))
        print(f"  raw COPY {copy_seconds:.1f} s (load {load_average()})", flush=True)
        if not args.no_phases:
            breakdowns[rows] = timed_phases(path, msp)
            print(
                f"  steps {sum(s for _, s in breakdowns[rows].steps):.1f} s (load {load_average()})",
                flush=True,
            )
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")  # each import starts without the previous step's dirty pages
        seconds, peak, said = timed_import(path)
        print(f"  import {seconds:.1f} s, peak {peak:.0f} MB: {said} (load {load_average()})", flush=True)
        results.append((rows, megabytes, seconds, copy_seconds, peak))
    rate = bulk_create_rate(msp)
    reconciliation = (
        None if args.no_reconcile else timed_reconciliation(msp, PERIODS.get(sizes[-1], DEFAULT_PERIOD))
    )

    print_header("Billing: importing daily-rated usage files")
    print()
    header = f"{'rows':>10} {'file MB':>8} {'import s':>9} {'raw COPY s':>10} {'import/COPY':>11} {'import peak MB':>14} {'bulk_create rows/s':>18}"
    print(header)
    print("-" * len(header))
    for rows, megabytes, seconds, copy_seconds, peak in results:
        print(
            f"{rows:>10,} {megabytes:>8.0f} {seconds:>9.1f} {copy_seconds:>10.1f} "
            f"{seconds / copy_seconds:>11.2f} {peak:>14.0f} {f'{rate:,.0f}' if rows == BULK_ROWS else '':>18}"
        )
    print(f"\nbulk_create rows/s: InvoiceLine.objects.bulk_create of {BULK_ROWS:,} rows, batches of 1,000")
    for rows, phases in breakdowns.items():
        total = sum(seconds for _, seconds in phases.steps)
        print(f"\nThe importer's steps, {rows:,} rows (in-process, rolled back): {total:.1f} s")
        for name, seconds in phases.steps:
            print(f"  {name:<48} {seconds:>7.1f} s {100 * seconds / total:>4.0f} %")
    rows, _mb, seconds, copy_seconds, peak = results[-1]
    print()
    ratio = seconds / copy_seconds
    print(
        f"Target import ≤ {TARGET_RATIO} × raw COPY ({rows:,} rows): {ratio:.2f} × : {'met' if ratio <= TARGET_RATIO else 'OVER'}"
    )
    print(
        f"Target import peak memory ≤ {TARGET_PEAK_MB} MB: {peak:.0f} MB: {'met' if peak <= TARGET_PEAK_MB else 'OVER'}"
    )
    if reconciliation:
        imported, reconciled, plain, flags = reconciliation
        ratio = reconciled / plain
        print(
            f"Target reconciliation ≤ {TARGET_RECONCILE_RATIO} × plain GROUP BY ({rows:,} daily rows, "
            f"{INVOICE_LINES:,} invoice lines, {flags:,} flags): {reconciled:.1f} s / {plain:.1f} s = {ratio:.2f} × : "
            f"{'met' if ratio <= TARGET_RECONCILE_RATIO else 'OVER'} (invoice import {imported:.1f} s)"
        )
    wipe()
    return 0


if __name__ == "__main__":
    sys.exit(main())
