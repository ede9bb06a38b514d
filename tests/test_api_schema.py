"""Every API operation, fuzzed from its own OpenAPI schema (and with the hostile values of
tests/test_no_500.py mixed in): no server error, and every answer (status code, content type,
body) is one the schema documents."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

from msp_portal.tenancy.models import Membership

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())

# The shapes of tests/test_no_500.py, mixed into the generated bodies: now and then one property
# of a body (or the whole body) is replaced by one of them. The body then breaks the schema on
# purpose; the answer must still be a documented one (a 400 in the error body), never a 500.
HOSTILE_VALUES = [
    "x" * 1_000_000,
    "1e30",
    1e30,
    10**30,
    "NaN",
    -1,
    "9" * 5000,
    "a\x00b",
    ["1", "2"],
    {"a": 1},
    None,
    "a" * 250 + "@example.com",
]
DEEP = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]  # 34 levels


@schema.hook
def flatmap_body(context, body):
    if not isinstance(body, dict) or not body:
        return st.just(body)
    one_hostile = st.tuples(st.sampled_from(sorted(body)), st.sampled_from(HOSTILE_VALUES)).map(
        lambda pair: {**body, pair[0]: pair[1]}
    )
    return st.one_of(st.just(body), one_hostile, st.just(DEEP))


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request; Django's own test
    client switches that off so the test's transaction survives, and so do we."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(world, keep_test_connection):
    """A token of a person who is admin of both an MSP and a distributor, so that every
    operation can be reached."""
    user = world.a.users["msp_admin"]
    Membership.objects.create(organisation=world.a.distributor, user=user, role="dist_admin")
    return AuthToken.objects.create(user)[1]


@schema.parametrize()
@settings(
    # 20 examples per operation (hostile ones included) keep the run near a minute on two shared cores.
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_matches_its_schema(case, token, world):
    if "org_slug" in (case.path_parameters or {}):
        # Aim most calls at an organisation the caller belongs to, so that they go past the 404.
        distributor_only = (
            case.path.endswith("/msps/")
            or "/msp-accounts/" in case.path
            # MSPs read their distributor's catalog; only the distributor writes it.
            or ("/catalog/" in case.path and case.method != "GET")
        )
        case.path_parameters["org_slug"] = "dist-a" if distributor_only else "msp-a"
    headers = {"Authorization": f"Token {token}"}
    if case.path.endswith("/auth/logout/"):
        headers = {}  # do not revoke the token that the other examples use
    # Schema-valid input may still break a business rule (a role of the other organisation
    # kind, the last admin): that is a documented 400/409, not a failure.
    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
