"""The account switch that surcharges over-declared lines too (docs/reports.md, "Penalties"):
the distributor admin's form and list, the API, and who may change it."""

import re

from msp_portal.tenancy.resolve import resolve_tenant
from reports import accounts
from reports.models import MspAccountSettings

from .test_account_settings import FORM, api, page


def switch_input(html: str) -> str:
    """The switch's <input> tag on the form page."""
    (tag,) = re.findall(r'<input[^>]*name="surcharge_over_declared"[^>]*>', html)
    return tag


def settings_of(msp) -> MspAccountSettings:
    return MspAccountSettings.objects.for_tenant(msp).get()


def test_admin_turns_the_switch_on_and_off_in_the_form_and_sees_it_listed(world, login):
    client = login(world.a.users["dist_admin"])
    url = page(world.a.distributor, f"{world.a.msp.pk}/")
    form = client.get(url).content.decode()
    assert 'name="surcharge_over_declared"' in form and "Surcharge over-declared lines too" in form
    assert "lowers the bill" in form  # the help text says why it is off by default

    client.post(url, {**FORM, "surcharge_over_declared": "on"})
    assert settings_of(world.a.msp).surcharge_over_declared is True
    assert "over-declared lines too" in client.get(page(world.a.distributor)).content.decode()
    assert "checked" in switch_input(client.get(url).content.decode())

    client.post(url, FORM)  # an unticked box is not sent: off
    assert settings_of(world.a.msp).surcharge_over_declared is False
    assert "over-declared lines too" not in client.get(page(world.a.distributor)).content.decode()


def test_the_csv_says_whether_over_declared_lines_are_surcharged(world, login):
    client = login(world.a.users["dist_admin"])
    client.post(page(world.a.distributor, f"{world.a.msp.pk}/"), {**FORM, "surcharge_over_declared": "on"})
    response = client.get(page(world.a.distributor, "?format=csv"))
    header, row = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    columns = header.split(",")
    assert "Surcharge over-declared lines" in columns
    assert row.split(",")[columns.index("Surcharge over-declared lines")] == "yes"


def test_api_reads_the_switch_off_by_default_and_changes_it(world, login):
    client = login(world.a.users["dist_admin"])
    url = api(world.a.distributor, f"{world.a.msp.pk}/settings/")
    assert client.get(url).json()["surcharge_over_declared"] is False
    listed = client.get(api(world.a.distributor)).json()["results"][0]["settings"]
    assert listed["surcharge_over_declared"] is False

    patched = client.patch(url, {"surcharge_over_declared": True}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["surcharge_over_declared"] is True

    # A PUT written before the field existed leaves it as it was.
    body = {
        "auto_submit_days": 10,
        "penalty_kind": "percent",
        "penalty_percent": "10",
        "penalty_minimum": "0",
        "auto_approve_clean": False,
        "reminder_days": [7],
    }
    assert client.put(url, body, content_type="application/json").json()["surcharge_over_declared"] is True
    assert settings_of(world.a.msp).surcharge_over_declared is True


def test_api_refuses_anything_but_true_or_false_and_names_the_field(world, login):
    response = login(world.a.users["dist_admin"]).patch(
        api(world.a.distributor, f"{world.a.msp.pk}/settings/"),
        {"surcharge_over_declared": "yes"},
        content_type="application/json",
    )
    assert response.status_code == 400 and list(response.json()["errors"]) == ["surcharge_over_declared"]
    assert not MspAccountSettings.objects.for_tenant(world.a.msp).exists()


def test_the_service_refuses_a_non_boolean_with_the_fields_name(world):
    tenant = resolve_tenant(user=world.a.users["dist_admin"], org_slug=world.a.distributor.slug)
    try:
        accounts.account_settings_update(
            tenant=tenant,
            acting_user=world.a.users["dist_admin"],
            msp_id=world.a.msp.pk,
            data={"surcharge_over_declared": "1"},
        )
    except Exception as refused:  # msp_portal.errors.Invalid
        assert list(refused.field_errors) == ["surcharge_over_declared"]
        assert refused.field_errors["surcharge_over_declared"][0].startswith("Surcharge over-declared lines:")
    else:
        raise AssertionError("a text was accepted as a boolean")


def test_reviewer_may_not_change_it_and_another_distributors_msp_is_not_found(world, login):
    reviewer = login(world.a.users["dist_reviewer"])
    url = api(world.a.distributor, f"{world.a.msp.pk}/settings/")
    assert reviewer.get(url).json()["surcharge_over_declared"] is False
    refused = reviewer.patch(url, {"surcharge_over_declared": True}, content_type="application/json")
    assert refused.status_code == 403
    form = reviewer.get(page(world.a.distributor, f"{world.a.msp.pk}/")).content.decode()
    assert (
        'name="surcharge_over_declared"' in form
        and "disabled" in form.split('name="surcharge_over_declared"')[1][:80]
    )

    admin = login(world.a.users["dist_admin"])
    other = world.b.msp.pk
    for response in (
        admin.patch(
            api(world.a.distributor, f"{other}/settings/"),
            {"surcharge_over_declared": True},
            content_type="application/json",
        ),
        admin.post(page(world.a.distributor, f"{other}/"), {**FORM, "surcharge_over_declared": "on"}),
    ):
        assert response.status_code == 404
    assert not MspAccountSettings.objects.for_tenant(world.b.msp).exists()
