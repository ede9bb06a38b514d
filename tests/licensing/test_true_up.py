"""The yearly true-up job (docs/licensing.md, docs/jobs.md): what it charges, when, once only, and who sees it.

Histories are written straight into the append-only assignment history with the moments each
case needs (the services stamp "now"); the page test goes through the services instead."""

import datetime as dt
import threading
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from licensing import selectors
from licensing.choices import HistoryKind, Program
from licensing.models import AssignmentEvent, License, Subscription, TrueUpCharge
from licensing.tasks import run_true_up_task
from licensing.true_up import due_anniversaries, true_up_run_due
from msp_portal.jobs.choices import JobName, JobStatus
from msp_portal.jobs.models import JobRun
from msp_portal.jobs.services import JobRunLog
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.models import Organisation

from .conftest import status_of, subscription_of

KINDS = {1: HistoryKind.ASSIGNED, -1: HistoryKind.UNASSIGNED, 0: HistoryKind.PURCHASED}


def at(year, month, day, hour=0, minute=0, zone="UTC") -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


def steps(first: dt.datetime, count: int, delta: int, owned: int) -> list[tuple[dt.datetime, int, int]]:
    """``count`` events of ``delta`` an hour apart from ``first``, each with ``owned`` after it."""
    return [(first + dt.timedelta(hours=n), delta, owned) for n in range(count)]


def subscription_with_history(side, item, *, term_start: dt.date, events, created_at=None) -> Subscription:
    """A subscription of the side's MSP in the portal since ``created_at`` (its term start by
    default) with the given history of (moment, assigned change, owned after)."""
    subscription = Subscription.objects.create(organisation=side.msp, product=item, term_start=term_start)
    Subscription.objects.for_tenant(side.msp).filter(pk=subscription.pk).update(
        created_at=created_at or at(term_start.year, term_start.month, term_start.day)
    )
    AssignmentEvent.objects.bulk_create(
        [
            AssignmentEvent(
                organisation=side.msp,
                subscription=subscription,
                kind=KINDS[delta],
                assigned_delta=delta,
                owned_after=owned,
                at=moment,
            )
            for moment, delta, owned in events
        ]
    )
    subscription.refresh_from_db()
    return subscription


def run(now: dt.datetime, *, dry_run: bool = False) -> JobRunLog:
    log = JobRunLog(dry_run=dry_run)
    true_up_run_due(log=log, now=now)
    return log


def charges_of(side):
    return list(TrueUpCharge.objects.for_tenant(side.msp).order_by("subscription_id", "true_up_date"))


def true_up_notices(side):
    return list(Notification.objects.for_tenant(side.msp).filter(kind="true_up_charged"))


def set_timezone(side, name: str) -> None:
    Organisation.objects.filter(pk=side.msp.pk).update(timezone=name)
    side.msp.refresh_from_db()


# The worked case: 10 owned, 13 assigned at the peak in March, the excess removed in April.
WORKED_EVENTS = [
    (at(2025, 1, 15, 9), 0, 10),  # 10 bought
    *steps(at(2025, 1, 20, 9), 10, +1, 10),  # all 10 assigned
    *steps(at(2025, 3, 10, 10), 3, +1, 10),  # 13 at 12:00 on 10 March
    *steps(at(2025, 4, 5, 9), 3, -1, 10),  # back to 10 in April
]


@pytest.fixture
def worked(world, product):
    item = product(world.a.distributor, program=Program.TRUE_UP, price="12.335", name="Contoso 365")
    return subscription_with_history(world.a, item, term_start=dt.date(2025, 1, 15), events=WORKED_EVENTS)


# --- what is charged ------------------------------------------------------------------------------


def test_the_peak_excess_of_the_year_is_charged_even_though_it_was_removed_before(world, worked):
    log = run(at(2026, 1, 15))

    [charge] = charges_of(world.a)
    assert charge.subscription_id == worked.pk
    assert charge.true_up_date == dt.date(2026, 1, 15)
    assert (charge.period_start, charge.period_end) == (at(2025, 1, 15), at(2026, 1, 15))
    assert (charge.peak_units, charge.peak_reached_at) == (13, at(2025, 3, 10, 12))
    assert (charge.owned_units, charge.units) == (10, 3)
    assert charge.unit_price == Decimal("12.3350") and charge.currency == "EUR"
    assert charge.amount == Decimal("37.01"), "3 × 12.335 = 37.005, rounded half-up to the cent"
    assert dict(log.counts) == {"msps": 1, "charges": 1, "units": 3}


