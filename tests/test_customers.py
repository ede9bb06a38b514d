"""A distributor's customer page of one MSP (docs/tenancy.md, "Customer page"): its summary
figures against a small built world, its tabs, who may open it, the top bar's customer search,
and adding, deactivating and reactivating an MSP."""

import datetime as dt
import re
import threading
import time

import pytest
from django.core import mail

from invoicing.models import Invoice
from licensing.choices import HistoryKind
from licensing.models import AssignmentEvent
from msp_portal.errors import Conflict, Invalid, NotAllowed
from msp_portal.jobs.services import JobRunLog
from msp_portal.notifications.models import OutboxEmail
from msp_portal.notifications.outbox import outbox_email_send
from msp_portal.tenancy import customers, services
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.customers import CustomerTab, members_tab, register_customer_tabs
from msp_portal.tenancy.models import Membership, Organisation
from reports.auto_submit import auto_submit_due
from reports.models import ReportPenalty
from reports.services import usage_report_open
from tests.factories import LicenseFactory, MspFactory, SubscriptionFactory
from tests.invoicing.invoice_world import approve, line_specs, tenant_of
from tests.processes import own_connection

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")
UTC = dt.UTC


def customer_url(side, msp=None) -> str:
    return f"/o/{side.distributor.slug}/msps/{(msp or side.msp).pk}/"


def figure(html: str, name: str) -> str:
    """The text of one summary figure (``data-figure``), its whitespace squeezed."""
    found = re.search(rf'data-figure="{name}">(.*?)</div>', html, re.S)
    assert found, f"no figure {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


@pytest.fixture
def built(world):
    """MSP A: October auto-submitted at its deadline with an unexplained line (penalised), then
    approved (an invoice left to pay); September still with the MSP, past its deadline; a
    subscription with 1 license owned and 3 assigned (2 over-allocated, 2 units of true-up at
    10.00 EUR)."""
    msp = world.a.msp
    october, _ = usage_report_open(
        msp=msp,
        cycle=dt.date(2026, 10, 1),
        lines=line_specs(),
        opened_at=dt.datetime(2026, 11, 1, tzinfo=UTC),
    )
    auto_submit_due(log=JobRunLog(), now=october.deadline)
    approve(world.a, october)
    usage_report_open(
        msp=msp, cycle=dt.date(2026, 9, 1), lines=line_specs(), opened_at=dt.datetime(2026, 10, 1, tzinfo=UTC)
    )
    subscription = SubscriptionFactory(organisation=msp, term_start=dt.date(2026, 1, 1))
    moment = dt.datetime(2026, 6, 1, tzinfo=UTC)
    LicenseFactory(subscription=subscription, assigned_at=moment)
    LicenseFactory.create_batch(2, subscription=subscription, assigned_at=moment, is_overage=True)
    AssignmentEvent.objects.bulk_create(
        [
            AssignmentEvent(
                organisation=msp,
                subscription=subscription,
                kind=HistoryKind.ASSIGNED,
                assigned_delta=1,
                owned_after=1,
                at=moment + dt.timedelta(minutes=n),
            )
            for n in range(3)
        ]
    )
    return {"october": october, "subscription": subscription}


def test_the_summary_shows_the_msps_figures(world, login, built):
    penalties = ReportPenalty.objects.for_tenant(world.a.msp)
    assert penalties.exists(), "the world has a penalty"
    invoice = Invoice.objects.for_tenant(world.a.msp).get()
    penalty_total = sum(p.total for p in penalties)

    response = login(world.a.users["dist_reviewer"]).get(customer_url(world.a))

    assert response.status_code == 200
    html = response.content.decode()
    assert figure(html, "overdue").startswith("Overdue reports 1 ")
    assert figure(html, "penalties") == f"Penalties applied {penalties.count()} {penalty_total:.2f} USD"
    assert figure(html, "overallocation").startswith("Over-allocated licenses 2 in 1 subscription")
    assert figure(html, "true-up").startswith("True-up due 20.00 EUR")
    assert figure(html, "invoices-outstanding") == f"Invoices outstanding 1 {invoice.total:.2f} USD"
    assert "October 2026" in html or "Oct 2026" in html
    assert f"/o/{world.a.distributor.slug}/reports/{built['october'].pk}/" in html


def test_another_distributors_msp_reads_nothing(world, login, built):
    response = login(world.b.users["dist_reviewer"]).get(customer_url(world.b))
    html = response.content.decode()
    assert figure(html, "overdue").startswith("Overdue reports 0 ")
    assert figure(html, "invoices-outstanding").startswith("Invoices outstanding 0 ")


