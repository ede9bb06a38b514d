"""Two people saving the same report line at the same moment, on two real database connections:
one save wins, the other is told what the line now holds, and nothing is silently overwritten."""

import threading

import pytest
from django.db import connection

from msp_portal.errors import Conflict
from msp_portal.exceptions import status_of
from msp_portal.tenancy.resolve import resolve_tenant
from reports import selectors, services
from reports.choices import EventKind
from reports.models import ReportEvent, UsageReportLine
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCT = "MS-365-BP"  # 40 provided, 36 used → starts at 36 billable units, version 1


@pytest.fixture
def two_admins(world):
    second = UserFactory(email="second.admin@a.example")
    MembershipFactory(organisation=world.a.msp, user=second, role="msp_admin")
    return [world.a.users["msp_admin"], second]


@pytest.fixture
def meet_at_the_lock(monkeypatch):
    """Hold each save just before it locks the report until both saves got there, so both
    are inside their own transaction when the first one takes the lock."""
    barrier = threading.Barrier(2, timeout=20)
    original = selectors.usage_report_get

    def usage_report_get(*args, **kwargs):
        if kwargs.get("for_update"):
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "usage_report_get", usage_report_get)
    return barrier


def the_line(report) -> UsageReportLine:
    return UsageReportLine.objects.for_tenant(report.organisation).get(report=report, product_code=PRODUCT)


def line_edits(report) -> list[ReportEvent]:
    return list(
        ReportEvent.objects.for_tenant(report.organisation).filter(report=report, kind=EventKind.LINE_EDIT)
    )


def save_at_once(report, line, attempts):
    """Run each (user, units, version) save in its own thread and database connection."""
    results: dict[int, object] = {}

    def save(index, user, units, version):
        try:
            tenant = resolve_tenant(user=user, org_slug=report.organisation.slug)
            results[index] = services.usage_report_line_update(
                tenant=tenant,
                acting_user=user,
                report_id=report.pk,
                line_id=line.pk,
                billable_units=units,
                version=version,
            )
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i, *attempt)) for i, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a save never finished (deadlock?)"
    return [results[i] for i in range(len(attempts))]


def test_two_saves_of_the_same_line_one_wins_the_other_gets_409(
    world, open_report, two_admins, meet_at_the_lock
):
    report = open_report(world.a.msp)
    line = the_line(report)
    assert (line.billable_units, line.version) == (36, 1)
    attempts = [(two_admins[0], 30, 1), (two_admins[1], 31, 1)]

    outcomes = save_at_once(report, line, attempts)

    winners = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, UsageReportLine)]
    losers = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, f"expected one save and one conflict, got {outcomes!r}"
    winner_user, winner_units, _ = attempts[winners[0]]
    conflict = outcomes[losers[0]]
    assert type(conflict) is Conflict and status_of(conflict) == 409
    assert conflict.extra["current"] == {"billable_units": winner_units, "version": 2}
    assert str(winner_units) in conflict.message, "the loser is told the value that is now saved"

    line = the_line(report)
    assert (line.billable_units, line.version) == (winner_units, 2)
    [edit] = line_edits(report)
    assert (edit.old_value, edit.new_value, edit.actor_id) == (
        "36",
        str(winner_units),
        winner_user.pk,
    )


def test_a_double_click_saving_the_same_value_twice_at_once_saves_once(
    world, open_report, two_admins, meet_at_the_lock
):
    report = open_report(world.a.msp)
    line = the_line(report)
    admin = two_admins[0]

    outcomes = save_at_once(report, line, [(admin, 30, 1), (admin, 30, 1)])

    assert all(isinstance(outcome, UsageReportLine) for outcome in outcomes), outcomes
    line = the_line(report)
    assert (line.billable_units, line.version) == (30, 2)
    assert len(line_edits(report)) == 1


def test_resending_the_value_the_line_already_has_is_a_no_op(world, open_report, two_admins):
    report = open_report(world.a.msp)
    admin = two_admins[0]
    tenant = resolve_tenant(user=admin, org_slug=world.a.msp.slug)
    line = the_line(report)

    def save(units, version):
        return services.usage_report_line_update(
            tenant=tenant,
            acting_user=admin,
            report_id=report.pk,
            line_id=line.pk,
            billable_units=units,
            version=version,
        )

    save(36, 1)  # the value it started with
    assert (the_line(report).version, len(line_edits(report))) == (1, 0)

    save(30, 1)
    save(30, 1)  # the same value again, from the page loaded before the first save
    save("30", 2)

    line = the_line(report)
    assert (line.billable_units, line.version) == (30, 2)
    assert len(line_edits(report)) == 1

    with pytest.raises(Conflict) as excinfo:
        save(31, 1)  # a different value from a stale page is not a no-op
    assert excinfo.value.extra["current"] == {"billable_units": 30, "version": 2}
    assert the_line(report).billable_units == 30