def test_the_msps_admins_and_billing_admins_are_told_once_with_the_total(world, worked):
    run(at(2026, 1, 15))

    notices = true_up_notices(world.a)
    assert {n.recipient for n in notices} == {world.a.users["msp_admin"], world.a.users["msp_billing"]}
    assert all(
        n.params == {"count": 1, "units": 3, "total": "37.01 EUR", "products": "Contoso 365"} for n in notices
    )
    assert all(n.url == f"/o/{world.a.msp.slug}/licensing/" for n in notices)
    assert "37.01 EUR" in notices[0].title
    assert not true_up_notices(world.b)


def test_nothing_is_charged_before_the_anniversary(world, worked):
    log = run(at(2026, 1, 14, 23, 59))

    assert charges_of(world.a) == [] and not log.counts


def test_a_program_that_forbids_over_allocation_has_no_true_up(world, product):
    item = product(world.a.distributor, program=Program.NO_OVERALLOCATION)
    subscription_with_history(world.a, item, term_start=dt.date(2025, 1, 15), events=WORKED_EVENTS)

    log = run(at(2026, 6, 1))

    assert charges_of(world.a) == [] and not log.counts and not true_up_notices(world.a)


def test_a_year_within_what_is_owned_is_recorded_at_zero_and_nobody_is_told(world, product):
    item = product(world.a.distributor)
    subscription_with_history(
        world.a,
        item,
        term_start=dt.date(2025, 1, 15),
        events=[(at(2025, 1, 15, 9), 0, 5), *steps(at(2025, 2, 1), 5, +1, 5)],
    )

    log = run(at(2026, 1, 15))

    [charge] = charges_of(world.a)
    assert (charge.peak_units, charge.owned_units, charge.units, charge.amount) == (5, 5, 0, Decimal("0.00"))
    assert dict(log.counts) == {"msps": 1, "charges": 1, "units": 0}
    assert not true_up_notices(world.a)


def test_owned_is_counted_at_the_true_up_moment_so_licenses_bought_before_it_cover_the_peak(world, product):
    item = product(world.a.distributor)
    subscription_with_history(
        world.a,
        item,
        term_start=dt.date(2025, 1, 15),
        events=[
            (at(2025, 1, 15, 9), 0, 2),
            *steps(at(2025, 2, 1), 4, +1, 2),  # 4 assigned, 2 owned
            (at(2026, 1, 14, 12), 0, 3),  # one more bought the day before the true-up
            (at(2026, 1, 15, 0, 0), 0, 9),  # bought at the true-up moment: the next year's
        ],
    )

    run(at(2026, 1, 15, 1))

    [charge] = charges_of(world.a)
    assert (charge.peak_units, charge.owned_units, charge.units) == (4, 3, 1)


# --- once only, catch-up, dates -------------------------------------------------------------------


def test_a_second_run_changes_nothing(world, worked):
    run(at(2026, 1, 15))
    first = charges_of(world.a)

    again = run(at(2026, 1, 15, 1))

    assert charges_of(world.a) == first and not again.counts
    assert len(true_up_notices(world.a)) == 2, "one per recipient, from the first run only"


def test_charges_are_append_only_and_unique_per_anniversary(world, worked):
    run(at(2026, 1, 15))
    [charge] = charges_of(world.a)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TrueUpCharge.objects.for_tenant(world.a.msp).filter(pk=charge.pk).update(units=0)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TrueUpCharge.objects.for_tenant(world.a.msp).filter(pk=charge.pk).delete()
    charge.pk = None
    with pytest.raises(IntegrityError, match="unique_per_anniversary"), transaction.atomic():
        charge.save()
    assert [c.units for c in charges_of(world.a)] == [3]


