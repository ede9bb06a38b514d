"""docs/reports.md states the over-declared rule and its worked example; the rule gives the same
figures, so the page a reader trusts cannot drift from the code."""

from decimal import Decimal
from pathlib import Path

from django.conf import settings

from reports.rules import Declaration, PenaltyPolicy, line_declaration, line_penalty

DOC = Path(settings.BASE_DIR) / "docs" / "reports.md"


def test_the_docs_name_the_rule_and_the_switch():
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "**under-declared** when its billable units are below its provided units" in text
    assert "**over-declared** when they are above" in text
    assert "**no surcharge is charged on it**" in text
    assert "`surcharge_over_declared`, off by default" in text


def test_the_docs_worked_example_is_what_the_rule_computes():
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "Worked example: 55 provided, 60 billable at 3.50, surcharge 10 % with no minimum." in text
    assert "the surcharge is 10 % × 17.50 = 1.75" in text
    assert line_declaration(provided=55, billable=60) == Declaration.OVER
    off = line_penalty(
        provided=55, billable=60, unit_price=Decimal("3.50"), policy=PenaltyPolicy(percent=Decimal("10"))
    )
    on = line_penalty(
        provided=55,
        billable=60,
        unit_price=Decimal("3.50"),
        policy=PenaltyPolicy(percent=Decimal("10"), surcharge_over_declared=True),
    )
    assert (off.reset_amount, off.surcharge, off.total) == (Decimal("0.00"),) * 3
    assert (on.surcharge, on.total) == (Decimal("1.75"), Decimal("1.75"))
