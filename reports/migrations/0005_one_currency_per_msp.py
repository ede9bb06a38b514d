"""One currency per MSP (docs/currency.md): rows written before the rule are brought in line,
or the migration stops and lists them.

Nothing was ever converted: every amount the portal wrote was computed from a catalog price, in
that product's currency. What could be wrong is a label: an MSP left at the default currency
while its products were priced in another, and its reports and penalties labelled with the MSP's
currency. So, for each MSP, the currencies its money was really in are gathered from its
subscriptions' products, its purchases, its true-up charges and, per usage report, the products
its lines were priced from (a report none of whose lines matches a catalog product counts with
its own label):

- none (nothing billed yet): nothing to do;
- exactly one: the MSP is billed in it, and its reports and their penalties are labelled with it
  (a relabel, not a conversion: their amounts were in it all along);
- more than one: no label can be right without a conversion at a recorded rate, which the
  portal does not have. The migration changes nothing at all and raises, naming each such MSP
  and its rows per currency, to be corrected by hand before migrating again.
"""

from collections import defaultdict

from django.db import migrations

SHOWN_PER_CURRENCY = 5


def _evidence(apps, msp) -> dict[str, list[str]]:
    """Currency → the MSP's rows whose amounts are in it."""
    product_model = apps.get_model("licensing", "Product")
    subscriptions = apps.get_model("licensing", "Subscription")._base_manager
    purchases = apps.get_model("licensing", "Purchase")._base_manager
    charges = apps.get_model("licensing", "TrueUpCharge")._base_manager
    reports = apps.get_model("reports", "UsageReport")._base_manager
    lines = apps.get_model("reports", "UsageReportLine")._base_manager

    found: dict[str, list[str]] = defaultdict(list)
    for sub in subscriptions.filter(organisation=msp).select_related("product").order_by("pk"):
        found[sub.product.currency].append(f"subscription {sub.pk} ({sub.product.name})")
    for purchase in purchases.filter(organisation=msp).order_by("pk"):
        found[purchase.currency].append(f"purchase {purchase.number}")
    for charge in charges.filter(organisation=msp).order_by("pk"):
        found[charge.currency].append(f"true-up charge {charge.pk} of {charge.true_up_date:%Y-%m-%d}")
    priced_in = {
        (code, sku): currency
        for code, sku, currency in product_model._base_manager.filter(
            organisation_id=msp.distributor_id
        ).values_list("product_code", "sku_code", "currency")
    }
    for report in reports.filter(organisation=msp).order_by("cycle"):
        keys = lines.filter(report=report).values_list("product_code", "sku_code")
        currencies = {priced_in[key] for key in keys if key in priced_in} or {report.currency}
        for currency in sorted(currencies):
            found[currency].append(f"usage report {report.pk} of {report.cycle:%Y-%m}")
    return found


def _relabel(apps, schema_editor, msp, currency: str) -> None:
    organisations = apps.get_model("tenancy", "Organisation")._base_manager
    reports = apps.get_model("reports", "UsageReport")._base_manager
    penalties = apps.get_model("reports", "ReportPenalty")._base_manager
    if msp.currency != currency:
        organisations.filter(pk=msp.pk).update(currency=currency)
    reports.filter(organisation=msp).exclude(currency=currency).update(currency=currency)
    wrong = penalties.filter(organisation=msp).exclude(currency=currency)
    if wrong.exists():
        # Penalties are append-only (a trigger refuses UPDATE); this one correction of their
        # label, in this migration's transaction, is the only write they ever get.
        with schema_editor.connection.cursor() as cursor:
            # ALTER TABLE refuses to run while deferred foreign-key checks on the table are
            # pending in the transaction: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE reports_reportpenalty DISABLE TRIGGER reports_reportpenalty_append_only"
            )
            wrong.update(currency=currency)
            cursor.execute(
                "ALTER TABLE reports_reportpenalty ENABLE TRIGGER reports_reportpenalty_append_only"
            )


def one_currency_per_msp(apps, schema_editor):
    organisations = apps.get_model("tenancy", "Organisation")._base_manager
    plans, problems = [], []
    for msp in organisations.filter(kind="msp").order_by("pk"):
        found = _evidence(apps, msp)
        if len(found) == 1:
            plans.append((msp, next(iter(found))))
        elif len(found) > 1:
            detail = "; ".join(
                f"in {currency}: {', '.join(rows[:SHOWN_PER_CURRENCY])}"
                + (f" and {len(rows) - SHOWN_PER_CURRENCY} more" if len(rows) > SHOWN_PER_CURRENCY else "")
                for currency, rows in sorted(found.items())
            )
            problems.append(f"- {msp.name} ({msp.slug}, billed in {msp.currency}): {detail}")
    if problems:
        raise RuntimeError(
            "One currency per MSP (docs/currency.md): these MSPs hold money in more than one "
            "currency, which no relabel can make right and the portal cannot convert. Nothing was "
            "changed. Correct their rows by hand (convert at a recorded rate, or remove what was "
            "made in error), then migrate again.\n" + "\n".join(problems)
        )
    for msp, currency in plans:
        _relabel(apps, schema_editor, msp, currency)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("licensing", "0004_true_up_charges"),
        ("reports", "0004_penalties_are_append_only"),
    ]

    operations = [migrations.RunPython(one_currency_per_msp, migrations.RunPython.noop)]