def test_a_missed_anniversary_is_caught_up_each_year_with_its_own_window(world, product):
    item = product(world.a.distributor, price="10.00")
    subscription = subscription_with_history(
        world.a,
        item,
        term_start=dt.date(2023, 6, 1),
        events=[
            (at(2023, 6, 1, 9), 0, 3),
            *steps(at(2023, 9, 1), 5, +1, 3),  # 5 with 3 owned
            *steps(at(2023, 10, 1), 2, -1, 3),  # 3
            (at(2024, 8, 1), +1, 3),  # 4 in the second year
            (at(2024, 8, 2), -1, 3),
        ],
    )

    log = run(at(2025, 7, 1))  # the job never ran on 1 June 2024 nor 2025

    first, second = charges_of(world.a)
    assert (first.true_up_date, first.period_start, first.period_end) == (
        dt.date(2024, 6, 1),
        at(2023, 6, 1),
        at(2024, 6, 1),
    )
    assert (first.peak_units, first.owned_units, first.units, first.amount) == (5, 3, 2, Decimal("20.00"))
    assert (second.true_up_date, second.period_start, second.period_end) == (
        dt.date(2025, 6, 1),
        at(2024, 6, 1),
        at(2025, 6, 1),
    )
    assert (second.peak_units, second.units, second.amount) == (4, 1, Decimal("10.00"))
    assert second.peak_reached_at == at(2024, 8, 1)
    assert {charge.subscription_id for charge in (first, second)} == {subscription.pk}
    assert dict(log.counts) == {"msps": 1, "charges": 2, "units": 3}
    notices = true_up_notices(world.a)
    assert len(notices) == 2 and notices[0].params["count"] == 2 and notices[0].params["total"] == "30.00 EUR"


def test_anniversaries_before_the_subscription_came_to_the_portal_are_not_charged(world, product):
    item = product(world.a.distributor)
    subscription_with_history(
        world.a,
        item,
        term_start=dt.date(2022, 3, 1),
        created_at=at(2024, 5, 1),
        events=[(at(2024, 5, 1, 9), 0, 1), *steps(at(2024, 6, 1), 3, +1, 1)],
    )

    run(at(2025, 7, 1))

    [charge] = charges_of(world.a)
    assert charge.true_up_date == dt.date(2025, 3, 1)
    assert (charge.period_start, charge.period_end) == (at(2024, 3, 1), at(2025, 3, 1))
    assert charge.units == 2


def test_a_term_started_on_29_february_is_trued_up_on_28_february_off_leap_years(world, product):
    item = product(world.a.distributor)
    subscription = subscription_with_history(
        world.a, item, term_start=dt.date(2024, 2, 29), events=[(at(2024, 3, 1), +1, 0)]
    )

    dates = [
        (due.date, due.start, due.end)
        for due in due_anniversaries(subscription, timezone_name="UTC", now=at(2028, 2, 29))
    ]

    assert dates == [
        (dt.date(2025, 2, 28), at(2024, 2, 29), at(2025, 2, 28)),
        (dt.date(2026, 2, 28), at(2025, 2, 28), at(2026, 2, 28)),
        (dt.date(2027, 2, 28), at(2026, 2, 28), at(2027, 2, 28)),
        (dt.date(2028, 2, 29), at(2027, 2, 28), at(2028, 2, 29)),
    ]
    run(at(2025, 2, 27, 23, 59))
    assert charges_of(world.a) == []
    run(at(2025, 2, 28))
    assert [(c.true_up_date, c.units) for c in charges_of(world.a)] == [(dt.date(2025, 2, 28), 1)]
    run(at(2028, 2, 28, 23, 59))
    assert [c.true_up_date for c in charges_of(world.a)][-1] == dt.date(2027, 2, 28)
    run(at(2028, 2, 29))
    assert [c.true_up_date for c in charges_of(world.a)][-1] == dt.date(2028, 2, 29)
    assert len(charges_of(world.a)) == 4


def test_the_true_up_comes_at_each_msps_local_midnight(world, product):
    set_timezone(world.a, "Pacific/Auckland")
    set_timezone(world.b, "America/Los_Angeles")
    for side in (world.a, world.b):
        item = product(side.distributor)
        subscription_with_history(
            side,
            item,
            term_start=dt.date(2025, 3, 10),
            created_at=at(2025, 3, 1),
            events=[(at(2025, 3, 1), 0, 0), (at(2025, 4, 1), +1, 0)],
        )
    auckland = at(2026, 3, 10, zone="Pacific/Auckland")
    los_angeles = at(2026, 3, 10, zone="America/Los_Angeles")
    assert auckland == at(2026, 3, 9, 11) and los_angeles == at(2026, 3, 10, 7)  # NZDT +13, PDT −7
    minute = dt.timedelta(minutes=1)

    run(auckland - minute)
    assert charges_of(world.a) == [] and charges_of(world.b) == []
    run(auckland)
    assert [c.true_up_date for c in charges_of(world.a)] == [dt.date(2026, 3, 10)] and charges_of(
        world.b
    ) == []
    assert charges_of(world.a)[0].period_end == auckland
    run(los_angeles - minute)
    assert charges_of(world.b) == []
    run(los_angeles)
    [charge] = charges_of(world.b)
    assert (charge.true_up_date, charge.period_end) == (dt.date(2026, 3, 10), los_angeles)
    assert charge.period_start == at(2025, 3, 10, zone="America/Los_Angeles")


