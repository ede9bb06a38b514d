"""Money is Decimal, rounded by a named rule at each documented step (never floats)."""

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from msp_portal.errors import Invalid

if TYPE_CHECKING:
    from msp_portal.tenancy.models import Organisation

CENT = Decimal("0.01")


def round_money(amount: Decimal) -> Decimal:
    """Commercial rounding to the cent (half up), as invoices and tax use."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def truncate(amount: Decimal, places: int) -> Decimal:
    """Cut toward zero to ``places`` decimals (the FLOOR of vendor row totals, so a credit mirrors its charge)."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


# --- one currency per MSP (docs/currency.md) ---------------------------------------------------
#
# An MSP is billed in one currency, its organisation's ``currency``: every report, purchase,
# true-up charge and penalty of the MSP is in it. A catalog product is priced in one currency
# and is sold only to MSPs billed in that currency; nothing is converted. These functions are
# the rule's one home: the services of each app call them where a price enters.


class CurrencyMismatch(Invalid):
    """A price in one currency would be billed to an MSP billed in another."""

    code = "currency_mismatch"


def sale_refusal(*, product, msp) -> str:
    """Why ``product`` (anything with ``name`` and ``currency``) cannot be sold to ``msp``, or
    "" when it can: it is sold only to an MSP billed in its currency."""
    if product.currency == msp.currency:
        return ""
    return _(
        "%(product)s is priced in %(product_currency)s and %(msp)s is billed in %(msp_currency)s: "
        "it cannot be sold to it. Ask the distributor for a product priced in %(msp_currency)s."
    ) % {
        "product": product.name,
        "product_currency": product.currency,
        "msp": msp.name,
        "msp_currency": msp.currency,
    }


def currency_check_sale(*, product, msp) -> None:
    """Raise CurrencyMismatch unless ``product`` may be billed to ``msp`` (see sale_refusal)."""
    if refusal := sale_refusal(product=product, msp=msp):
        raise CurrencyMismatch(refusal, field_errors={"currency": [refusal]})


# Apps register what they bill an organisation (a function returning labels such as
# "3 usage reports", empty when there is nothing), so the kernel can refuse to relabel billed
# money without naming the apps.
BilledRows = Callable[["Organisation"], list[str]]
_BILLED_ROWS: list[BilledRows] = []


def register_billed_rows(provider: BilledRows) -> BilledRows:
    if provider not in _BILLED_ROWS:
        _BILLED_ROWS.append(provider)
    return provider


def billing_currency_change_check(*, organisation: "Organisation", currency: str) -> None:
    """Refuse to change the billing currency of an organisation that was already billed: its
    amounts are in the old currency, and changing the label would not convert them."""
    if organisation.pk is None or currency == organisation.currency:
        return
    billed = [label for provider in _BILLED_ROWS for label in provider(organisation)]
    if billed:
        message = _(
            "%(organisation)s is billed in %(old)s and holds %(rows)s in %(old)s: its currency "
            "cannot change to %(new)s."
        ) % {
            "organisation": organisation.name,
            "old": organisation.currency,
            "new": currency,
            "rows": ", ".join(billed),
        }
        raise CurrencyMismatch(message, field_errors={"currency": [message]})
