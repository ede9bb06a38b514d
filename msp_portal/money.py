"""Money is Decimal, rounded by a named rule at each documented step (never floats)."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_money(amount: Decimal) -> Decimal:
    """Commercial rounding to the cent (half up), as invoices and tax use."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def truncate(amount: Decimal, places: int) -> Decimal:
    """Cut toward zero to ``places`` decimals (FLOOR of SPEC §4.2, so a credit mirrors its charge)."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
