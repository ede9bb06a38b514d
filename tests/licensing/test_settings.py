"""An MSP's licensing thresholds: the page its admins save them on, the API that reads and
replaces them, the service's rules (range, one row per organisation), who may do what, and that
one organisation never sees or changes another's."""

import pytest

from licensing import selectors, services
from licensing.models import LicensingSettings
from msp_portal.errors import Invalid, NotAllowed

from .conftest import acting, subscription_of

JSON = "application/json"


def page_url(side, org=None) -> str:
    return f"/o/{(org or side.msp).slug}/licensing/settings/"


def licenses_url(side) -> str:
    return f"/o/{side.msp.slug}/licensing/"


def api_url(side, org=None) -> str:
    return f"/api/v1/orgs/{(org or side.msp).slug}/licensing-settings/"


def rows_of(side):
    return LicensingSettings.objects.for_tenant(side.msp)


def thresholds_of(side) -> tuple[int, int | None]:
    current = selectors.licensing_settings(organisation=side.msp)
    return current.near_capacity_percent, current.overallocation_alert_units


# --- the page -------------------------------------------------------------------------------------


def test_the_admin_saves_the_thresholds_and_the_near_capacity_count_follows(
    world, login, product, buy, assign
):
    item = product(world.a.distributor, name="Busy")
    buy(world.a, item, 10)
    for number in range(9):
        assign(world.a, subscription_of(world.a, item), f"User {number}")
    client = login(world.a.users["msp_admin"])
    assert client.get(licenses_url(world.a)).context["near_capacity_count"] == 1

    form = client.get(page_url(world.a))
    assert form.status_code == 200
    html = form.content.decode()
    assert "Licensing thresholds" in html and 'value="90"' in html

    saved = client.post(
        page_url(world.a), {"near_capacity_percent": "95", "overallocation_alert_units": "3"}, follow=True
    )
    assert saved.redirect_chain == [(licenses_url(world.a), 302)]
    assert "Licensing thresholds saved." in saved.content.decode()
    assert saved.context["near_capacity_count"] == 0
    assert thresholds_of(world.a) == (95, 3)

    cleared = client.post(
        page_url(world.a), {"near_capacity_percent": "90", "overallocation_alert_units": ""}
    )
    assert cleared.status_code == 302
    assert thresholds_of(world.a) == (90, None)
    assert rows_of(world.a).count() == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("near_capacity_percent", "0"),
        ("near_capacity_percent", "101"),
        ("near_capacity_percent", "abc"),
        ("near_capacity_percent", ""),
        ("overallocation_alert_units", "-1"),
        ("overallocation_alert_units", "abc"),
        ("overallocation_alert_units", "1000001"),
    ],
)
def test_an_invalid_value_is_refused_on_its_field_and_changes_nothing(world, login, field, value):
    client = login(world.a.users["msp_admin"])
    data = {"near_capacity_percent": "80", "overallocation_alert_units": "5", field: value}

    refused = client.post(page_url(world.a), data)

    assert refused.status_code == 400
    assert list(refused.context["form"].errors) == [field]
    assert f'id="id_{field}_error"' in refused.content.decode()
    assert not rows_of(world.a).exists()
    assert thresholds_of(world.a) == (90, None)


def test_saving_twice_keeps_one_row(world, login):
    client = login(world.a.users["msp_admin"])
    for percent in ("80", "85"):
        response = client.post(page_url(world.a), {"near_capacity_percent": percent})
        assert response.status_code == 302

    assert rows_of(world.a).count() == 1
    assert thresholds_of(world.a) == (85, None)


def test_only_those_who_manage_licensing_see_the_link_and_open_the_page(world, login):
    link = f'href="{page_url(world.a)}"'
    assert link in login(world.a.users["msp_admin"]).get(licenses_url(world.a)).content.decode()

    viewer = login(world.a.users["msp_viewer"])
    listed = viewer.get(licenses_url(world.a))
    assert listed.status_code == 200 and link not in listed.content.decode()
    assert viewer.get(page_url(world.a)).status_code == 403
    assert viewer.post(page_url(world.a), {"near_capacity_percent": "50"}).status_code == 403

    billing = login(world.a.users["msp_billing"])
    assert billing.get(licenses_url(world.a)).status_code == 403  # no licensing at all
    assert billing.post(page_url(world.a), {"near_capacity_percent": "50"}).status_code == 403

    assert not rows_of(world.a).exists()


def test_the_page_does_not_exist_for_a_distributor(world, login):
    client = login(world.a.users["dist_admin"])
    assert client.get(page_url(world.a, org=world.a.distributor)).status_code == 404


# --- the API --------------------------------------------------------------------------------------


