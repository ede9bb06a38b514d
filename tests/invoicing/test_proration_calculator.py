"""The proration calculator (docs/invoicing.md, "Proration"): the page and the API give the
worked example's figures to every member of an MSP or a distributor, refuse a change outside its
cycle, a negative count and a price that is not a decimal by naming the field, and answer 404 to
someone outside the organisation."""

import pytest

ROLES = ("msp_admin", "msp_billing", "msp_viewer", "dist_admin", "dist_reviewer")
EXAMPLE = {
    "unit_price": "10.00",
    "cycle_start": "2023-06-10",
    "change_date": "2023-06-20",
    "old_quantity": 10,
    "new_quantity": 15,
}
EXAMPLE_RESULT = {
    "daily_rate": "0.33333333",
    "days": 20,
    "refund": "66.66",
    "charge": "99.99",
    "month_total": "133.33",
}


def page_url(org) -> str:
    return f"/o/{org.slug}/billing/proration/"


def api_url(org) -> str:
    return f"/api/v1/orgs/{org.slug}/billing/proration/"


def post(client, org, body):
    return client.post(api_url(org), body, content_type="application/json")


# --- API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_member_gets_the_worked_example(world, login, role):
    client = login(world.a.users[role])
    response = post(client, world.a.org_of(role), EXAMPLE)
    assert response.status_code == 200, response.content
    assert response.json() == EXAMPLE_RESULT
    # money as text, days as a JSON integer
    assert '"refund":"66.66"' in response.content.decode().replace(" ", "")
    assert '"days":20' in response.content.decode().replace(" ", "")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("change_date", "2023-07-10"),  # the day after the cycle's last day (July 9)
        ("change_date", "2023-06-09"),  # the day before it starts
        ("old_quantity", -1),
        ("new_quantity", -5),
        ("unit_price", "ten"),
        ("unit_price", 10.0),  # a JSON number: already a float
        ("unit_price", "1e3"),
        ("cycle_start", "2023-02-30"),
    ],
)
def test_a_refusal_names_its_field(world, login, field, value):
    client = login(world.a.users["msp_viewer"])
    response = post(client, world.a.msp, {**EXAMPLE, field: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert list(body["errors"]) == [field]


def test_the_change_dates_refusal_says_where_the_cycle_runs(world, login):
    client = login(world.a.users["msp_admin"])
    response = post(client, world.a.msp, {**EXAMPLE, "change_date": "2023-07-10"})
    (message,) = response.json()["errors"]["change_date"]
    assert "June 10, 2023" in message and "July 9, 2023" in message


def test_a_price_with_more_than_two_decimals_is_used_exactly(world, login):
    client = login(world.a.users["msp_admin"])
    body = {**EXAMPLE, "unit_price": "12.335", "old_quantity": 3, "new_quantity": 4}
    response = post(client, world.a.msp, body)
    assert response.status_code == 200, response.content
    # 12.335 / 30 = 0.41116666…, cut to 0.41116666; 20 days; refund 3 × → 24.6699996 → 24.66;
    # charge 4 × → 32.8933328 → 32.89; the month 3 × 12.335 = 37.005 → 37.01 (half-up)
    assert response.json() == {
        "daily_rate": "0.41116666",
        "days": 20,
        "refund": "24.66",
        "charge": "32.89",
        "month_total": "45.24",
    }


def test_another_organisations_member_gets_404(world, login):
    for org in (world.a.msp, world.a.distributor):
        response = post(login(world.b.users["msp_admin"]), org, EXAMPLE)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_signed_out_is_refused(world, client):
    assert post(client, world.a.msp, EXAMPLE).status_code in (401, 403)


# --- page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_page_computes_the_example_and_is_in_the_menu(world, login, role):
    client = login(world.a.users[role])
    org = world.a.org_of(role)
    empty = client.get(page_url(org))
    assert empty.status_code == 200
    assert f'href="{page_url(org)}"' in empty.content.decode()
    response = client.get(page_url(org), EXAMPLE)
    assert response.status_code == 200
    html = response.content.decode()
    for marker, figure in (
        ('id="daily-rate">', "0.33333333"),
        ('id="days">', "20"),
        ('id="refund">', "66.66"),
        ('id="charge">', "99.99"),
        ('id="month-total">', "133.33"),
    ):
        assert f"{marker}{figure}<" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("change_date", "2023-07-10", "The change must fall inside the cycle"),
        ("old_quantity", "-1", "Enter a number of licenses, 0 or more."),
        ("unit_price", "ten", "Enter a price in digits, such as 10.00."),
    ],
)
def test_the_page_shows_the_refusal_on_its_field(world, login, field, value, message):
    client = login(world.a.users["msp_viewer"])
    response = client.get(page_url(world.a.msp), {**EXAMPLE, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    error_list = html.split(f'id="id_{field}_error"', 1)[1].split("</ul>", 1)[0]
    assert message in error_list
    assert 'id="proration-result"' not in html
    assert f'value="{value}"' in html  # kept as typed


def test_the_page_is_404_to_another_organisations_member(world, login):
    client = login(world.b.users["dist_admin"])
    assert client.get(page_url(world.a.msp)).status_code == 404
    assert client.get(page_url(world.a.distributor), EXAMPLE).status_code == 404
