"""The row rules of a daily-rated usage file (billing/rules.py, docs/billing.md "Row rules"):
the Python functions against an independent exact computation, and the SQL expressions the
importer runs against the Python functions, on the same generated values."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from billing import rules

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# 0.9999999999 × 1.0000100001 × 0.9999900001 = 0.999…9 (30 nines): exactly, it cuts to 0.99;
# in Decimal's default 28-digit context it would round to 1.00 first. Kept as an example.
PRODUCT_OF_30_NINES = {
    "price": Decimal("0.9999999999"),
    "quantity": Decimal("1.0000100001"),
    "rate": Decimal("0.9999900001"),
}


def decimals(max_abs: int = 10**9) -> st.SearchStrategy[Decimal]:
    """Decimals of 0 to 10 places below ``max_abs``, positive, negative and zero, built from an
    exact integer and a scale (never through a float). The default keeps the product of three
    (< 10^27) inside the typed column, numeric(38, 10)."""
    return st.integers(0, 10).flatmap(
        lambda places: st.builds(
            lambda unscaled: Decimal(f"{unscaled}E-{places}"),
            st.integers(-(max_abs * 10**places - 1), max_abs * 10**places - 1),
        )
    )


def exact_product(price: Decimal, quantity: Decimal, rate: Decimal) -> Fraction:
    return Fraction(price) * Fraction(quantity) * Fraction(rate)


def cut_to_cents(value: Fraction) -> Fraction:
    """Toward zero to the cent, in exact fractions: int() of a Fraction truncates toward zero."""
    return Fraction(int(value * 100), 100)


@PROPERTY
@given(price=decimals(), quantity=decimals(), rate=decimals())
@example(**PRODUCT_OF_30_NINES)
def test_the_expected_pre_tax_total_is_the_exact_product_cut_toward_zero_to_the_cent(price, quantity, rate):
    result = rules.expected_pre_tax_total(price, quantity, rate)
    exact = exact_product(price, quantity, rate)

    assert Fraction(result) == cut_to_cents(exact)
    assert result.as_tuple().exponent == -2
    assert abs(Fraction(result)) <= abs(exact)


# Products below 10^24: the 28-digit context rounds but does not overflow, and its rounding is
# the same for both signs.
@PROPERTY
@given(price=decimals(max_abs=10**8), quantity=decimals(max_abs=10**8), rate=decimals(max_abs=10**8))
def test_a_credit_is_exactly_the_negation_of_its_charge(price, quantity, rate):
    charge = rules.expected_pre_tax_total(price, quantity, rate)
    credit = rules.expected_pre_tax_total(price, -quantity, rate)

    assert credit == -charge


@pytest.mark.parametrize(
    ("tier2_mpn_id", "kind"),
    [
        ("", "direct"),
        (None, "direct"),
        ("0", "direct"),
        (" 0 ", "direct"),
        ("-1", "removed"),
        (" -1 ", "removed"),
        ("7654321", "reseller"),
        ("00", "reseller"),
        ("-2", "reseller"),
    ],
)
def test_the_reseller_kind_of_a_tier2_mpn_id(tier2_mpn_id, kind):
    assert rules.reseller_kind(tier2_mpn_id) == kind


# A Tier2MpnId as a CSV cell can hold: digits, signs, letters, spaces around it (COPY keeps
# them). PostgreSQL text cannot hold NUL.
MPN_IDS = st.one_of(
    st.sampled_from(["", "0", " 0 ", "-1", " -1", "-1 ", "00", "-0", "+0", "1"]),
    st.text(alphabet="0123456789-+ ab", max_size=9),
    st.integers(-1, 10**9).map(str),
)
EARNED_CREDITS = st.one_of(
    st.none(),
    st.sampled_from([Decimal(0), Decimal(15), Decimal("15.0000000000"), Decimal("-0"), Decimal("0.15")]),
    decimals(max_abs=100),
)
CENT = Decimal("0.01")


@st.composite
def usage_rows(draw) -> dict:
    price, quantity, rate = draw(decimals()), draw(decimals()), draw(decimals())
    right = Decimal(cut_to_cents(exact_product(price, quantity, rate)).numerator) / 100
    # The stated total: right, a cent off either way, or anything.
    stated = draw(st.sampled_from([right, right + CENT, right - CENT]) | decimals())
    return {
        "effective_unit_price": price,
        "quantity": quantity,
        "pc_to_bc_exchange_rate": rate,
        "billing_pre_tax_total": stated,
        "tier2_mpn_id": draw(MPN_IDS),
        "partner_earned_credit_percentage": draw(EARNED_CREDITS),
    }


def row_of(*, tier2_mpn_id: str = "0", **amounts: Decimal) -> dict:
    return {
        "effective_unit_price": amounts["price"],
        "quantity": amounts["quantity"],
        "pc_to_bc_exchange_rate": amounts["rate"],
        "billing_pre_tax_total": Decimal("0.99"),
        "tier2_mpn_id": tier2_mpn_id,
        "partner_earned_credit_percentage": None,
    }


def evaluated_in_postgresql(row: dict) -> dict:
    """The importer's SQL expressions over one row of the same typed columns."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT {rules.SQL_EXPECTED_PRE_TAX_TOTAL}, {rules.SQL_PRE_TAX_TOTAL_MISMATCH},
                       {rules.SQL_RESELLER_KIND}, {rules.SQL_EARNED_CREDIT_ALLOWED}
                  FROM (VALUES (%s::numeric(38, 10), %s::numeric(38, 10), %s::numeric(38, 10),
                                %s::numeric(38, 10), %s::text, %s::numeric(38, 10)))
                       AS t(effective_unit_price, quantity, pc_to_bc_exchange_rate,
                            billing_pre_tax_total, tier2_mpn_id, partner_earned_credit_percentage)""",
            [
                row["effective_unit_price"],
                row["quantity"],
                row["pc_to_bc_exchange_rate"],
                row["billing_pre_tax_total"],
                row["tier2_mpn_id"],
                row["partner_earned_credit_percentage"],
            ],
        )
        expected, mismatch, reseller, credit_allowed = cursor.fetchone()
    return {
        "expected": expected,
        "mismatch": mismatch,
        "reseller": reseller,
        "credit_allowed": credit_allowed,
    }


def evaluated_in_python(row: dict) -> dict:
    price, quantity, rate = row["effective_unit_price"], row["quantity"], row["pc_to_bc_exchange_rate"]
    return {
        "expected": rules.expected_pre_tax_total(price, quantity, rate),
        "mismatch": rules.pre_tax_total_mismatch(row["billing_pre_tax_total"], price, quantity, rate),
        "reseller": rules.reseller_kind(row["tier2_mpn_id"]),
        "credit_allowed": rules.earned_credit_allowed(row["partner_earned_credit_percentage"]),
    }


@PROPERTY
@given(row=usage_rows())
@example(row=row_of(**PRODUCT_OF_30_NINES))
def test_the_importers_sql_cuts_the_exact_product_to_the_cent(db, row):
    in_sql = evaluated_in_postgresql(row)
    exact = exact_product(row["effective_unit_price"], row["quantity"], row["pc_to_bc_exchange_rate"])

    assert Fraction(in_sql["expected"]) == cut_to_cents(exact)
    assert in_sql["expected"].as_tuple().exponent == -2
    assert in_sql["mismatch"] == (Fraction(row["billing_pre_tax_total"]) != cut_to_cents(exact))


@PROPERTY
@given(row=usage_rows())
def test_the_importers_sql_reads_the_reseller_and_the_earned_credit_as_the_python_rules(db, row):
    in_sql = evaluated_in_postgresql(row)

    assert in_sql["reseller"] == rules.reseller_kind(row["tier2_mpn_id"])
    assert in_sql["credit_allowed"] == rules.earned_credit_allowed(row["partner_earned_credit_percentage"])


@PROPERTY
@given(row=usage_rows())
@example(row=row_of(**PRODUCT_OF_30_NINES))
def test_the_importers_sql_agrees_with_the_python_rules(db, row):
    assert evaluated_in_postgresql(row) == evaluated_in_python(row)


def test_a_tab_around_the_tier2_mpn_id_reads_the_same_in_sql_and_python(db):
    row = row_of(tier2_mpn_id="0\t", **PRODUCT_OF_30_NINES)

    assert evaluated_in_postgresql(row)["reseller"] == rules.reseller_kind("0\t") == "direct"
