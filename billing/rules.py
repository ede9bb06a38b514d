"""The row rules of a daily-rated usage file (docs/billing.md, "Row rules"), in one place: each
rule as a Python function (what the tests and the demo use) and as the SQL expression the
importer evaluates over the whole file at once. tests/billing/test_rules.py checks that the two
agree on any values.

- The stated ``BillingPreTaxTotal`` should be EffectiveUnitPrice × Quantity × PCToBCExchangeRate
  cut to 2 decimal places toward zero (so a credit mirrors its charge). A row that differs is
  kept and flagged, not refused: the vendor's file is the record of what was billed.
- ``PartnerEarnedCreditPercentage`` is 0 or 15 (empty reads as 0); anything else refuses the file.
- ``Tier2MpnId`` names the reseller: 0 or empty = sold directly, −1 = the reseller was removed
  (the original value stays in the row), anything else = that reseller's id.
"""

from decimal import Decimal, localcontext

from msp_portal.money import truncate

EARNED_CREDIT_PERCENTAGES = (Decimal(0), Decimal(15))


def expected_pre_tax_total(
    effective_unit_price: Decimal, quantity: Decimal, exchange_rate: Decimal
) -> Decimal:
    """EffectiveUnitPrice × Quantity × PCToBCExchangeRate, exact, then truncated toward zero to
    the cent. Exact: three values of 38 digits (10 decimals) multiply to at most 114 digits,
    so the product is computed with room for all of them (Decimal's default context keeps 28
    significant digits and would round before the cut)."""
    with localcontext() as context:
        context.prec = 120
        return truncate(effective_unit_price * quantity * exchange_rate, 2)


def pre_tax_total_mismatch(
    stated: Decimal, effective_unit_price: Decimal, quantity: Decimal, exchange_rate: Decimal
) -> bool:
    return stated != expected_pre_tax_total(effective_unit_price, quantity, exchange_rate)


def earned_credit_allowed(percentage: Decimal | None) -> bool:
    return (percentage or Decimal(0)) in EARNED_CREDIT_PERCENTAGES


class ResellerKind:
    DIRECT = "direct"
    REMOVED = "removed"
    RESELLER = "reseller"


WHITESPACE = " \t\r\n"  # trimmed around a reseller id, the same in SQL below


def reseller_kind(tier2_mpn_id: str | None) -> str:
    value = (tier2_mpn_id or "").strip(WHITESPACE)
    if value in ("", "0"):
        return ResellerKind.DIRECT
    if value == "-1":
        return ResellerKind.REMOVED
    return ResellerKind.RESELLER


# --- the same rules over a table, for the importer --------------------------------------------
# PostgreSQL's numeric is exact and trunc(x, 2) cuts toward zero, as ROUND_DOWN does.

SQL_EXPECTED_PRE_TAX_TOTAL = "trunc(effective_unit_price * quantity * pc_to_bc_exchange_rate, 2)"
SQL_PRE_TAX_TOTAL_MISMATCH = f"(billing_pre_tax_total <> {SQL_EXPECTED_PRE_TAX_TOTAL})"
SQL_EARNED_CREDIT_ALLOWED = "(coalesce(partner_earned_credit_percentage, 0) IN (0, 15))"
SQL_RESELLER_KIND = (
    "CASE WHEN coalesce(btrim(tier2_mpn_id, E' \\t\\r\\n'), '') IN ('', '0') THEN 'direct' "
    "WHEN btrim(tier2_mpn_id, E' \\t\\r\\n') = '-1' THEN 'removed' ELSE 'reseller' END"
)
