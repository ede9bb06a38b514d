"""The demo data loads on any day, and every demo login then opens its pages: `make run` loads it
on whatever day it is started. (A module of its own: the shared demo set of test_demo.py, loaded
once per module, must not be in the database while these load theirs.)"""

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from config.demo import demo_data_load
from licensing import demo as licensing_demo
from licensing.demo.story import Planner
from msp_portal.tenancy.demo import DEMO_ORGANISATIONS, DEMO_PASSWORD, DEMO_USERS
from msp_portal.tenancy.models import Organisation, User
from reports.models import UsageReport

from .billing.demo_checks import check_the_last_ended_month

DEMO_MSPS = ("contoso", "fabrikam")
# Days on which a calendar-bound story could trip: the end of a month and the turn of a year
# (already the next year in Paris, still the last evening in Toronto), and 29 February. Each
# full load takes seconds; the pure planning below covers every other day of a year. Each day
# comes with the month whose vendor files the demo's billing part imports last: the last month
# ended in Contoso's time zone (Paris), so December already at 00:30 on 1 January there.
AWKWARD_DAYS = (
    ("2027-12-31T23:30:00+00:00", dt.date(2027, 12, 1)),
    ("2028-02-29T12:00:00+00:00", dt.date(2028, 1, 1)),
)


@pytest.mark.parametrize(
    ("moment", "billed"),
    [pytest.param(m, billed, marks=pytest.mark.now(m), id=m[:10]) for m, billed in AWKWARD_DAYS],
)
def test_the_demo_loads_and_every_demo_login_opens_its_pages_on_any_day(db, moment, billed):
    counts = demo_data_load()  # what `make run` runs (the demo_data command)
    check_the_last_ended_month(counts, billed)
    with scopes_disabled():
        assert User.objects.count() == len(DEMO_USERS)
    for slug in DEMO_MSPS:
        msp = Organisation.objects.get(slug=slug)
        assert UsageReport.objects.for_tenant(msp).count() == 12, (slug, moment)
    for spec in DEMO_USERS:
        client = Client()
        response = client.post("/accounts/login/", {"username": spec.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, spec.email
        assert client.get(response.url, follow=True).status_code == 200, (spec.email, moment)
    for slug in DEMO_MSPS:
        client = Client()
        client.force_login(User.objects.get(email=f"admin@{slug}.example"))
        latest = (
            UsageReport.objects.for_tenant(Organisation.objects.get(slug=slug)).order_by("-cycle").first()
        )
        for url in (f"/o/{slug}/reports/", f"/o/{slug}/reports/{latest.pk}/", f"/o/{slug}/licensing/"):
            assert client.get(url).status_code == 200, (url, moment)


def test_the_demo_story_plans_on_every_day_of_a_year_and_a_bit():
    """The licensing story (pure planning, no database) for each demo MSP in its own time zone,
    every other day over 14 months: it must never run out of people or licenses."""
    zones = {spec.slug: spec.timezone for spec in DEMO_ORGANISATIONS}
    first = dt.datetime(2027, 1, 1, 7, 0, tzinfo=dt.UTC)
    for day in range(0, 426, 2):
        now = first + dt.timedelta(days=day, hours=(day * 5) % 24)
        for spec in licensing_demo.DEMO_MSPS:
            steps = Planner(spec, now).plan(zoneinfo.ZoneInfo(zones[spec.slug]))
            assert steps and steps[-1].at < now, (spec.slug, now)
