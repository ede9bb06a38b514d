"""Shared fixtures. Every test world has two distributors, each serving MSPs, so that a test
can always ask: does anything of the other organisation show?"""

from dataclasses import dataclass, field

import pytest
from django.test import Client

from msp_portal.tenancy.models import Organisation, User

from .factories import PASSWORD, DistributorFactory, MembershipFactory, MspFactory, UserFactory


@dataclass
class Side:
    """One distributor, one MSP it serves, and a user for every role."""

    distributor: Organisation
    msp: Organisation
    users: dict[str, User] = field(default_factory=dict)

    def org_of(self, role: str) -> Organisation:
        return self.distributor if role.startswith("dist_") else self.msp


@dataclass
class World:
    a: Side
    b: Side


def make_side(label: str) -> Side:
    distributor = DistributorFactory(name=f"Distributor {label.upper()}", slug=f"dist-{label}")
    msp = MspFactory(name=f"MSP {label.upper()}", slug=f"msp-{label}", distributor=distributor)
    side = Side(distributor=distributor, msp=msp)
    for role in ("msp_admin", "msp_billing", "msp_viewer", "dist_admin", "dist_reviewer"):
        user = UserFactory(email=f"{role}@{label}.example")
        MembershipFactory(organisation=side.org_of(role), user=user, role=role)
        side.users[role] = user
    return side


@pytest.fixture
def world(db) -> World:
    return World(a=make_side("a"), b=make_side("b"))


@pytest.fixture
def login():
    """``login(user)`` → a test client signed in as that user (through the real login form)."""

    def _login(user: User) -> Client:
        client = Client()
        response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302, "login failed"
        return client

    return _login


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
