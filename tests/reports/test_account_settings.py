"""The distributor's MSP account settings: the page and the API, who may read and change them,
the validation messages, one row per account whatever the saves, and that existing deadlines
stay where they were."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from msp_portal.errors import DomainError, NotAllowed
from msp_portal.tenancy.resolve import resolve_tenant
from reports import accounts
from reports.models import MspAccountSettings, UsageReport
from tests.factories import MspFactory


def page(org, path=""):
    return f"/o/{org.slug}/reports/accounts/{path}"


def api(org, path=""):
    return f"/api/v1/orgs/{org.slug}/msp-accounts/{path}"


def settings_of(msp) -> MspAccountSettings:
    return MspAccountSettings.objects.for_tenant(msp).get()


FORM = {
    "auto_submit_days": "14",
    "penalty_kind": "percent",
    "penalty_percent": "7.5",
    "penalty_minimum": "25",
    "auto_approve_clean": "on",
    "reminder_days": "3, 10, 3, 1",
}


def test_admin_lists_only_the_msps_served_and_edits_one_through_the_page(world, login):
    client = login(world.a.users["dist_admin"])
    html = client.get(page(world.a.distributor)).content.decode()
    assert "MSP A" in html and "MSP B" not in html
    assert "Default settings" in html and "10 days" in html
    assert (
        f'href="{page(world.a.distributor)}"'
        in client.get(f"/o/{world.a.distributor.slug}/").content.decode()
    )

    form = client.get(page(world.a.distributor, f"{world.a.msp.pk}/")).content.decode()
    assert 'value="7, 3, 1"' in form and "from now on" in form

    response = client.post(page(world.a.distributor, f"{world.a.msp.pk}/"), FORM, follow=True)
    assert response.redirect_chain[-1][0] == page(world.a.distributor)
    assert "Settings of MSP A saved" in response.content.decode()
    saved = settings_of(world.a.msp)
    assert saved.auto_submit_days == 14
    assert (saved.penalty_kind, saved.penalty_percent, saved.penalty_minimum) == (
        "percent",
        Decimal("7.50"),
        Decimal("25.00"),
    )
    assert saved.auto_approve_clean is True
    assert saved.reminder_days == [10, 3, 1]  # once each, furthest first
    assert saved.updated_by == world.a.users["dist_admin"]


def test_no_surcharge_stores_percentage_and_minimum_as_zero(world, login):
    client = login(world.a.users["dist_admin"])
    client.post(page(world.a.distributor, f"{world.a.msp.pk}/"), FORM)
    client.post(
        page(world.a.distributor, f"{world.a.msp.pk}/"),
        {**FORM, "penalty_kind": "none", "reminder_days": ""},
    )
    saved = settings_of(world.a.msp)
    assert (saved.penalty_kind, saved.penalty_percent, saved.penalty_minimum) == ("none", 0, 0)
    assert saved.reminder_days == []


@pytest.mark.parametrize(
    "changes, field, text",
    [
        ({"reminder_days": "7; 3"}, "reminder_days", "Reminders: “7; 3” is not a whole number of days"),
        ({"reminder_days": "7, , 1"}, "reminder_days", "Reminders: “” is not a whole number of days"),
        ({"reminder_days": "91, 1"}, "reminder_days", "Reminders: each reminder is a whole number of days"),
        ({"reminder_days": "0"}, "reminder_days", "Reminders: each reminder is a whole number of days"),
        ({"auto_submit_days": "91"}, "auto_submit_days", "Auto-submit delay: give a whole number of days"),
        ({"auto_submit_days": "ten"}, "auto_submit_days", "Auto-submit delay: give a whole number of days"),
        ({"penalty_percent": "0"}, "penalty_percent", "Surcharge percentage: give a percentage above 0"),
        ({"penalty_percent": "100.5"}, "penalty_percent", "Surcharge percentage: give a percentage above 0"),
        ({"penalty_percent": "1.234"}, "penalty_percent", "Surcharge percentage: give a percentage above 0"),
        ({"penalty_minimum": "-1"}, "penalty_minimum", "Minimum surcharge per line: give an amount"),
        ({"penalty_kind": "fine"}, "penalty_kind", "Penalty surcharge: choose one of the options."),
    ],
)
def test_page_refusals_name_the_field_and_save_nothing(world, login, changes, field, text):
    client = login(world.a.users["dist_admin"])
    response = client.post(page(world.a.distributor, f"{world.a.msp.pk}/"), {**FORM, **changes})
    html = response.content.decode()
    assert response.status_code == 400
    assert text in html
    assert f'id="id_{field}_error"' in html  # shown next to the field
    assert not MspAccountSettings.objects.for_tenant(world.a.msp).exists()


def test_reviewer_reads_but_cannot_change(world, login):
    client = login(world.a.users["dist_reviewer"])
    assert client.get(page(world.a.distributor)).status_code == 200
    form = client.get(page(world.a.distributor, f"{world.a.msp.pk}/")).content.decode()
    assert "Only distributor admins can change these settings." in form and "disabled" in form
    assert client.post(page(world.a.distributor, f"{world.a.msp.pk}/"), FORM).status_code == 403
    assert client.get(api(world.a.distributor, f"{world.a.msp.pk}/settings/")).status_code == 200
    for method in ("put", "patch"):
        response = getattr(client, method)(
            api(world.a.distributor, f"{world.a.msp.pk}/settings/"),
            {"auto_submit_days": 5},
            content_type="application/json",
        )
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    tenant = resolve_tenant(user=world.a.users["dist_reviewer"], org_slug=world.a.distributor.slug)
    with pytest.raises(NotAllowed):
        accounts.account_settings_update(
            tenant=tenant, acting_user=world.a.users["dist_reviewer"], msp_id=world.a.msp.pk, data={}
        )
    assert not MspAccountSettings.objects.for_tenant(world.a.msp).exists()


@pytest.mark.parametrize("role", ["msp_admin", "msp_viewer"])
def test_msp_users_have_no_such_pages(world, login, role):
    client = login(world.a.users[role])
    for url in (
        page(world.a.msp),
        page(world.a.msp, f"{world.a.msp.pk}/"),
        api(world.a.msp),
        api(world.a.msp, f"{world.a.msp.pk}/settings/"),
        page(world.a.distributor),  # not a member of the distributor
        api(world.a.distributor, f"{world.a.msp.pk}/settings/"),
    ):
        assert client.get(url).status_code == 404, url
    nav = client.get(f"/o/{world.a.msp.slug}/").content.decode()
    assert "MSP account settings" not in nav


def test_another_distributors_msp_is_not_found(world, login):
    client = login(world.a.users["dist_admin"])
    other = world.b.msp.pk
    assert client.get(page(world.a.distributor, f"{other}/")).status_code == 404
    assert client.post(page(world.a.distributor, f"{other}/"), FORM).status_code == 404
    assert client.get(api(world.a.distributor, f"{other}/settings/")).status_code == 404
    response = client.put(
        api(world.a.distributor, f"{other}/settings/"),
        {"auto_submit_days": 5},
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    # The distributor's own id is no MSP either.
    assert client.get(page(world.a.distributor, f"{world.a.distributor.pk}/")).status_code == 404
    assert not MspAccountSettings.objects.for_tenant(world.b.msp).exists()


def test_double_submit_keeps_one_row(world, login):
    client = login(world.a.users["dist_admin"])
    for days in ("12", "13"):
        assert client.post(
            page(world.a.distributor, f"{world.a.msp.pk}/"), {**FORM, "auto_submit_days": days}
        )
    assert MspAccountSettings.objects.for_tenant(world.a.msp).count() == 1
    assert settings_of(world.a.msp).auto_submit_days == 13


def test_csv_export_lists_every_account_with_its_settings(world, login):
    MspFactory(name="MSP A2", slug="msp-a2", distributor=world.a.distributor)
    client = login(world.a.users["dist_admin"])
    client.post(page(world.a.distributor, f"{world.a.msp.pk}/"), FORM)
    response = client.get(page(world.a.distributor, "?format=csv"))
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("MSP,Slug,Auto-submit delay (days),Penalty surcharge")
    assert lines[1].startswith(
        'MSP A,msp-a,14,A percentage of the discrepancy\'s value,7.50,25.00,no,yes,"10, 3, 1",'
    )
    assert lines[1].endswith("dist_admin@a.example")
    assert lines[2].startswith('MSP A2,msp-a2,10,None: the reset only,0.00,0.00,no,no,"7, 3, 1",,')
    assert len(lines) == 3  # nothing of distributor B
    searched = client.get(page(world.a.distributor, "?format=csv&q=a2"))
    assert len(b"".join(searched.streaming_content).decode("utf-8-sig").strip().splitlines()) == 2


def test_list_searches_pages_and_explains_an_empty_result(world, login):
    for number in range(30):
        MspFactory(name=f"Zeta {number:02}", slug=f"zeta-{number:02}", distributor=world.a.distributor)
    client = login(world.a.users["dist_reviewer"])
    first = client.get(page(world.a.distributor, "?q=zeta")).content.decode()
    assert "30 accounts" in first and "Zeta 24" in first and "Zeta 25" not in first
    assert "Zeta 25" in client.get(page(world.a.distributor, "?q=zeta&page=2")).content.decode()
    assert (
        "No MSP matches this search" in client.get(page(world.a.distributor, "?q=nothing")).content.decode()
    )


def test_list_reads_the_settings_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for number in range(5):
        MspFactory(name=f"Zeta {number}", slug=f"zeta-{number}", distributor=world.a.distributor)
    tenant = resolve_tenant(user=world.a.users["dist_admin"], org_slug=world.a.distributor.slug)
    with django_assert_max_num_queries(3):
        rows = accounts.account_settings_list(tenant=tenant)
    assert [row.msp.name for row in rows][:2] == ["MSP A", "Zeta 0"] and all(row.is_default for row in rows)


def test_changes_apply_to_new_deadlines_only(world, login, open_report):
    report = open_report(world.a.msp, cycle=dt.date(2026, 9, 1))
    before = report.deadline
    response = login(world.a.users["dist_admin"]).patch(
        api(world.a.distributor, f"{world.a.msp.pk}/settings/"),
        {"auto_submit_days": 30},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert UsageReport.objects.for_tenant(world.a.msp).get(pk=report.pk).deadline == before
    later = open_report(world.a.msp, cycle=dt.date(2026, 10, 1))
    assert later.deadline - later.opened_at > dt.timedelta(days=30)


def test_api_lists_reads_and_replaces_settings(world, login):
    client = login(world.a.users["dist_admin"])
    listed = client.get(api(world.a.distributor)).json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert (row["id"], row["slug"], row["settings"]["auto_submit_days"]) == (world.a.msp.pk, "msp-a", 10)
    assert row["settings"]["is_default"] is True and row["settings"]["reminder_days"] == [7, 3, 1]

    body = {
        "auto_submit_days": 20,
        "penalty_kind": "percent",
        "penalty_percent": "12.5",
        "penalty_minimum": "10.00",
        "auto_approve_clean": True,
        "reminder_days": [1, 5, 5, 14],
    }
    url = api(world.a.distributor, f"{world.a.msp.pk}/settings/")
    saved = client.put(url, body, content_type="application/json")
    assert saved.status_code == 200, saved.json()
    data = saved.json()
    assert data["penalty_percent"] == "12.50" and data["reminder_days"] == [14, 5, 1]
    assert data["updated_by"] == "dist_admin@a.example" and data["is_default"] is False
    assert client.get(url).json() == data

    # PUT needs every field; PATCH changes the ones sent.
    incomplete = client.put(url, {"auto_submit_days": 20}, content_type="application/json")
    assert incomplete.status_code == 400 and "penalty_kind" in incomplete.json()["errors"]
    patched = client.patch(url, {"penalty_kind": "none"}, content_type="application/json").json()
    assert (patched["penalty_percent"], patched["penalty_minimum"], patched["auto_submit_days"]) == (
        "0.00",
        "0.00",
        20,
    )
    assert MspAccountSettings.objects.for_tenant(world.a.msp).count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"auto_submit_days": "7"}, "auto_submit_days"),
        ({"auto_submit_days": 0}, "auto_submit_days"),
        ({"auto_approve_clean": "yes"}, "auto_approve_clean"),
        ({"penalty_kind": "percent"}, "penalty_percent"),  # percent stays 0: refused by the service
        ({"penalty_kind": 1}, "penalty_kind"),
        ({"reminder_days": [7, 91]}, "reminder_days"),
        ({"reminder_days": ["7"]}, "reminder_days"),  # a number, not text
        ({"reminder_days": list(range(1, 12))}, "reminder_days"),
        ({"penalty_percent": "abc"}, "penalty_percent"),
    ],
)
def test_api_refusals_name_the_field(world, login, body, field):
    response = login(world.a.users["dist_admin"]).patch(
        api(world.a.distributor, f"{world.a.msp.pk}/settings/"), body, content_type="application/json"
    )
    error = response.json()
    assert response.status_code == 400, error
    assert error["status"] == 400 and error["code"] == "invalid"
    assert list(error["errors"]) == [field]
    assert error["detail"]
    assert not MspAccountSettings.objects.for_tenant(world.a.msp).exists()


def test_service_refuses_unknown_settings(world):
    tenant = resolve_tenant(user=world.a.users["dist_admin"], org_slug=world.a.distributor.slug)
    with pytest.raises(DomainError) as refused:
        accounts.account_settings_update(
            tenant=tenant, acting_user=world.a.users["dist_admin"], msp_id=world.a.msp.pk, data={"colour": 1}
        )
    assert list(refused.value.field_errors) == ["colour"]


@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_make_one_row(world, monkeypatch):
    """Two admins save an account that has no row yet, on two connections at the same moment."""
    barrier = threading.Barrier(2, timeout=20)
    original = accounts.account_settings_get

    def meet_then_get(**kwargs):
        row = original(**kwargs)
        barrier.wait()  # both past the lookup, neither has locked or inserted yet
        return row

    monkeypatch.setattr(accounts, "account_settings_get", meet_then_get)
    user = world.a.users["dist_admin"]
    results: dict[int, object] = {}

    def save(index, days):
        try:
            tenant = resolve_tenant(user=user, org_slug=world.a.distributor.slug)
            results[index] = accounts.account_settings_update(
                tenant=tenant, acting_user=user, msp_id=world.a.msp.pk, data={"auto_submit_days": days}
            )
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(index, days)) for index, days in enumerate((11, 12))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(isinstance(result, MspAccountSettings) for result in results.values()), results
    assert MspAccountSettings.objects.for_tenant(world.a.msp).count() == 1
    assert settings_of(world.a.msp).auto_submit_days in (11, 12)
