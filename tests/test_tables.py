"""One description per list (msp_portal/tables.py), outside licensing: the member page's and
the MSP account settings page's headers and their CSVs' header rows come from one description
each (msp_portal/tenancy/tables.py, reports/tables.py)."""

import csv
import html
import io
import re

import pytest
from django.utils import translation

from msp_portal.tenancy import tables
from reports import tables as report_tables

_TH = re.compile(r'<th(?: scope="col")?(?: class="[^"]*")?>([^<]+)</th>')


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_member_list_and_its_csv_take_their_headers_from_one_description(world, login, language):
    client = login(world.a.users["msp_admin"])
    client.cookies["django_language"] = language
    members = f"/o/{world.a.msp.slug}/members/"

    shown, header = headers_of(client, members)
    shown = shown[:-1]  # the admin's actions column is not part of the list's description

    with translation.override(language):
        assert shown == [str(h) for h in tables.MEMBERS.page_headers]
        assert header == tables.MEMBERS.csv_header()
    # Role and joining day under the same words on both; the page's "Member" is the CSV's
    # e-mail and name.
    assert shown[1:] == header[2:]


def headers_of(client, path) -> tuple[list[str], list[str]]:
    page = client.get(path).content.decode()
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    download = b"".join(client.get(f"{path}?format=csv").streaming_content).decode("utf-8-sig")
    return [html.unescape(t.strip()) for t in _TH.findall(head)], next(csv.reader(io.StringIO(download)))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_account_settings_list_and_its_csv_take_their_headers_from_one_description(
    world, login, language
):
    client = login(world.a.users["dist_admin"])
    client.cookies["django_language"] = language

    shown, header = headers_of(client, f"/o/{world.a.distributor.slug}/reports/accounts/")

    with translation.override(language):
        assert shown == [str(h) for h in report_tables.ACCOUNT_SETTINGS.page_headers]
        assert header == report_tables.ACCOUNT_SETTINGS.csv_header()
    assert shown[0] == header[0] and len(header) == 11 and len(shown) == 6
