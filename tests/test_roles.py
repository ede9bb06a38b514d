"""Role checks: what each role may do with members (pages and API)."""

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from msp_portal.tenancy.models import Membership


def members_url(org, api=False):
    return f"/api/v1/orgs/{org.slug}/members/" if api else f"/o/{org.slug}/members/"


@pytest.mark.parametrize("role", ["msp_viewer", "msp_billing"])
def test_non_admin_of_msp_cannot_invite_change_or_remove(world, login, role):
    client = login(world.a.users[role])
    msp = world.a.msp
    admin_membership = Membership.objects.for_tenant(msp).get(role="msp_admin")
    invite = {"email": "new@a.example", "role": "msp_viewer"}
    assert client.post(members_url(msp) + "invite/", invite).status_code == 403
    assert client.post(members_url(msp, api=True), invite, content_type="application/json").status_code == 403
    assert (
        client.post(f"{members_url(msp)}{admin_membership.pk}/role/", {"role": "msp_viewer"}).status_code
        == 403
    )
    assert client.post(f"{members_url(msp)}{admin_membership.pk}/remove/").status_code == 403
    api_detail = f"{members_url(msp, api=True)}{admin_membership.pk}/"
    assert (
        client.patch(api_detail, {"role": "msp_viewer"}, content_type="application/json").status_code == 403
    )
    assert client.delete(api_detail).status_code == 403
    assert Membership.objects.for_tenant(msp).get(pk=admin_membership.pk).role == "msp_admin"
    # Reading the member list is open to every member.
    assert client.get(members_url(msp)).status_code == 200


def test_reviewer_cannot_manage_distributor_members(world, login):
    client = login(world.a.users["dist_reviewer"])
    response = client.post(
        members_url(world.a.distributor, api=True),
        {"email": "x@a.example", "role": "dist_reviewer"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_admin_invites_a_new_person_who_gets_a_set_password_link(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.a.users["msp_admin"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            members_url(world.a.msp) + "invite/",
            {
                "email": "New.Person@A.example",
                "first_name": "New",
                "last_name": "Person",
                "role": "msp_billing",
            },
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # the e-mail is offered to a worker only once the membership is committed
    membership = Membership.objects.for_tenant(world.a.msp).get(user__email="new.person@a.example")
    assert membership.role == "msp_billing"
    assert not membership.user.has_usable_password()
    from msp_portal.notifications.models import OutboxEmail
    from msp_portal.notifications.outbox import outbox_email_send

    email = OutboxEmail.objects.get(kind="invitation", to="new.person@a.example")
    assert outbox_email_send(email_id=email.pk)
    assert mail.outbox[-1].to == ["new.person@a.example"]
    assert "/accounts/reset/" in mail.outbox[-1].body


def test_invite_refuses_a_role_of_the_other_kind_and_a_duplicate(world, login):
    client = login(world.a.users["msp_admin"])
    url = members_url(world.a.msp, api=True)
    wrong_kind = client.post(
        url, {"email": "z@a.example", "role": "dist_admin"}, content_type="application/json"
    )
    assert wrong_kind.status_code == 400
    assert "role" in wrong_kind.json()["errors"]
    duplicate = client.post(
        url, {"email": "msp_viewer@a.example", "role": "msp_viewer"}, content_type="application/json"
    )
    assert duplicate.status_code == 409
    assert "already a member" in duplicate.json()["detail"]


def test_last_admin_can_be_neither_demoted_nor_removed(world, login):
    client = login(world.a.users["msp_admin"])
    own = Membership.objects.for_tenant(world.a.msp).get(role="msp_admin")
    url = f"{members_url(world.a.msp, api=True)}{own.pk}/"
    demote = client.patch(url, {"role": "msp_viewer"}, content_type="application/json")
    assert demote.status_code == 409
    assert "last admin" in demote.json()["detail"]
    assert client.delete(url).status_code == 409
    with scopes_disabled():
        assert Membership.objects.get(pk=own.pk).role == "msp_admin"


def test_admin_changes_a_role_inline_with_htmx(world, login):
    client = login(world.a.users["msp_admin"])
    viewer = Membership.objects.for_tenant(world.a.msp).get(role="msp_viewer")
    response = client.post(
        f"{members_url(world.a.msp)}{viewer.pk}/role/", {"role": "msp_billing"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<tr" in response.content.decode() and "<html" not in response.content.decode()
    viewer.refresh_from_db()
    assert viewer.role == "msp_billing"


def test_admin_removes_a_member(world, login):
    client = login(world.a.users["msp_admin"])
    viewer = Membership.objects.for_tenant(world.a.msp).get(role="msp_viewer")
    response = client.post(f"{members_url(world.a.msp)}{viewer.pk}/remove/", follow=True)
    assert "no longer has access" in response.content.decode()
    assert not Membership.objects.for_tenant(world.a.msp).filter(pk=viewer.pk).exists()
    # The removed person can no longer open the organisation.
    assert login(world.a.users["msp_viewer"]).get(f"/o/{world.a.msp.slug}/").status_code == 404


def test_members_csv_export(world, login):
    client = login(world.a.users["msp_viewer"])
    response = client.get(members_url(world.a.msp) + "?format=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("E-mail,Name,Role")
    assert len(lines) == 4 and "@b.example" not in body
