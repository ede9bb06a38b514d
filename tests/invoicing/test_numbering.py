"""Gapless numbering per distributor and document kind (docs/invoicing.md, "Numbering"),
including approvals at the same moment on separate database connections."""

import threading

import pytest
from django.db import connection, connections, transaction

from invoicing.choices import DocumentKind
from invoicing.models import Invoice
from invoicing.numbering import numbers_take
from msp_portal.tenancy.models import Organisation

from ..factories import MembershipFactory, MspFactory, UserFactory
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


APPROVALS = 8


@pytest.mark.django_db(transaction=True)
def test_approvals_at_the_same_moment_on_separate_connections_share_no_number_and_leave_no_gap(world):
    """Eight MSPs of one distributor, each with a report under review, approved by eight
    threads at once, each on its own database connection; one of them fails after taking its
    number and rolls back. The seven invoices are numbered 1 to 7."""
    side = world.a
    reports = []
    for n in range(APPROVALS):
        msp = MspFactory(name=f"MSP A{n}", slug=f"msp-a{n}", distributor=side.distributor)
        user = UserFactory(email=f"admin{n}@a.example")
        MembershipFactory(organisation=msp, user=user, role="msp_admin")
        view = type("Side", (), {})()
        view.msp, view.distributor, view.users = msp, side.distributor, {**side.users, "msp_admin": user}
        view.org_of = lambda role, msp=msp: side.distributor if role.startswith("dist_") else msp
        reports.append((view, submitted_report(view)))
    barrier = threading.Barrier(APPROVALS)
    errors: list[BaseException] = []

    def run(index, view, report):
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                approve(view, report)
                if index == 3:  # took a number, then fails: its number must come back
                    raise RuntimeError("rolled back on purpose")
        except RuntimeError:
            pass
        except BaseException as exc:  # noqa: BLE001 (reported below, with the thread's own error)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *pair)) for i, pair in enumerate(reports)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    distributor = Organisation.objects.get(pk=side.distributor.pk)
    numbers = sorted(Invoice.objects.for_served_msps_of(distributor).values_list("sequence", flat=True))
    assert numbers == list(range(1, APPROVALS))  # seven invoices, 1…7: no gap, no twin
    connections.close_all()