@pytest.mark.parametrize(
    "tab", ["reports", "licenses", "true-ups", "purchases", "invoices", "settings", "members"]
)
def test_every_tab_opens(world, login, built, tab):
    response = login(world.a.users["dist_admin"]).get(customer_url(world.a) + f"?tab={tab}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="tab is-active"' in html
    if tab == "members":
        assert "msp_admin@a.example" in html
    if tab == "invoices":
        assert Invoice.objects.for_tenant(world.a.msp).get().number in html
    if tab == "true-ups":
        assert "20.00 EUR" in html


def test_unknown_tab_is_404(world, login):
    assert login(world.a.users["dist_admin"]).get(customer_url(world.a) + "?tab=nope").status_code == 404


def test_who_may_open_the_customer_page(world, login):
    url = customer_url(world.a)
    # Another distributor's MSP id, on one's own distributor's URL.
    other = f"/o/{world.a.distributor.slug}/msps/{world.b.msp.pk}/"
    assert login(world.a.users["dist_admin"]).get(other).status_code == 404
    # An MSP's own members are not members of the distributor.
    for role in ("msp_admin", "msp_billing", "msp_viewer"):
        assert login(world.a.users[role]).get(url).status_code == 404
    # An MSP's own slug on the same path is no distributor page.
    assert (
        login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/msps/{world.a.msp.pk}/").status_code
        == 404
    )
    for role in ("dist_reviewer", "dist_admin"):
        assert login(world.a.users[role]).get(url).status_code == 200


def test_the_msp_list_links_to_the_customer_page(world, login):
    html = login(world.a.users["dist_reviewer"]).get(f"/o/{world.a.distributor.slug}/msps/").content.decode()
    assert f'href="{customer_url(world.a)}"' in html
    assert "msps/add/" not in html, "reviewers cannot add an MSP"
    admin_html = (
        login(world.a.users["dist_admin"]).get(f"/o/{world.a.distributor.slug}/msps/").content.decode()
    )
    assert f"/o/{world.a.distributor.slug}/msps/add/" in admin_html


def test_reviewers_see_no_deactivate_button_and_may_not_post(world, login):
    client = login(world.a.users["dist_reviewer"])
    assert "active-dialog" not in client.get(customer_url(world.a)).content.decode()
    assert client.post(customer_url(world.a) + "active/", {"active": "0"}).status_code == 403
    assert client.get(f"/o/{world.a.distributor.slug}/msps/add/").status_code == 403


# --- search ---------------------------------------------------------------------------------


def test_the_top_bar_search_is_shown_in_a_distributor_only(world, login):
    dist = login(world.a.users["dist_reviewer"]).get(f"/o/{world.a.distributor.slug}/").content.decode()
    assert 'class="topbar-search"' in dist
    msp = login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/").content.decode()
    assert 'class="topbar-search"' not in msp


def test_search_finds_served_msps_by_name_or_slug(world, login):
    MspFactory(name="Fabrikam IT", slug="fabrikam", distributor=world.a.distributor)
    MspFactory(name="Fabrikam Cloud", slug="fab-cloud", distributor=world.a.distributor)
    MspFactory(name="Fabrikam Elsewhere", slug="fab-else", distributor=world.b.distributor)
    client = login(world.a.users["dist_reviewer"])
    base = f"/o/{world.a.distributor.slug}/msps/"

    html = client.get(base + "?q=fabrikam&go=1").content.decode()
    assert "Fabrikam IT" in html and "Fabrikam Cloud" in html and "Elsewhere" not in html

    one = client.get(base + "?q=fab-cloud&go=1")
    cloud = Organisation.objects.get(slug="fab-cloud")
    assert one.status_code == 302 and one.url == f"{base}{cloud.pk}/"

    assert "Elsewhere" not in client.get(base + "?q=fab-else&go=1").content.decode()


# --- adding and deactivating --------------------------------------------------------------------

FORM = {
    "name": "Litware Services",
    "slug": "litware",
    "country": "fr",
    "timezone": "Europe/Paris",
    "currency": "eur",
    "admin_email": "Owner@Litware.example",
    "admin_first_name": "Lou",
    "admin_last_name": "Ware",
}


def test_a_distributor_admin_adds_an_msp_and_its_first_admin_is_invited(world, login):
    response = login(world.a.users["dist_admin"]).post(f"/o/{world.a.distributor.slug}/msps/add/", FORM)

    msp = Organisation.objects.get(slug="litware")
    assert response.status_code == 302 and response.url == customer_url(world.a, msp)
    assert (msp.distributor, msp.kind, msp.country, msp.timezone, msp.currency) == (
        world.a.distributor,
        "msp",
        "FR",
        "Europe/Paris",
        "EUR",
    )
    membership = Membership.objects.for_tenant(msp).get()
    assert (membership.user.email, membership.role) == ("owner@litware.example", "msp_admin")
    assert membership.invited_by == world.a.users["dist_admin"]
    email = OutboxEmail.objects.get(kind="invitation", to="owner@litware.example")
    assert outbox_email_send(email_id=email.pk)
    assert "Litware Services" in mail.outbox[-1].subject


def test_a_taken_slug_is_refused_on_its_field_and_nothing_is_written(world, login):
    response = login(world.a.users["dist_admin"]).post(
        f"/o/{world.a.distributor.slug}/msps/add/", {**FORM, "slug": world.b.msp.slug}
    )
    assert response.status_code == 400
    assert "Choose another slug: this one is taken." in response.content.decode()
    assert not Organisation.objects.filter(name="Litware Services").exists()
    assert not OutboxEmail.objects.filter(to="owner@litware.example").exists()


@pytest.mark.django_db(transaction=True)
def test_two_admins_adding_the_same_slug_at_once_get_the_field_error_not_a_server_error(world):
    """Another transaction inserts the slug after this one checked it is free: the unique index
    makes this insert wait, then refuse; the answer is the slug's field error, nothing written."""
    rival = own_connection()
    rival.autocommit = False
    with rival.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tenancy_organisation (name, slug, kind, distributor_id, country, timezone, currency,"
            " is_active, created_at) VALUES ('Rival', 'litware', 'msp', %s, 'FR', 'UTC', 'EUR', true, now())",
            [world.a.distributor.pk],
        )
    # The rival commits once this transaction waits on the index (its check saw no such slug).
    committer = threading.Thread(target=_commit_when_someone_waits, args=(rival,))
    committer.start()
    try:
        with pytest.raises(Conflict) as refused:
            services.msp_create(
                tenant=tenant_of(world.a, "dist_admin"), acting_user=world.a.users["dist_admin"], **FORM
            )
    finally:
        committer.join(timeout=30)
        rival.close()
    assert refused.value.field_errors == {"slug": ["Choose another slug: this one is taken."]}
    assert list(Organisation.objects.filter(slug="litware").values_list("name", flat=True)) == ["Rival"]
    assert not OutboxEmail.objects.filter(to="owner@litware.example").exists()


def _commit_when_someone_waits(rival) -> None:
    deadline = time.monotonic() + 20
    with rival.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.02)
    rival.commit()


