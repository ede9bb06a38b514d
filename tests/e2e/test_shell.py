"""The browser shell: sign in, dashboards per role, organisation and language switchers, members."""

import pytest
from playwright.sync_api import expect

from msp_portal.tenancy.models import Membership

from ..factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_msp_admin_signs_in_switches_organisation_and_language(world, page, shot):
    user = world.a.users["msp_admin"]
    Membership.objects.create(organisation=world.b.msp, user=user, role="msp_viewer")
    page.goto("/")
    shot(page, "01-sign-in")
    sign_in(page, user.email)
    expect(page.locator("h1")).to_have_text("MSP A")
    shot(page, "02-dashboard-msp")

    # The organisation switcher lists both organisations; choosing B opens B's dashboard.
    page.locator(".org-switcher summary").click()
    page.locator(".org-switcher").get_by_role("link", name="MSP B").click()
    expect(page.locator("h1")).to_have_text("MSP B")
    assert "/o/msp-b/" in page.url

    # Switching to French translates the whole shell.
    page.locator(".lang-switcher summary, .lang-switcher button").first.click()
    page.locator(".lang-switcher").get_by_role("button", name="Français").click()
    expect(page.locator("nav.sidebar-nav")).to_contain_text("Tableau de bord")
    expect(page.locator("nav.sidebar-nav")).to_contain_text("Membres")
    shot(page, "03-dashboard-french")


def test_admin_invites_changes_role_inline_and_removes_a_member(world, page, shot):
    sign_in(page, world.a.users["msp_admin"].email)
    page.goto(f"/o/{world.a.msp.slug}/members/")
    expect(page.locator("table")).to_contain_text("msp_viewer@a.example")

    page.fill("#invite input[name=email]", "new.colleague@a.example")
    page.select_option("#invite select[name=role]", "msp_billing")
    page.click("#invite button[type=submit]")
    expect(page.locator(".alert")).to_contain_text("new.colleague@a.example was added")
    # The text can be there before htmx has wired the new page (its deferred script runs at
    # DOMContentLoaded): a change made earlier would be a plain change, never posted.
    page.wait_for_load_state("load")
    row = page.locator("tr", has_text="new.colleague@a.example")
    expect(row).to_contain_text("new.colleague@a.example")

    # Inline role change without a page reload (htmx swaps the row in place).
    page.evaluate("window.__marker = 'same page'")
    row.locator("select[name=role]").select_option("msp_viewer")
    expect(row.locator(".cell-message")).to_contain_text("is now MSP viewer")
    assert page.evaluate("window.__marker") == "same page"
    membership = Membership.objects.for_tenant(world.a.msp).get(user__email="new.colleague@a.example")
    assert membership.role == "msp_viewer"
    shot(page, "members-after-role-change")

    row.get_by_role("button", name="Remove").click()
    page.get_by_role("dialog", name="Please confirm").get_by_role("button", name="Confirm").click()
    expect(page.locator(".alert")).to_contain_text("no longer has access")
    expect(page.locator("table")).not_to_contain_text("new.colleague@a.example")


def test_viewer_sees_members_without_admin_actions(world, page):
    sign_in(page, world.a.users["msp_viewer"].email)
    page.goto(f"/o/{world.a.msp.slug}/members/")
    expect(page.locator("table")).to_contain_text("msp_admin@a.example")
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    expect(page.locator("#invite")).to_have_count(0)
