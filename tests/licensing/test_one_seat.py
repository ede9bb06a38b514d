"""One license of a subscription per person (docs/licensing.md): an e-mail address that already
holds one is refused a second, by hand, through the API and in a bulk file, unless the MSP's
admins allow several on the thresholds page."""

import pytest

from licensing import services
from licensing.choices import Program
from msp_portal.errors import Conflict

from .conftest import acting, licenses_of, subscription_of


@pytest.fixture
def e3(world, product, buy):
    item = product(world.a.distributor, program=Program.TRUE_UP, sku="M365-E3")
    buy(world.a, item, 3)
    return subscription_of(world.a, item)


def give(side, subscription, email: str, name: str = "Ann"):
    tenant = acting(side)
    return services.license_assign(
        tenant=tenant,
        acting_user=tenant.membership.user,
        subscription_id=subscription.pk,
        assignee=services.Assignee(name=name, email=email),
    )


def held_by(side, subscription, email: str) -> int:
    return (
        licenses_of(side, subscription)
        .filter(assigned_at__isnull=False, assignee_email__iexact=email)
        .count()
    )


def allow_several(side, allowed: bool) -> None:
    services.licensing_settings_update(
        tenant=acting(side),
        acting_user=side.users["msp_admin"],
        near_capacity_percent=90,
        overallocation_alert_units=None,
        several_seats_per_person=allowed,
    )


def test_a_second_license_for_the_same_address_is_refused_on_its_field(world, e3):
    give(world.a, e3, "ann@customer.example")
    with pytest.raises(Conflict) as refused:
        give(world.a, e3, "ANN@customer.example", name="Ann again")
    assert refused.value.field_errors == {
        "email": ["This person already holds a license of this subscription."]
    }
    assert held_by(world.a, e3, "ann@customer.example") == 1
    # Another person, or a license given by name only, is not concerned.
    give(world.a, e3, "bob@customer.example", name="Bob")


def test_the_admins_may_allow_several_licenses_per_person(world, e3, login):
    give(world.a, e3, "ann@customer.example")
    client = login(world.a.users["msp_admin"])
    saved = client.post(
        f"/o/{world.a.msp.slug}/licensing/settings/",
        {"near_capacity_percent": "90", "overallocation_alert_units": "", "several_seats_per_person": "on"},
    )
    assert saved.status_code == 302
    give(world.a, e3, "ann@customer.example")
    assert held_by(world.a, e3, "ann@customer.example") == 2


def test_the_page_refuses_with_the_reason_and_assigns_nothing(world, e3, login):
    give(world.a, e3, "ann@customer.example")
    client = login(world.a.users["msp_admin"])
    response = client.post(
        f"/o/{world.a.msp.slug}/licensing/subscriptions/{e3.pk}/assign/",
        {"name": "Ann", "email": "ann@customer.example"},
    )
    assert response.status_code == 400  # the form again, the reason on the e-mail field
    assert "already holds a license" in response.content.decode()
    assert held_by(world.a, e3, "ann@customer.example") == 1


def test_a_bulk_file_naming_a_holder_or_a_person_twice_is_refused_by_row(world, e3):
    give(world.a, e3, "ann@customer.example")
    tenant = acting(world.a)
    raw = (
        b"sku,name,email\n"
        b"M365-E3,Ann,ann@customer.example\n"  # 2: already holds one
        b"M365-E3,Cid,cid@customer.example\n"  # 3: fine
        b"M365-E3,Cid,CID@customer.example\n"  # 4: twice in the file
    )
    result = services.licenses_bulk_assign(tenant=tenant, acting_user=tenant.membership.user, raw=raw)
    assert result.applied == 0
    assert [(e.line, e.column) for e in result.errors] == [(2, "email"), (4, "email")]
    assert held_by(world.a, e3, "cid@customer.example") == 0

    allow_several(world.a, True)
    result = services.licenses_bulk_assign(tenant=tenant, acting_user=tenant.membership.user, raw=raw)
    assert result.errors == [] and result.applied == 3


def test_the_rule_reads_only_the_organisations_own_setting(world, e3):
    """B allowing several seats changes nothing for A."""
    allow_several(world.b, True)
    give(world.a, e3, "ann@customer.example")
    with pytest.raises(Conflict):
        give(world.a, e3, "ann@customer.example")