# --- dry run, command, task -----------------------------------------------------------------------


def test_a_dry_run_lists_what_it_would_charge_and_writes_nothing(world, worked):
    log = run(at(2026, 1, 15), dry_run=True)

    assert charges_of(world.a) == [] and not true_up_notices(world.a)
    assert len(log.lines) == 1
    assert "Contoso 365" in log.lines[0] and "2026-01-15" in log.lines[0]
    assert "3 units" in log.lines[0] and "37.01 EUR" in log.lines[0]
    assert dict(log.counts) == {"msps": 1, "charges": 1, "units": 3}


def test_the_command_runs_the_same_job_and_records_it(world, worked, capsys):
    call_command("run_true_up", "--dry-run")

    out = capsys.readouterr().out
    assert "would charge" in out and "Contoso 365" in out and "dry run: charges=" in out
    assert charges_of(world.a) == [], "a dry run writes nothing"
    assert JobRun.objects.filter(job=JobName.RUN_TRUE_UP, dry_run=True, status=JobStatus.SUCCEEDED).exists()


def test_the_beat_task_charges_and_returns_its_counts(world, worked):
    counts = run_true_up_task.run()

    assert counts["charges"] >= 1 and charges_of(world.a)
    assert JobRun.objects.filter(job=JobName.RUN_TRUE_UP, dry_run=False).count() == 1


# --- shown ahead of time, and afterwards ----------------------------------------------------------


def test_the_expected_true_up_on_the_subscription_page_is_what_is_charged_on_its_date(
    world, login, product, buy, assign, unassign
):
    item = product(world.a.distributor, price="12.335", name="Fabrikam Suite")
    buy(world.a, item, 2)
    subscription = subscription_of(world.a, item)
    seats = [assign(world.a, subscription, f"Person {n}") for n in range(4)]  # 2 over-allocated
    unassign(world.a, seats[-1])  # the excess removed: the peak stays
    client = login(world.a.users["msp_admin"])
    page_url = f"/o/{world.a.msp.slug}/licensing/subscriptions/{subscription.pk}/"

    before = client.get(page_url)
    expected = before.context["status"]
    assert (expected.true_up_units, expected.true_up_amount) == (2, Decimal("24.67"))
    assert "No true-up yet" in before.content.decode()

    run(selectors.local_midnight(expected.true_up_date, world.a.msp.timezone))

    [charge] = charges_of(world.a)
    assert (charge.true_up_date, charge.units, charge.amount) == (
        expected.true_up_date,
        expected.true_up_units,
        expected.true_up_amount,
    )
    html = client.get(page_url).content.decode()
    assert f'id="true-up-{charge.pk}"' in html and "24.67 EUR" in html


def test_the_expected_true_up_counts_only_the_current_true_up_year(world, product):
    item = product(world.a.distributor)
    subscription = subscription_with_history(
        world.a,
        item,
        term_start=dt.date(2025, 1, 15),
        events=[
            (at(2025, 1, 15, 9), 0, 1),
            *steps(at(2025, 12, 1), 3, +1, 1),  # 3 with 1 owned, in the first year
            *steps(at(2025, 12, 2), 2, -1, 1),  # 1
            (at(2026, 2, 1), +1, 1),  # 2 in the second year
        ],
    )
    License.objects.create(organisation=world.a.msp, subscription=subscription)  # the one owned
    now = at(2026, 3, 1)

    status = status_of(world.a, subscription, now=now)
    run(now)

    assert status.owned == 1
    assert status.peak_year.units == 3, "the past 365 days still reach back into December"
    assert status.peak_true_up.units == 2 and status.true_up_date == dt.date(2027, 1, 15)
    assert status.true_up_units == 1, "December's peak was billed by the true-up of January"
    [charged] = charges_of(world.a)
    assert (charged.true_up_date, charged.units) == (dt.date(2026, 1, 15), 2)


# --- the API --------------------------------------------------------------------------------------


@pytest.fixture
def both_charged(world, product):
    made = {}
    for side in (world.a, world.b):
        item = product(side.distributor)
        made[side.msp.slug] = subscription_with_history(
            side,
            item,
            term_start=dt.date(2024, 1, 15),
            events=[(at(2024, 1, 15, 9), 0, 1), (at(2024, 2, 1), +1, 1), (at(2024, 2, 2), +1, 1)],
        )
    run(at(2026, 1, 15))
    return made


