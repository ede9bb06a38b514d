"""Each rule of reports/rules.py, and that every caller goes through it: the lines that need an
explanation (in Python and in SQL, which must agree), the penalty the report page previews and
the sweep charges (one call), when a report is approved without a person (one path, whether a
person or the sweep submitted it), and the line built from licensing figures."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.models import Product
from licensing.selectors import ProvidedUnits
from msp_portal.jobs.services import JobRunLog
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.resolve import resolve_tenant
from reports import notifications, selectors, services
from reports.auto_submit import auto_submit_due, plan_submission
from reports.choices import EventKind, PenaltyKind, ReportState
from reports.models import LineComment, MspAccountSettings, ReportEvent, UsageReport, UsageReportLine
from reports.rules import (
    LineSpec,
    line_needs_explanation,
    line_penalty,
    line_spec_from_licensing,
    penalty_policy_of,
    report_approves_automatically,
)

# --- the penalty: the page's preview is the sweep's charge ------------------------------------

units = st.integers(min_value=0, max_value=100_000)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999.9999"), places=4)
lines_strategy = st.lists(
    st.tuples(units, units, prices, st.booleans()), min_size=0, max_size=12
)  # provided, billable, unit price, has an MSP comment
accounts = st.builds(
    MspAccountSettings,
    penalty_kind=st.sampled_from([PenaltyKind.NONE, PenaltyKind.PERCENT]),
    penalty_percent=st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
    penalty_minimum=st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=2),
    auto_approve_clean=st.booleans(),
)


def in_memory_lines(rows) -> list[UsageReportLine]:
    lines = []
    for pk, (provided, billable, price, commented) in enumerate(rows, start=1):
        line = UsageReportLine(
            pk=pk, position=pk, provided_units=provided, billable_units=billable, unit_price=price
        )
        line.has_msp_comment = commented  # what selectors and the sweep annotate
        lines.append(line)
    return lines


@given(rows=lines_strategy, account=accounts)
def test_the_penalty_previewed_is_the_penalty_charged(rows, account):
    lines = in_memory_lines(rows)
    report = UsageReport()
    policy = penalty_policy_of(account)

    preview = selectors.penalty_preview(report=report, lines=lines, policy=policy)
    charge = plan_submission(report, lines, account)

    assert preview.lines == {line.pk: penalty for line, penalty in charge.penalties}
    assert preview.total == charge.penalty_total
    # and both are the rule: every line needing an explanation, priced by line_penalty
    expected = {
        line.pk: line_penalty(
            provided=line.provided_units,
            billable=line.billable_units,
            unit_price=line.unit_price,
            policy=policy,
        )
        for line in lines
        if line.billable_units != line.provided_units and not line.has_msp_comment
    }
    assert preview.lines == expected
    assert charge.approve == (account.auto_approve_clean and all(p == b for p, b, _, _ in rows))


# --- when a report is approved automatically --------------------------------------------------


@given(rows=lines_strategy, allowed=st.booleans())
def test_approval_without_a_person_needs_the_account_and_no_discrepancy(rows, allowed):
    lines = in_memory_lines(rows)
    account = MspAccountSettings(auto_approve_clean=allowed)
    decided = report_approves_automatically(account=account, lines=lines)
    assert decided == (allowed and all(line.billable_units == line.provided_units for line in lines))
    # The sweep passes only the discrepant lines: the answer is the same.
    discrepant = [line for line in lines if line.billable_units != line.provided_units]
    assert report_approves_automatically(account=account, lines=discrepant) == decided


# --- what makes a line need an explanation: Python and SQL agree -------------------------------


def test_the_lines_needing_an_explanation_are_the_same_in_python_and_in_sql(world, open_report):
    rows = [
        # code, name, unit, price, provided, used (billable starts at used, else provided)
        ("SAME-QUIET", "Same, no comment", "seat", "1.00", 5, 5),
        ("SAME-TALK", "Same, MSP comment", "seat", "1.00", 5, 5),
        ("LESS-QUIET", "Fewer, no comment", "seat", "1.00", 5, 3),
        ("LESS-TALK", "Fewer, MSP comment", "seat", "1.00", 5, 3),
        ("MORE-DIST", "More, distributor comment only", "seat", "1.00", 5, 8),
        ("MORE-TALK", "More, MSP and distributor comments", "seat", "1.00", 5, 8),
    ]
    report = open_report(world.a.msp, rows=rows)
    by_code = {line.product_code: line for line in UsageReportLine.objects.for_tenant(world.a.msp)}

    def say(code, side, author):
        LineComment.objects.create(
            organisation=world.a.msp,
            line=by_code[code],
            author=world.a.users[author],
            author_organisation=side,
            body="because",
        )

    say("SAME-TALK", world.a.msp, "msp_admin")
    say("LESS-TALK", world.a.msp, "msp_admin")
    say("MORE-DIST", world.a.distributor, "dist_reviewer")
    say("MORE-TALK", world.a.msp, "msp_admin")
    say("MORE-TALK", world.a.distributor, "dist_reviewer")
    # The other MSP's comment on its own report must not explain MSP A's lines.
    open_report(world.b.msp, rows=rows)

    in_python = {
        line.product_code for line in selectors.report_lines(report=report) if line_needs_explanation(line)
    }
    in_sql = {line.product_code for line in selectors.unexplained_lines(report=report)}
    assert in_python == in_sql == {"LESS-QUIET", "MORE-DIST"}


# --- auto-approval: one path, whoever submitted -----------------------------------------------


def test_a_person_submit_and_the_sweep_approve_clean_reports_the_same_way(world, open_report):
    MspAccountSettings.objects.for_tenant(world.a.msp).create(
        organisation=world.a.msp, auto_approve_clean=True
    )
    clean = [("EDR-1", "Endpoint", "device", "3.50", 5, 5)]
    by_hand = open_report(world.a.msp, cycle=dt.date(2026, 9, 1), rows=clean)
    by_sweep = open_report(world.a.msp, cycle=dt.date(2026, 10, 1), rows=clean)
    admin = world.a.users["msp_admin"]
    tenant = resolve_tenant(user=admin, org_slug=world.a.msp.slug)
    services.usage_report_submit(tenant=tenant, acting_user=admin, report_id=by_hand.pk)
    auto_submit_due(log=JobRunLog(), now=by_sweep.deadline, report_ids=[by_sweep.pk])

    def approval(report):
        report = UsageReport.objects.for_tenant(world.a.msp).get(pk=report.pk)
        event = ReportEvent.objects.for_tenant(world.a.msp).get(report=report, kind=EventKind.APPROVED)
        told = Notification.objects.for_tenant(world.a.msp).filter(
            kind=notifications.REPORT_AUTO_APPROVED, url__contains=f"/{report.pk}/"
        )
        return (
            report.state,
            report.reviewed_by,
            report.reviewed_at == report.submitted_at,
            (event.actor, event.from_state, event.to_state, event.details),
            sorted(n.recipient.email for n in told),
        )

    assert approval(by_hand) == approval(by_sweep)
    assert approval(by_hand)[0] == ReportState.APPROVED
    assert approval(by_hand)[4] == sorted(
        [world.a.users["msp_admin"].email, world.a.users["msp_billing"].email]
    )


# --- the report line built from licensing figures ----------------------------------------------


def product(code: str, name: str, price: str) -> Product:
    return Product(
        product_code=code,
        sku_code=f"{code}-P1M",
        name=name,
        unit_type="seat",
        unit_price=Decimal(price),
        currency="USD",
    )


def test_a_line_from_licensing_figures_copies_the_product_and_its_units():
    m365 = product("M365-BP", "Microsoft 365 Business Premium", "22.0000")
    assert line_spec_from_licensing(ProvidedUnits(product=m365, provided=40, used=None)) == LineSpec(
        product_code="M365-BP",
        sku_code="M365-BP-P1M",
        product_name="Microsoft 365 Business Premium",
        unit_type="seat",
        unit_price=Decimal("22.0000"),
        currency="USD",
        provided_units=40,
        used_units=None,
    )


@pytest.mark.parametrize("used", [None, 31])
def test_a_report_opened_from_licensing_figures_starts_billable_at_used_else_provided(world, used):
    spec = line_spec_from_licensing(ProvidedUnits(product=product("P", "P", "1"), provided=40, used=used))
    report, _ = services.usage_report_open(msp=world.a.msp, cycle=dt.date(2026, 10, 1), lines=[spec])
    line = UsageReportLine.objects.for_tenant(world.a.msp).get(report=report)
    assert (line.provided_units, line.used_units, line.billable_units) == (40, used, used if used else 40)
