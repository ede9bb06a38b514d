"""Two-organisation isolation for every tenant URL, the scoping net, and role checks."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import ScopeError, scopes_disabled

from msp_portal.tenancy.models import Membership

from .invoicing.walk_objects import ID_FINDERS as INVOICING_IDS

METHODS = ("get", "post", "patch", "delete")


def tenant_routes():
    """Every URL pattern whose path holds <org_slug>, as (route string, kwarg names)."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                if "<slug:org_slug>" in route:
                    yield route, list(entry.pattern.converters)

    return sorted(set((route, tuple(kwargs)) for route, kwargs in walk(get_resolver().url_patterns)))


# How to find an object of a given organisation for each kind of id a tenant URL can take.
# A new kind of id in a URL makes test_every_id_kwarg_is_known fail until it is added here.
def _membership_id(org):
    with scopes_disabled():
        return Membership.objects.filter(organisation=org).values_list("pk", flat=True).first()


def _report(org):
    """A report of the organisation (an MSP), or of an MSP it serves (a distributor)."""
    import datetime as dt

    from msp_portal.tenancy.models import Organisation
    from reports.services import usage_report_open

    from .reports.conftest import line_specs

    msp = org if org.is_msp else Organisation.objects.filter(distributor=org).first()
    report, _ = usage_report_open(msp=msp, cycle=dt.date(2026, 10, 1), lines=line_specs())
    return report


def _line_id(org):
    with scopes_disabled():
        return _report(org).lines.values_list("pk", flat=True).first()


def _licensing(org):
    """A product of the distributor's catalog, and for an MSP a cost center, a subscription
    with an assigned license and a purchase (made through the services)."""
    from licensing.demo_fixtures import licensing_objects

    return licensing_objects(org)


def _import_id(org):
    """A reconciliation import of the MSP (of an MSP it serves, for a distributor)."""
    from billing.columns import FileKind
    from billing.models import ReconciliationImport
    from billing.services import reconciliation_import_create_by_operator
    from msp_portal.tenancy.models import Organisation

    msp = org if org.is_msp else Organisation.objects.filter(distributor=org).first()
    with scopes_disabled():
        found = ReconciliationImport.objects.filter(organisation=msp).values_list("pk", flat=True).first()
    if found is not None:
        return found
    return reconciliation_import_create_by_operator(
        organisation=msp, kind=FileKind.INVOICE, file_name="invoice.csv", size_bytes=10
    ).pk


def _export_id(org):
    from django.utils import timezone

    from msp_portal.exports.models import ExportRequest
    from msp_portal.exports.services import LIFETIME

    return ExportRequest.objects.create(
        organisation=org, kind="billing.billed", title="Export", expires_at=timezone.now() + LIFETIME
    ).pk


ID_OF = {
    "membership_id": _membership_id,
    "report_id": lambda org: _report(org).pk,
    "line_id": _line_id,
    "product_id": lambda org: _licensing(org)["product"].pk,
    "cost_center_id": lambda org: _licensing(org)["cost_center"].pk,
    "subscription_id": lambda org: _licensing(org)["subscription"].pk,
    "license_id": lambda org: _licensing(org)["license"].pk,
    "purchase_id": lambda org: _licensing(org)["purchase"].pk,
    "export_id": _export_id,
    "import_id": _import_id,
    # An MSP the distributor serves; an MSP's own id for an MSP.
    "msp_id": lambda org: org.pk if org.is_msp else org.served_msps.values_list("pk", flat=True).first(),
    **INVOICING_IDS,  # invoice_id, credit_note_id, tax_setting_id
}


def fill(route: str, org, kwargs, found: dict | None = None) -> str:
    """The route with the organisation's slug and an id of its own for each other kwarg.
    ``found`` keeps the ids found (or made) so far in one test, by kind and organisation: a walk
    over every route asks for the same few objects hundreds of times."""
    path = route.replace("<slug:org_slug>", org.slug)
    for name in kwargs:
        if name == "org_slug":
            continue
        converter = next(c for c in ("int", "slug", "str", "uuid") if f"<{c}:{name}>" in path)
        if found is None:
            value = ID_OF[name](org)
        elif (value := found.get((name, org.pk))) is None:
            value = found[(name, org.pk)] = ID_OF[name](org)
        path = path.replace(f"<{converter}:{name}>", str(value))
    return "/" + path


def test_every_id_kwarg_is_known():
    routes = tenant_routes()
    assert len(routes) >= 8, routes
    unknown = {k for _, kwargs in routes for k in kwargs} - {"org_slug"} - set(ID_OF)
    assert not unknown, f"add a finder to ID_OF for {unknown}"