def test_the_api_reads_the_defaults_then_replaces_the_thresholds(world, login):
    admin = login(world.a.users["msp_admin"])
    assert admin.get(api_url(world.a)).json() == {
        "near_capacity_percent": 90,
        "overallocation_alert_units": None,
        "several_seats_per_person": False,
    }

    replaced = admin.put(
        api_url(world.a), {"near_capacity_percent": 75, "overallocation_alert_units": 10}, content_type=JSON
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json() == {
        "near_capacity_percent": 75,
        "overallocation_alert_units": 10,
        "several_seats_per_person": False,
    }

    viewer = login(world.a.users["msp_viewer"])
    assert viewer.get(api_url(world.a)).json() == {
        "near_capacity_percent": 75,
        "overallocation_alert_units": 10,
        "several_seats_per_person": False,
    }
    again = admin.put(
        api_url(world.a), {"near_capacity_percent": 75, "overallocation_alert_units": None}, content_type=JSON
    )
    assert again.json()["overallocation_alert_units"] is None
    assert rows_of(world.a).count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"near_capacity_percent": 0, "overallocation_alert_units": None}, "near_capacity_percent"),
        ({"near_capacity_percent": 101, "overallocation_alert_units": None}, "near_capacity_percent"),
        ({"near_capacity_percent": "80", "overallocation_alert_units": None}, "near_capacity_percent"),
        ({"near_capacity_percent": 80.5, "overallocation_alert_units": None}, "near_capacity_percent"),
        ({"near_capacity_percent": 80, "overallocation_alert_units": -1}, "overallocation_alert_units"),
        ({"near_capacity_percent": 80, "overallocation_alert_units": "abc"}, "overallocation_alert_units"),
        ({"near_capacity_percent": 80}, "overallocation_alert_units"),
    ],
)
def test_the_api_refuses_an_invalid_value_with_the_usual_400(world, login, body, field):
    refused = login(world.a.users["msp_admin"]).put(api_url(world.a), body, content_type=JSON)

    assert refused.status_code == 400
    answer = refused.json()
    assert answer["status"] == 400 and answer["code"] == "invalid"
    assert list(answer["errors"]) == [field]
    assert not rows_of(world.a).exists()


def test_the_api_lets_viewers_read_but_only_admins_replace(world, login):
    body = {"near_capacity_percent": 50, "overallocation_alert_units": None}
    viewer = login(world.a.users["msp_viewer"])
    assert viewer.get(api_url(world.a)).status_code == 200
    assert viewer.put(api_url(world.a), body, content_type=JSON).status_code == 403

    billing = login(world.a.users["msp_billing"])
    assert billing.get(api_url(world.a)).status_code == 403
    assert billing.put(api_url(world.a), body, content_type=JSON).status_code == 403

    assert not rows_of(world.a).exists()


# --- two organisations ----------------------------------------------------------------------------


def test_an_organisation_never_reads_or_changes_anothers_thresholds(world, login):
    services.licensing_settings_update(
        tenant=acting(world.a),
        acting_user=world.a.users["msp_admin"],
        near_capacity_percent=63,
        overallocation_alert_units=7,
    )
    intruder = login(world.b.users["msp_admin"])
    body = {"near_capacity_percent": 12, "overallocation_alert_units": None}

    assert intruder.get(page_url(world.b, org=world.a.msp)).status_code == 404
    assert (
        intruder.post(page_url(world.b, org=world.a.msp), {"near_capacity_percent": "12"}).status_code == 404
    )
    assert intruder.get(api_url(world.b, org=world.a.msp)).status_code == 404
    assert intruder.put(api_url(world.b, org=world.a.msp), body, content_type=JSON).status_code == 404
    assert thresholds_of(world.a) == (63, 7)

    # B's own page and API show B's defaults, never A's values; B's save leaves A's row alone.
    assert 'value="63"' not in intruder.get(page_url(world.b)).content.decode()
    assert intruder.get(api_url(world.b)).json() == {
        "near_capacity_percent": 90,
        "overallocation_alert_units": None,
        "several_seats_per_person": False,
    }
    assert intruder.put(api_url(world.b), body, content_type=JSON).status_code == 200
    assert thresholds_of(world.b) == (12, None)
    assert thresholds_of(world.a) == (63, 7)


# --- the service ----------------------------------------------------------------------------------


def test_the_service_checks_the_role_and_the_ranges(world):
    with pytest.raises(NotAllowed):
        services.licensing_settings_update(
            tenant=acting(world.a, "msp_viewer"),
            acting_user=world.a.users["msp_viewer"],
            near_capacity_percent=50,
            overallocation_alert_units=None,
        )
    for percent, units, field in (
        (0, None, "near_capacity_percent"),
        (101, None, "near_capacity_percent"),
        (True, None, "near_capacity_percent"),
        ("abc", None, "near_capacity_percent"),
        (50, -1, "overallocation_alert_units"),
        (50, 1_000_001, "overallocation_alert_units"),
        (50, 2.5, "overallocation_alert_units"),
    ):
        with pytest.raises(Invalid) as refused:
            services.licensing_settings_update(
                tenant=acting(world.a),
                acting_user=world.a.users["msp_admin"],
                near_capacity_percent=percent,
                overallocation_alert_units=units,
            )
        assert list(refused.value.field_errors) == [field]
    assert not rows_of(world.a).exists()

    saved = services.licensing_settings_update(
        tenant=acting(world.a),
        acting_user=world.a.users["msp_admin"],
        near_capacity_percent=100,
        overallocation_alert_units=0,
    )
    assert (saved.near_capacity_percent, saved.overallocation_alert_units) == (100, 0)
