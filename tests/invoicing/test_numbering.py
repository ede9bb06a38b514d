"""Gapless numbering per distributor and document kind (docs/invoicing.md, "Numbering"),
including approvals at the same moment from separate processes."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import transaction

from invoicing.choices import DocumentKind
from invoicing.models import Invoice
from invoicing.numbering import numbers_take
from msp_portal.tenancy.models import Organisation

from ..factories import MembershipFactory, MspFactory, UserFactory
from ..processes import backends_waiting_for_a_lock, own_connection, process_env
from .approve_in_process import START_GATE
from .invoice_world import approve, approved_invoice, submitted_report

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


def test_each_distributor_numbers_its_own_invoices_from_one(world):
    first = approved_invoice(world.a)
    other = approved_invoice(world.b)
    second = approved_invoice(world.a, cycle=first.cycle.replace(month=11))
    assert [first.number, second.number, other.number] == ["INV-000001", "INV-000002", "INV-000001"]


def test_invoices_and_credit_notes_have_separate_sequences(world):
    distributor = world.a.distributor.pk
    assert numbers_take(distributor_id=distributor, kind=DocumentKind.INVOICE, count=2) == [
        (1, "INV-000001"),
        (2, "INV-000002"),
    ]
    assert numbers_take(distributor_id=distributor, kind=DocumentKind.CREDIT_NOTE, count=1) == [
        (1, "CN-000001")
    ]
    assert numbers_take(distributor_id=distributor, kind=DocumentKind.INVOICE, count=1) == [(3, "INV-000003")]


def test_a_rolled_back_approval_gives_its_number_back(world):
    report = submitted_report(world.a)
    with transaction.atomic():
        approve(world.a, report)
        assert Invoice.objects.for_tenant(world.a.msp).get().number == "INV-000001"
        transaction.set_rollback(True)
    assert not Invoice.objects.for_tenant(world.a.msp).exists()
    approve(world.a, report)
    assert Invoice.objects.for_tenant(world.a.msp).get().number == "INV-000001"


APPROVALS = 5
ROOT = Path(__file__).resolve().parent.parent.parent


def _msps_with_submitted_reports(side, count: int) -> list:
    """``count`` MSPs of side's distributor, each with a report under review (an admin each)."""
    reports = []
    for n in range(count):
        msp = MspFactory(name=f"MSP A{n}", slug=f"msp-a{n}", distributor=side.distributor)
        user = UserFactory(email=f"admin{n}@a.example")
        MembershipFactory(organisation=msp, user=user, role="msp_admin")
        view = type("Side", (), {})()
        view.msp, view.distributor, view.users = msp, side.distributor, {**side.users, "msp_admin": user}
        view.org_of = lambda role, msp=msp: side.distributor if role.startswith("dist_") else msp
        reports.append(submitted_report(view))
    return reports


@pytest.mark.django_db(transaction=True)
def test_approvals_at_the_same_moment_from_separate_processes_share_no_number_and_leave_no_gap(world):
    """Five MSPs of one distributor, each with a report under review, approved at the same moment
    by five processes (each waits at a start gate the test opens once all five wait); one of them
    fails after taking its number and rolls back. The four invoices are numbered 1 to 4."""
    side = world.a
    reports = _msps_with_submitted_reports(side, APPROVALS)
    reviewer = side.users["dist_reviewer"]
    gate = own_connection()
    children = []
    try:
        with gate.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [START_GATE])
        for index, report in enumerate(reports):
            args = [str(report.pk), str(reviewer.pk), side.distributor.slug] + (
                ["fail"] if index == 2 else []
            )
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.invoicing.approve_in_process", *args],
                    cwd=ROOT,
                    env=process_env(),
                    stderr=subprocess.PIPE,
                )
            )
        deadline = time.monotonic() + 120
        while backends_waiting_for_a_lock("%pg_advisory_xact_lock_shared%") < APPROVALS:
            assert time.monotonic() < deadline, "the approving processes never reached the start gate"
            assert all(child.poll() is None for child in children), "an approving process ended early"
            time.sleep(0.05)
        with gate.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [START_GATE])
        codes = [child.wait(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        gate.close()
    errors = [child.stderr.read().decode()[-2000:] for child in children if child.returncode not in (0, 3)]
    assert sorted(codes) == [0] * (APPROVALS - 1) + [3], errors
    distributor = Organisation.objects.get(pk=side.distributor.pk)
    numbers = sorted(Invoice.objects.for_served_msps_of(distributor).values_list("sequence", flat=True))
    assert numbers == list(range(1, APPROVALS))  # four invoices, 1…4: no gap, no twin
    approved = [report.pk for report in reports]
    assert (
        Invoice.objects.for_served_msps_of(distributor).filter(report_id__in=approved).count()
        == APPROVALS - 1
    )
