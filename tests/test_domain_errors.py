"""The one mapping from domain errors (msp_portal/errors.py) to HTTP: the same refusal gives the
same answer from a page and from the API (docs/errors.md, "Domain errors")."""

from importlib import import_module

import pytest
from django.conf import settings
from django.urls import path
from rest_framework.views import APIView

from msp_portal.errors import Conflict, Invalid, NotAllowed, NotFound, item_key, parse_item_key

REFUSALS = {
    "missing": NotFound(),
    "role": NotAllowed("Only an MSP buys licenses."),
    "changed": Conflict(),
    "invalid": Invalid("Buy from 1 to 999 licenses.", field_errors={"lines.2.quantity": ["From 1 to 999."]}),
}


def page(request, kind):
    raise REFUSALS[kind]


class Api(APIView):
    permission_classes = []

    def get(self, request, kind):
        raise REFUSALS[kind]


# The project's URLs and error views, plus two views that only raise.
_root = import_module(settings.ROOT_URLCONF)
urlpatterns = [
    path("page/<str:kind>/", page),
    path("api/v1/refusals/<str:kind>/", Api.as_view()),
    *_root.urlpatterns,
]
handler403, handler404 = _root.handler403, _root.handler404


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        (
            "missing",
            404,
            {
                "status": 404,
                "code": "not_found",
                "detail": "Not found, or not visible to you. Check the organisation and the identifier.",
            },
        ),
        (
            "role",
            403,
            {"status": 403, "code": "permission_denied", "detail": "Only an MSP buys licenses."},
        ),
        (
            "changed",
            409,
            {
                "status": 409,
                "code": "conflict",
                "detail": "This changed since you loaded it. "
                "Reload the page to see the current state and try again.",
            },
        ),
        (
            "invalid",
            400,
            {
                "status": 400,
                "code": "invalid",
                "detail": "Buy from 1 to 999 licenses.",
                "errors": {"lines.2.quantity": ["From 1 to 999."]},
            },
        ),
    ],
)
def test_the_api_answers_each_refusal_with_its_status_and_the_error_body(client, kind, status, body):
    response = client.get(f"/api/v1/refusals/{kind}/")

    assert response.status_code == status
    assert response.json() == body


@pytest.mark.urls(__name__)
def test_a_page_ends_with_the_404_page_when_its_service_finds_nothing(client):
    response = client.get("/page/missing/")

    assert response.status_code == 404


@pytest.mark.urls(__name__)
def test_a_page_ends_with_the_403_page_and_the_reason_when_the_role_is_refused(client):
    response = client.get("/page/role/")

    assert response.status_code == 403
    assert "Only an MSP buys licenses." in response.content.decode()


def test_item_keys_are_built_and_read_back():
    assert item_key("lines", 2, "quantity") == "lines.2.quantity"
    assert item_key("rows", 3) == "rows.3"
    assert parse_item_key("lines.2.quantity") == ("lines", 2, "quantity")
    assert parse_item_key("rows.3") == ("rows", 3, "")
    assert parse_item_key("quantity") is None
    assert parse_item_key("lines") is None
    assert parse_item_key("lines.²") is None, "only ASCII digits number an item"
