"""Reconciling one billing period (docs/billing.md, "Reconciliation"): the invoice's lines
against the daily-rated usage, per customer, product, SKU and subscription.

PostgreSQL sums both sides per key in one statement (the rows never come to Python); each key's
two sums are then judged here, where the rules read plainly:

- amounts: invoice ``Subtotal`` against the sum of daily ``BillingPreTaxTotal``; the variance %
  is the difference over the *daily-rated total* (the side the invoice should match), flagged
  above the MSP's tolerance (5 % unless set);
- quantities: flagged when the two sums differ by more than a hundredth;
- one side only: an invoice line of a fixed-fee license product (the catalog says so) is
  expected, as are daily rows of reservations and savings plans at zero charge; anything else is
  flagged, and a pair of one-sided keys that share product, SKU and subscription under two
  customer ids is one customer-id mismatch;
- each flag carries its likely causes, ranked by how much of the difference each explains,
  with the evidence; a flag seen in an earlier period for the same key is marked recurring.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from licensing.choices import BillingType
from licensing.models import Product
from msp_portal.errors import Invalid, NotAllowed
from msp_portal.money import CENT, round_money
from msp_portal.numbers import plain_decimal
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import Organisation

from .models import FlagKind, ReconciliationFlag, ReconciliationRun, ReconciliationSettings

HUNDRED = Decimal(100)

_SUMS = """
WITH invoice AS (
    SELECT customer_id, product_id, sku_id, entitlement_id AS subscription,
           max(customer_name) AS customer_name, max(tier2_mpn_id) AS reseller,
           sum(subtotal) AS subtotal, sum(quantity) AS quantity, sum(coalesce(tax_total, 0)) AS tax
    FROM billing_invoiceline
    WHERE organisation_id = %(org)s AND period = %(period)s
    GROUP BY 1, 2, 3, 4
), keyed AS (
    SELECT EXISTS (SELECT 1 FROM invoice WHERE subscription <> '') AS by_subscription
), usage AS (
    SELECT customer_id, product_id, sku_id,
           CASE WHEN (SELECT by_subscription FROM keyed) THEN entitlement_id ELSE '' END AS subscription,
           max(customer_name) AS customer_name, max(tier2_mpn_id) AS reseller,
           sum(billing_pre_tax_total) AS total, sum(quantity) AS quantity, count(*) AS row_count,
           coalesce(sum(billing_pre_tax_total) FILTER (WHERE usage_date < %(period)s), 0) AS latent_total,
           count(*) FILTER (WHERE usage_date < %(period)s) AS latent_rows,
           count(*) FILTER (WHERE partner_earned_credit_percentage = 15) AS earned_credit_rows,
           bool_and(billing_pre_tax_total = 0) AS zero_charge,
           bool_or(meter_category ILIKE '%%reserv%%' OR charge_type ILIKE '%%reserv%%'
                   OR meter_category ILIKE '%%savings plan%%' OR charge_type ILIKE '%%savings plan%%')
               AS reservation
    FROM billing_daily_usage
    WHERE organisation_id = %(org)s AND period = %(period)s
    GROUP BY 1, 2, 3, 4
)
SELECT coalesce(i.customer_id, u.customer_id), coalesce(i.product_id, u.product_id),
       coalesce(i.sku_id, u.sku_id), coalesce(i.subscription, u.subscription),
       coalesce(i.customer_name, u.customer_name, ''), coalesce(i.reseller, u.reseller, ''),
       i.subtotal, i.quantity, i.tax, i.customer_id IS NOT NULL,
       u.total, u.quantity, u.row_count, u.latent_total, u.latent_rows, u.earned_credit_rows,
       u.zero_charge, u.reservation, u.customer_id IS NOT NULL