@pytest.mark.parametrize("role", ["msp_admin", "dist_admin"])
def test_another_organisations_slug_gives_404_on_every_tenant_url(world, login, role):
    """An admin of side A asks for side B's organisation (both kinds) on every URL and method."""
    client = login(world.a.users[role])
    failures = []
    found = {}
    for route, kwargs in tenant_routes():
        for other in (world.b.msp, world.b.distributor):
            url = fill(route, other, kwargs, found)
            for method in METHODS:
                status = getattr(client, method)(url, content_type="application/json").status_code
                if status != 404:
                    failures.append(f"{method.upper()} {url} → {status}")
    assert not failures, "\n".join(failures)


def test_another_organisations_object_id_gives_404(world, login):
    """Own organisation in the URL, but the object id belongs to another organisation."""
    failures = []
    checked = 0
    found = {}
    clients = {role: login(world.a.users[role]) for role in ("msp_admin", "dist_admin")}
    for route, kwargs in tenant_routes():
        if not set(kwargs) - {"org_slug"}:
            continue
        checked += 1
        for role, client in clients.items():
            own = world.a.org_of(role)
            other = world.b.org_of(role)
            url = fill(route, own, ["org_slug"])
            url = fill(url.lstrip("/"), other, kwargs, found)
            for method in METHODS:
                status = getattr(client, method)(url, content_type="application/json").status_code
                if status != 404:
                    failures.append(f"{role} {method.upper()} {url} → {status}")
    assert checked >= 5
    assert not failures, "\n".join(failures)


def test_a_served_msp_is_not_the_distributors_own_organisation(world, login):
    """A distributor user is not a member of the MSPs it serves: their pages stay closed."""
    client = login(world.a.users["dist_admin"])
    assert client.get(f"/o/{world.a.msp.slug}/").status_code == 404
    assert client.get(f"/api/v1/orgs/{world.a.msp.slug}/members/").status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(world, client):
    response = client.get(f"/o/{world.a.msp.slug}/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get(f"/api/v1/orgs/{world.a.msp.slug}/members/").status_code == 401


def test_member_lists_never_show_another_organisation(world, login):
    client = login(world.a.users["msp_admin"])
    page = client.get(f"/o/{world.a.msp.slug}/members/").content.decode()
    api = client.get(f"/api/v1/orgs/{world.a.msp.slug}/members/").json()
    emails = {row["user"]["email"] for row in api["results"]}
    assert emails == {"msp_admin@a.example", "msp_billing@a.example", "msp_viewer@a.example"}
    assert "@b.example" not in page
    assert "msp_admin@a.example" in page


def test_distributor_sees_only_the_msps_it_serves(world, login):
    client = login(world.a.users["dist_reviewer"])
    api = client.get(f"/api/v1/orgs/{world.a.distributor.slug}/msps/").json()
    assert [row["slug"] for row in api["results"]] == ["msp-a"]
    page = client.get(f"/o/{world.a.distributor.slug}/msps/").content.decode()
    assert "MSP A" in page and "MSP B" not in page


def test_msp_has_no_msp_accounts_page(world, login):
    client = login(world.a.users["msp_admin"])
    assert client.get(f"/o/{world.a.msp.slug}/msps/").status_code == 404
    assert client.get(f"/api/v1/orgs/{world.a.msp.slug}/msps/").status_code == 404


def test_a_query_that_names_no_tenant_fails_loudly(world):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.filter(role="msp_admin").count()
    assert Membership.objects.for_tenant(world.a.msp).count() == 3


def test_for_served_msps_of_reads_only_served_msps(world):
    rows = Membership.objects.for_served_msps_of(world.a.distributor)
    assert {m.organisation_id for m in rows} == {world.a.msp.pk}


def test_user_of_two_organisations_switches_between_them(world, login):
    consultant = world.a.users["msp_viewer"]
    Membership.objects.create(organisation=world.b.msp, user=consultant, role="msp_admin")
    client = login(consultant)
    home = client.get("/")
    assert home.status_code == 302
    page = client.get(home["Location"]).content.decode()
    assert f"/o/{world.a.msp.slug}/" in page and f"/o/{world.b.msp.slug}/" in page
    assert client.get(f"/o/{world.b.msp.slug}/").status_code == 200
    me = client.get("/api/v1/me/").json()
    assert {(m["organisation"]["slug"], m["role"]) for m in me["memberships"]} == {
        ("msp-a", "msp_viewer"),
        ("msp-b", "msp_admin"),
    }


def test_a_lookup_by_id_finds_only_the_tenants_own_rows(world):
    """The one lookup by id: its own organisation's row is found; another organisation's id and
    an id that does not exist give the same NotFound, with the same message."""
    from msp_portal.errors import NotFound
    from msp_portal.tenancy.selectors import one_or_not_found

    own, other = world.a.msp, world.b.msp
    own_id, other_id = _membership_id(own), _membership_id(other)

    assert one_or_not_found(Membership.objects.for_tenant(own), pk=own_id).pk == own_id
    messages = []
    for missing in (other_id, 10**9):
        with pytest.raises(NotFound) as refused:
            one_or_not_found(Membership.objects.for_tenant(own), pk=missing)
        messages.append(refused.value.message)
    assert messages[0] == messages[1]