def test_the_services_refuse_a_reviewer(world):
    with pytest.raises(NotAllowed):
        services.msp_create(
            tenant=tenant_of(world.a, "dist_reviewer"), acting_user=world.a.users["dist_reviewer"], **FORM
        )
    with pytest.raises(NotAllowed):
        services.msp_set_active(tenant=tenant_of(world.a, "dist_reviewer"), msp=world.a.msp, active=False)


def test_deactivate_and_reactivate(world, login):
    admin = login(world.a.users["dist_admin"])
    page = admin.get(customer_url(world.a)).content.decode()
    assert '<dialog id="active-dialog"' in page and "confirm(" not in page

    assert admin.post(customer_url(world.a) + "active/", {"active": "0"}).status_code == 302
    world.a.msp.refresh_from_db()
    assert not world.a.msp.is_active
    # Its members can no longer open it; the distributor still sees it, marked as deactivated.
    assert login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/").status_code == 404
    listing = admin.get(f"/o/{world.a.distributor.slug}/msps/").content.decode()
    assert "Deactivated" in listing
    assert admin.get(customer_url(world.a)).status_code == 200

    with pytest.raises(Conflict):
        services.msp_set_active(tenant=tenant_of(world.a, "dist_admin"), msp=world.a.msp, active=False)

    assert admin.post(customer_url(world.a) + "active/", {"active": "1"}).status_code == 302
    world.a.msp.refresh_from_db()
    assert world.a.msp.is_active
    assert login(world.a.users["msp_admin"]).get(f"/o/{world.a.msp.slug}/").status_code == 200


def test_another_distributors_msp_cannot_be_deactivated(world, login):
    url = f"/o/{world.a.distributor.slug}/msps/{world.b.msp.pk}/active/"
    assert login(world.a.users["dist_admin"]).post(url, {"active": "0"}).status_code == 404
    world.b.msp.refresh_from_db()
    assert world.b.msp.is_active


@pytest.fixture
def admins_only_tab():
    """A tab that only holders of Perm.ISSUE_INVOICES may open (distributor admins, not
    reviewers), registered for one test."""
    tab = CustomerTab("admins-only", "Admins only", members_tab, perm=Perm.ISSUE_INVOICES, order=99)
    register_customer_tabs(tab)
    yield tab
    customers._TABS.pop(tab.key)


def test_a_tab_the_role_may_not_open_is_403_and_not_listed(world, login, admins_only_tab):
    reviewer = login(world.a.users["dist_reviewer"])
    assert "?tab=admins-only" not in reviewer.get(customer_url(world.a)).content.decode()
    assert reviewer.get(customer_url(world.a) + "?tab=admins-only").status_code == 403
    admin = login(world.a.users["dist_admin"])
    assert "?tab=admins-only" in admin.get(customer_url(world.a)).content.decode()
    assert admin.get(customer_url(world.a) + "?tab=admins-only").status_code == 200


def test_an_unknown_time_zone_is_refused_on_its_field(world):
    with pytest.raises(Invalid) as refused:
        services.msp_create(
            tenant=tenant_of(world.a, "dist_admin"),
            acting_user=world.a.users["dist_admin"],
            **{**FORM, "timezone": "Mars/Olympus"},
        )
    assert set(refused.value.field_errors) == {"timezone"}
    assert not Organisation.objects.filter(slug="litware").exists()