def api(client, org, **query):
    response = client.get(f"/api/v1/orgs/{org.slug}/true-ups/", query)
    return response


@pytest.mark.parametrize("role", ["msp_admin", "msp_billing", "msp_viewer"])
def test_an_msp_reads_its_own_true_ups_only(world, login, both_charged, role):
    client = login(world.a.users[role])

    body = api(client, world.a.msp).json()

    assert body["count"] == 2
    assert {row["msp"]["slug"] for row in body["results"]} == {world.a.msp.slug}
    assert [row["true_up_date"] for row in body["results"]] == ["2026-01-15", "2025-01-15"]
    row = body["results"][0]
    assert (row["peak_units"], row["owned_units"], row["units"], row["amount"], row["currency"]) == (
        2,
        1,
        1,
        "10.00",
        "EUR",
    )
    assert row["subscription"] == both_charged[world.a.msp.slug].pk
    assert api(client, world.b.msp).status_code == 404


def test_a_distributor_reads_the_true_ups_of_the_msps_it_serves(world, login, both_charged):
    for side, other in ((world.a, world.b), (world.b, world.a)):
        client = login(side.users["dist_reviewer"])
        body = api(client, side.distributor).json()
        assert body["count"] == 2 and {row["msp"]["slug"] for row in body["results"]} == {side.msp.slug}
        assert api(client, side.distributor, msp=other.msp.slug).json()["count"] == 0
        assert api(client, other.distributor).status_code == 404


def test_true_ups_filter_by_subscription_and_year(world, login, both_charged):
    client = login(world.a.users["msp_admin"])
    own = both_charged[world.a.msp.slug].pk
    theirs = both_charged[world.b.msp.slug].pk

    assert api(client, world.a.msp, subscription=own).json()["count"] == 2
    assert api(client, world.a.msp, subscription=theirs).json()["count"] == 0
    [row] = api(client, world.a.msp, year=2025).json()["results"]
    assert row["true_up_date"] == "2025-01-15"
    assert api(client, world.a.msp, year="next").status_code == 400
    assert api(client, world.a.msp, subscription="").status_code == 400


# --- two runs at once -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_charge_once(world, product):
    item = product(world.a.distributor, price="12.335")
    subscription_with_history(world.a, item, term_start=dt.date(2025, 1, 15), events=WORKED_EVENTS)
    logs = [JobRunLog(), JobRunLog()]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=30)

    def sweep(log):
        try:
            barrier.wait()
            true_up_run_due(log=log, now=at(2026, 1, 15))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a run never finished: a deadlock?"

    assert not errors, errors
    [charge] = charges_of(world.a)
    assert charge.units == 3
    assert sum(log.counts["charges"] for log in logs) == 1
    assert not any(log.errors for log in logs)
    assert len(true_up_notices(world.a)) == 2, "told once (one notification per recipient)"


@pytest.mark.django_db(transaction=True)
def test_a_subscription_held_by_someone_else_is_left_for_the_next_run(world, product):
    item = product(world.a.distributor)
    subscription = subscription_with_history(
        world.a, item, term_start=dt.date(2025, 1, 15), events=WORKED_EVENTS
    )
    skipped: list[JobRunLog] = []

    def sweep():
        try:
            skipped.append(run(at(2026, 1, 15)))
        finally:
            connection.close()

    with transaction.atomic():  # another run, or an assignment, holds the subscription's row
        Subscription.objects.for_tenant(world.a.msp).select_for_update().get(pk=subscription.pk)
        thread = threading.Thread(target=sweep)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive(), "SKIP LOCKED must not wait"

    assert not skipped[0].counts and charges_of(world.a) == []
    assert run(at(2026, 1, 15, 1)).counts["charges"] == 1


def test_operators_read_charges_in_the_admin_and_cannot_change_them(world, worked, client):
    from msp_portal.tenancy.models import User

    run(at(2026, 1, 15))
    [charge] = charges_of(world.a)
    client.force_login(User.objects.create_superuser(email="operator@example.com", password="x"))

    listing = client.get("/admin/licensing/trueupcharge/")
    detail = client.get(f"/admin/licensing/trueupcharge/{charge.pk}/change/")

    assert listing.status_code == 200 and "37.01" in listing.content.decode()
    assert detail.status_code == 200 and 'name="units"' not in detail.content.decode()
    assert client.get("/admin/licensing/trueupcharge/add/").status_code == 403
    assert (
        client.post(f"/admin/licensing/trueupcharge/{charge.pk}/delete/", {"post": "yes"}).status_code == 403
    )