FROM invoice i FULL OUTER JOIN usage u USING (customer_id, product_id, sku_id, subscription)
ORDER BY 1, 2, 3, 4
"""


@dataclass
class KeySums:
    customer_id: str
    product_id: str
    sku_id: str
    subscription: str
    customer_name: str
    reseller: str
    invoice_subtotal: Decimal | None
    invoice_quantity: Decimal | None
    tax: Decimal | None
    on_invoice: bool
    usage_total: Decimal | None
    usage_quantity: Decimal | None
    row_count: int | None
    latent_total: Decimal | None
    latent_rows: int | None
    earned_credit_rows: int | None
    zero_charge: bool | None
    reservation: bool | None
    in_usage: bool


def _closeness(explained: Decimal, difference: Decimal) -> Decimal:
    """1 when ``explained`` accounts for the whole difference, falling to 0 as it misses."""
    if difference == 0:
        return Decimal(0)
    return max(Decimal(0), 1 - abs(abs(explained) - abs(difference)) / abs(difference)).quantize(CENT)


def _money(amount: Decimal) -> str:
    """An amount as evidence shows it: to the cent, the sum of 10-decimal rows rounded half-up."""
    return str(round_money(amount))


def _cause(cause: str, score: Decimal, evidence: str) -> dict:
    return {"cause": cause, "score": str(score), "evidence": evidence}


def variance_causes(s: KeySums, difference: Decimal) -> list[dict]:
    """The usual reasons an invoice and the daily rows differ, most likely first."""
    rows = s.row_count or 0
    rounding_room = CENT * rows
    causes = [
        _cause(
            "decimal_rounding",
            Decimal(1) if abs(difference) <= rounding_room else _closeness(rounding_room, difference),
            _("%(rows)s daily rows, each cut to the cent: up to %(room)s apart.")
            % {"rows": rows, "room": rounding_room},
        ),
        _cause(
            "date_range",
            _closeness(s.latent_total or 0, difference) if s.latent_rows else Decimal(0),
            _("%(rows)s rows of usage dated before this period (latent usage), totalling %(total)s.")
            % {"rows": s.latent_rows or 0, "total": _money(s.latent_total or Decimal(0))},
        ),
    ]
    if difference < 0:  # the invoice asks less than the daily rows add up to
        score = Decimal("0.60") + (Decimal("0.20") if s.earned_credit_rows else 0)
        causes.append(
            _cause(
                "discount_or_credit",
                score,
                _("The invoice is %(amount)s lower; %(rows)s rows carry a 15 %% partner earned credit.")
                % {"amount": _money(abs(difference)), "rows": s.earned_credit_rows or 0},
            )
        )
    else:
        tax = s.tax or Decimal(0)
        score = _closeness(tax, difference) if tax else Decimal("0.50")
        causes.append(
            _cause(
                "tax_or_fee",
                score,
                _("The invoice is %(amount)s higher; its lines carry %(tax)s of tax.")
                % {"amount": difference, "tax": tax},
            )
        )
    # A cause that explains nothing (no latent rows, say) is not shown.
    return sorted(
        (c for c in causes if Decimal(c["score"]) > 0), key=lambda c: Decimal(c["score"]), reverse=True
    )


def judge(s: KeySums, tolerance: Decimal, fixed_fee: bool) -> list[tuple[str, dict]]:
    """The flags of one key: (kind, the flag's figures and causes)."""
    if s.on_invoice and not s.in_usage:
        if fixed_fee:
            return [(FlagKind.EXPECTED_INVOICE_ONLY, {})]
        return [
            (
                FlagKind.INVOICE_ONLY,
                {
                    "causes": [
                        _cause(
                            "invoice_only_product",
                            Decimal("0.70"),
                            _("No daily-rated row for this product and SKU: a fixed-fee product?"),
                        ),
                        _cause(
                            "date_range", Decimal("0.30"), _("Its usage may fall in another period's file.")
                        ),
                    ]
                },
            )
        ]
    if s.in_usage and not s.on_invoice:
        if s.zero_charge and s.reservation:
            return [(FlagKind.EXPECTED_ZERO_CHARGE, {})]
        return [
            (
                FlagKind.USAGE_ONLY,
                {
                    "causes": [
                        _cause(
                            "date_range",
                            Decimal("0.60"),
                            _("Usage not invoiced yet: it may be billed with the next cycle."),
                        ),
                        _cause("invoice_only_product", Decimal("0.10"), _("Not on this invoice at all.")),
                    ]
                },
            )
        ]
    flags = []
    difference = s.invoice_subtotal - s.usage_total
    variance = None if s.usage_total == 0 else (abs(difference) / abs(s.usage_total) * HUNDRED)
    figures = {
        "difference": difference,
        "variance_percent": variance.quantize(Decimal("0.0001")) if variance is not None else None,
    }
    if (variance is None and difference != 0) or (variance is not None and variance > tolerance):
        flags.append((FlagKind.VARIANCE, {**figures, "causes": variance_causes(s, difference)}))
    if abs((s.invoice_quantity or 0) - (s.usage_quantity or 0)) > CENT:
        flags.append((FlagKind.QUANTITY, figures))
    return flags


def _customer_sums(sums: list[KeySums]) -> list[dict]:
    """Both sides per customer, from the keys' sums (no second pass over the rows)."""
    by_customer: dict[str, dict] = {}
    for s in sums:
        row = by_customer.setdefault(
            s.customer_id,
            {
                "customer_id": s.customer_id,
                "customer_name": s.customer_name,
                "invoice": Decimal(0),
                "usage": Decimal(0),
            },
        )
        row["invoice"] += s.invoice_subtotal or 0
        row["usage"] += s.usage_total or 0
        row["customer_name"] = row["customer_name"] or s.customer_name
    ordered = sorted(by_customer.values(), key=lambda row: (row["customer_name"], row["customer_id"]))
    return [{**row, "invoice": str(row["invoice"]), "usage": str(row["usage"])} for row in ordered]


def _fixed_fee_keys(msp: Organisation) -> set[tuple[str, str]]:
    """(product id, SKU id) of the license-based products in the MSP's distributor's catalog."""
    if msp.distributor is None:
        return set()
    return set(
        Product.objects.for_tenant(msp.distributor)
        .filter(billing_type=BillingType.LICENSE)
        .values_list("product_code", "sku_code")
    )


def _customer_mismatches(sums: list[KeySums]) -> dict[int, KeySums]:
    """One-sided keys that pair up under two customer ids (same product, SKU, subscription):
    index of the invoice side → its usage side."""
    usage_only = {
        (s.product_id, s.sku_id, s.subscription): s
        for s in sums
        if s.in_usage and not s.on_invoice and s.subscription
    }
    pairs = {}
    for index, s in enumerate(sums):
        partner = usage_only.get((s.product_id, s.sku_id, s.subscription))
        if s.on_invoice and not s.in_usage and partner is not None and partner.customer_id != s.customer_id:
            pairs[index] = partner
    return pairs


@transaction.atomic
def reconciliation_run(*, msp: Organisation, period) -> ReconciliationRun:
    """Compare the period's invoice lines with its daily-rated rows and record the flags."""
    settings_row = ReconciliationSettings.objects.for_tenant(msp).first()
    tolerance = (
        settings_row.tolerance_percent if settings_row else Decimal(ReconciliationSettings.DEFAULT_TOLERANCE)
    )
    with connection.cursor() as cursor:
        cursor.execute(_SUMS, {"org": msp.pk, "period": period})
        sums = [KeySums(*row) for row in cursor.fetchall()]
    run = ReconciliationRun.objects.create(
        organisation=msp,
        period=period,
        tolerance_percent=tolerance,
        invoice_total=sum((s.invoice_subtotal or 0 for s in sums), Decimal(0)),
        usage_total=sum((s.usage_total or 0 for s in sums), Decimal(0)),
        customer_totals=_customer_sums(sums),
    )
    flags = _flags(run, sums, tolerance)
    ReconciliationFlag.objects.bulk_create(flags, batch_size=1000)
    run.flag_count = sum(1 for f in flags if not f.kind.startswith("expected"))
    run.save(update_fields=["flag_count"])
    return run


def _flags(run: ReconciliationRun, sums: list[KeySums], tolerance: Decimal) -> list[ReconciliationFlag]:
    """Each key judged, the pairs of one-sided keys under two customer ids made one flag."""
    msp, period = run.organisation, run.period
    fixed_fee = _fixed_fee_keys(msp)
    mismatched = _customer_mismatches(sums)
    paired_usage = {id(s) for s in mismatched.values()}
    earlier = _earlier_flag_keys(msp, period)
    flags = []
    for index, s in enumerate(sums):
        if id(s) in paired_usage:
            continue
        if index in mismatched:
            other = mismatched[index]
            judged = [
                (
                    FlagKind.CUSTOMER,
                    {
                        "causes": [
                            _cause(
                                "customer_id",
                                Decimal(1),
                                _("The daily rows name customer %(usage)s, the invoice %(invoice)s.")
                                % {"usage": other.customer_id, "invoice": s.customer_id},
                            )
                        ]
                    },
                )
            ]
        else:
            judged = judge(s, tolerance, (s.product_id, s.sku_id) in fixed_fee)
        for kind, extra in judged:
            key = (s.customer_id, s.product_id, s.sku_id, s.subscription, kind)
            flags.append(
                ReconciliationFlag(
                    organisation=msp,
                    run=run,
                    period=period,
                    kind=kind,
                    customer_id=s.customer_id,
                    customer_name=s.customer_name,
                    product_id=s.product_id,
                    sku_id=s.sku_id,
                    entitlement_id=s.subscription,
                    reseller_mpn_id=s.reseller,
                    invoice_subtotal=s.invoice_subtotal,
                    usage_total=s.usage_total,
                    difference=extra.get("difference"),
                    variance_percent=extra.get("variance_percent"),
                    invoice_quantity=s.invoice_quantity,
                    usage_quantity=s.usage_quantity,
                    causes=extra.get("causes", []),
                    recurring=key in earlier,
                )
            )
    return flags


def _earlier_flag_keys(msp: Organisation, period) -> set[tuple]:
    """The keys flagged in the latest run of each earlier period."""
    latest_runs = {}
    for run in (
        ReconciliationRun.objects.for_tenant(msp)
        .filter(period__lt=period)
        .order_by("period", "created_at", "pk")
    ):
        latest_runs[run.period] = run.pk
    return set(
        ReconciliationFlag.objects.for_tenant(msp)
        .filter(run_id__in=latest_runs.values())
        .values_list("customer_id", "product_id", "sku_id", "entitlement_id", "kind")
    )


# --- the MSP's tolerance ----------------------------------------------------------------------


def reconciliation_tolerance_set(*, tenant, tolerance: str) -> ReconciliationSettings:
    """The variance above which a difference is flagged, in percent (0 to 100, two decimals)."""
    if not tenant.can(Perm.MANAGE_BILLING):
        raise NotAllowed()
    value = plain_decimal(tolerance, max_places=2, max_digits=5)
    if value is None or value > HUNDRED:
        raise Invalid(
            _("The tolerance is a percentage from 0 to 100, with at most two decimals (e.g. 5 or 2.5)."),
            field_errors={"tolerance_percent": [_("Enter a percentage from 0 to 100.")]},
        )
    row, _created = ReconciliationSettings.objects.for_tenant(tenant.organisation).update_or_create(
        organisation=tenant.organisation, defaults={"tolerance_percent": value}
    )
    return row


def reconciliation_tolerance(*, msp: Organisation) -> Decimal:
    row = ReconciliationSettings.objects.for_tenant(msp).first()
    return row.tolerance_percent if row else Decimal(ReconciliationSettings.DEFAULT_TOLERANCE)


# --- reading the results ----------------------------------------------------------------------


@dataclass
class CustomerTotals:
    customer_id: str
    customer_name: str
    invoice_subtotal: Decimal
    usage_total: Decimal
    flags: int

    @property
    def difference(self) -> Decimal:
        return self.invoice_subtotal - self.usage_total


def reconciled_periods(*, msp: Organisation) -> list:
    """The periods with an imported file, newest first."""
    from .models import ImportState, ReconciliationImport

    return list(
        ReconciliationImport.objects.for_tenant(msp)
        .filter(state=ImportState.DONE)
        .order_by("-period")
        .values_list("period", flat=True)
        .distinct()
    )


def latest_run(*, msp: Organisation, period) -> ReconciliationRun | None:
    return (
        ReconciliationRun.objects.for_tenant(msp).filter(period=period).order_by("-created_at", "-pk").first()
    )


def run_flags(*, run: ReconciliationRun, kind: str = "", customer: str = "", recurring: bool = False):
    flags = ReconciliationFlag.objects.for_tenant(run.organisation).filter(run=run)
    if kind:
        flags = flags.filter(kind=kind)
    if customer:
        flags = flags.filter(customer_id=customer)
    if recurring:
        flags = flags.filter(recurring=True)
    return flags


def customer_totals(*, run: ReconciliationRun) -> list[CustomerTotals]:
    """Each customer's two sides over the whole period (flagged or not), summed when the run was
    made: they add up to the run's totals, for MSPs that re-bill their customers."""
    counts = dict(
        run_flags(run=run)
        .exclude(kind__startswith="expected")
        .values_list("customer_id")
        .annotate(flags=Count("pk"))
        .order_by()
    )
    return [
        CustomerTotals(
            row["customer_id"], row["customer_name"], Decimal(row["invoice"]), Decimal(row["usage"]),
            counts.get(row["customer_id"], 0),
        )
        for row in run.customer_totals
    ]  # fmt: skip
