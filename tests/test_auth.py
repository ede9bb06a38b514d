"""Sign-in, sign-out, password change and reset, and throttling of repeated failures."""

import re

from django.core import mail
from django.test import Client

from msp_portal.notifications.outbox import outbox_sweep

from .factories import PASSWORD


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_sign_in_lands_on_the_dashboard_and_sign_out_ends_the_session(world):
    client = Client()
    response = sign_in(client, "msp_admin@a.example", PASSWORD)
    assert response.status_code == 302
    dashboard = client.get("/", follow=True)
    assert dashboard.request["PATH_INFO"] == "/o/msp-a/"
    assert "MSP A" in dashboard.content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/o/msp-a/").status_code == 302


def test_wrong_password_shows_a_clear_error(world):
    response = sign_in(Client(), "msp_admin@a.example", "wrong")
    assert response.status_code == 200
    assert "correct e-mail address and password" in response.content.decode()


def test_repeated_failures_lock_the_account_from_that_address(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "msp_admin@a.example", "wrong").status_code == 200
    # The failure that reaches the limit locks the account from this address at once ...
    assert sign_in(client, "msp_admin@a.example", "wrong").status_code == 429
    # ... and even the right password is refused while the lock lasts.
    locked = sign_in(client, "msp_admin@a.example", PASSWORD)
    assert locked.status_code == 429
    assert "Sign-in temporarily blocked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not punished for it.
    assert sign_in(Client(), "msp_viewer@a.example", PASSWORD).status_code == 302


def test_token_endpoint_is_throttled_by_the_same_lockout(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/api/v1/auth/token/",
            {"email": "msp_admin@a.example", "password": "x"},
            content_type="application/json",
        )
    response = client.post(
        "/api/v1/auth/token/",
        {"email": "msp_admin@a.example", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.json()["detail"]


def test_password_change(world, login):
    client = login(world.a.users["msp_viewer"])
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "A-much-better-pass-42",
            "new_password2": "A-much-better-pass-42",
        },
    )
    assert response.status_code == 302
    assert sign_in(Client(), "msp_viewer@a.example", "A-much-better-pass-42").status_code == 302


def test_password_reset_by_email(world):
    client = Client()
    client.post("/accounts/password_reset/", {"email": "msp_viewer@a.example"})
    assert not mail.outbox  # written to the outbox in the request, sent by a worker (docs/notifications.md)
    assert outbox_sweep() == 1
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    set_url = form_page.request["PATH_INFO"]
    response = client.post(set_url, {"new_password1": "Reset-pass-9876", "new_password2": "Reset-pass-9876"})
    assert response.status_code == 302
    assert sign_in(Client(), "msp_viewer@a.example", "Reset-pass-9876").status_code == 302
