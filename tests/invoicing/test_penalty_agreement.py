"""One penalty rule everywhere (docs/reports.md, "Penalties"): what the report page previews is
what auto-submission charges and what the invoice bills as the penalty surcharge, for an
under-declared line and for an over-declared one with the account's switch off and on."""

from decimal import Decimal

import pytest

from invoicing.choices import LineKind
from invoicing.models import Invoice
from msp_portal.jobs.services import JobRunLog
from reports import selectors
from reports.auto_submit import auto_submit_due
from reports.choices import PenaltyKind
from reports.models import MspAccountSettings, ReportPenalty

from .invoice_world import approve, lines_of, opened_report

# MS-365-BP declares 36 of 40 at 22.00 (under), EDR-1 60 of 55 at 3.50 (over), AZ-BACKUP matches.
ROWS = [
    ("MS-365-BP", "Microsoft 365 Business Premium", "seat", "22.00", 40, 36),
    ("AZ-BACKUP", "Azure Backup storage", "GB", "0.0500", 1200, None),
    ("EDR-1", "Endpoint protection", "device", "3.50", 55, 60),
]


@pytest.mark.parametrize(
    "surcharge_over_declared, expected",
    [
        # Under: 10 % of 4 × 22.00 = 8.80. Over, switch off: its reset lowers the bill, no surcharge.
        (False, {"MS-365-BP": Decimal("8.80"), "EDR-1": Decimal("0.00")}),
        # Over, switch on: 10 % of 5 × 3.50 = 1.75.
        (True, {"MS-365-BP": Decimal("8.80"), "EDR-1": Decimal("1.75")}),
    ],
)
def test_preview_charge_and_invoice_agree_on_each_surcharge(world, surcharge_over_declared, expected):
    MspAccountSettings.objects.for_tenant(world.a.msp).update_or_create(
        organisation=world.a.msp,
        defaults={
            "penalty_kind": PenaltyKind.PERCENT,
            "penalty_percent": Decimal("10"),
            "surcharge_over_declared": surcharge_over_declared,
        },
    )
    report = opened_report(world.a, rows=ROWS)  # nothing explained

    lines = selectors.report_lines(report=report)
    preview = selectors.penalty_preview(
        report=report, lines=lines, policy=selectors.penalty_policy(msp=world.a.msp)
    )
    code_of = {line.pk: line.product_code for line in lines}
    previewed = {code_of[pk]: penalty.surcharge for pk, penalty in preview.lines.items()}
    assert previewed == expected

    auto_submit_due(log=JobRunLog(), now=report.deadline)
    charged = {
        penalty.line.product_code: penalty.surcharge
        for penalty in ReportPenalty.objects.for_tenant(world.a.msp).select_related("line")
    }
    assert charged == expected
    # Both lines were reset to the provided units, whatever the surcharge.
    assert preview.total == sum(
        p.total for p in ReportPenalty.objects.for_tenant(world.a.msp).filter(report=report)
    )

    approve(world.a, report)
    invoice = Invoice.objects.for_tenant(world.a.msp).get(report=report)
    invoiced = {line.product_code: line.amount for line in lines_of(invoice) if line.kind == LineKind.PENALTY}
    # The invoice bills each surcharge above 0 once; a surcharge of 0 is no invoice line.
    assert invoiced == {code: amount for code, amount in expected.items() if amount > 0}
