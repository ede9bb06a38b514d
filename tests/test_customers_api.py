"""Adding an MSP through the API (`POST /api/v1/orgs/<distributor>/msps/`): the page's rules
(tests/test_customers.py), for distributor admins only, never in another distributor's name."""

import pytest

from msp_portal.notifications.models import OutboxEmail
from msp_portal.tenancy.models import Membership, Organisation

from .test_customers import FORM

JSON = "application/json"


def url(org) -> str:
    return f"/api/v1/orgs/{org.slug}/msps/"


def test_a_distributor_admin_adds_an_msp_and_its_first_admin_is_invited(world, login):
    response = login(world.a.users["dist_admin"]).post(url(world.a.distributor), FORM, content_type=JSON)
    assert response.status_code == 201, response.content
    assert response.json() == {
        "slug": "litware",
        "name": "Litware Services",
        "kind": "msp",
        "distributor": world.a.distributor.slug,
        "country": "FR",
        "timezone": "Europe/Paris",
        "currency": "EUR",
    }
    msp = Organisation.objects.get(slug="litware")
    assert msp.distributor == world.a.distributor
    admin = Membership.objects.for_tenant(msp).get()
    assert admin.user.email == "owner@litware.example" and admin.role == "msp_admin"
    assert OutboxEmail.objects.filter(to="owner@litware.example").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "FRA"),
        ("currency", "E1"),
        ("slug", "not a slug"),
        ("timezone", "Mars/Olympus"),
        ("admin_email", "nobody"),
        ("name", ""),
    ],
)
def test_a_bad_field_is_a_400_naming_it_and_nothing_is_written(world, login, field, value):
    response = login(world.a.users["dist_admin"]).post(
        url(world.a.distributor), {**FORM, field: value}, content_type=JSON
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Organisation.objects.filter(slug=FORM["slug"]).exists()


def test_a_taken_slug_is_refused_on_its_field(world, login):
    response = login(world.a.users["dist_admin"]).post(
        url(world.a.distributor), {**FORM, "slug": world.b.msp.slug}, content_type=JSON
    )
    assert response.status_code == 409  # a Conflict, on its field, as on the page
    assert "slug" in response.json()["errors"]


@pytest.mark.parametrize("role", ["dist_reviewer"])
def test_a_reviewer_may_list_but_not_add(world, login, role):
    client = login(world.a.users[role])
    assert client.get(url(world.a.distributor)).status_code == 200
    assert client.post(url(world.a.distributor), FORM, content_type=JSON).status_code == 403
    assert not Organisation.objects.filter(slug="litware").exists()


def test_no_one_adds_an_msp_for_another_distributor_or_as_an_msp(world, login):
    outsider = login(world.b.users["dist_admin"])
    assert outsider.post(url(world.a.distributor), FORM, content_type=JSON).status_code == 404
    msp_admin = login(world.a.users["msp_admin"])
    assert msp_admin.post(url(world.a.msp), FORM, content_type=JSON).status_code == 404
    assert not Organisation.objects.filter(slug="litware").exists()
