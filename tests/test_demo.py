from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled

from msp_portal.demo import DEMO_PASSWORD, DEMO_USERS
from msp_portal.tenancy.models import Membership, Organisation, User


def counts():
    with scopes_disabled():
        return (Organisation.objects.count(), User.objects.count(), Membership.objects.count())


def test_demo_data_twice_leaves_the_same_counts(db):
    call_command("demo_data")
    first = counts()
    call_command("demo_data")
    assert counts() == first
    assert first[0] == 3 and first[1] == len(DEMO_USERS)


def test_every_demo_login_works(db):
    call_command("demo_data")
    for spec in DEMO_USERS:
        response = Client().post("/accounts/login/", {"username": spec.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, spec.email
