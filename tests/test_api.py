"""The API's shape: schema and docs served locally, /me/, tokens, and one error format."""

import pytest
from django.test import Client
from knox.models import AuthToken

from msp_portal.tenancy.models import Membership

from .factories import PASSWORD


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/orgs/{org_slug}/members/" in text
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs.lower()
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()


def test_token_login_gives_an_expiring_hashed_token_that_works(world):
    user = world.a.users["msp_billing"]
    client = Client()
    response = client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 201
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=user)
    assert token not in (stored.digest, stored.token_key + stored.digest)  # only a hash is kept
    assert stored.expiry is not None
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["user"]["email"] == user.email
    assert me.json()["memberships"][0]["role"] == "msp_billing"
    assert "view_billing" in me.json()["memberships"][0]["permissions"]
    # Logging out revokes it.
    assert client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 204
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_token_login_with_a_wrong_password_is_401_with_a_sentence(world):
    response = Client().post(
        "/api/v1/auth/token/",
        {"email": "msp_admin@a.example", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "code": "authentication_failed",
        "detail": "The e-mail address or password is not right.",
    }


@pytest.mark.parametrize(
    "method,path,body,status,code",
    [
        (
            "post",
            "/api/v1/orgs/msp-a/members/",
            {"email": "not-an-email", "role": "msp_viewer"},
            400,
            "invalid",
        ),
        (
            "post",
            "/api/v1/orgs/msp-a/members/",
            {"email": "msp_viewer@a.example", "role": "msp_viewer"},
            409,
            "conflict",
        ),
        ("get", "/api/v1/orgs/msp-b/members/", None, 404, "not_found"),
        ("get", "/api/v1/orgs/msp-a/members/999999/", None, 404, "not_found"),
        ("put", "/api/v1/orgs/msp-a/members/", {}, 405, "method_not_allowed"),
    ],
)
def test_errors_share_one_json_format(world, login, method, path, body, status, code):
    client = login(world.a.users["msp_admin"])
    response = getattr(client, method)(path, body, content_type="application/json")
    assert response.status_code == status
    payload = response.json()
    assert payload["status"] == status and payload["code"] == code
    assert isinstance(payload["detail"], str) and len(payload["detail"]) > 10


def test_a_field_error_names_the_field(world, login):
    client = login(world.a.users["msp_admin"])
    response = client.post(
        "/api/v1/orgs/msp-a/members/", {"role": "msp_viewer"}, content_type="application/json"
    )
    payload = response.json()
    assert payload["errors"] == {"email": ["This field is required."]}
    assert payload["detail"].startswith("email:")


def test_forbidden_explains_the_role(world, login):
    client = login(world.a.users["msp_viewer"])
    billing = Membership.objects.for_tenant(world.a.msp).get(role="msp_billing")
    response = client.delete(f"/api/v1/orgs/msp-a/members/{billing.pk}/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role in this organisation does not allow this action."


def test_healthz_reports_database_and_redis(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["redis"]["ok"]


def test_healthz_says_503_when_redis_is_unreachable(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True
