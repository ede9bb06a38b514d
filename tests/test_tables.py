"""One description per list (msp_portal/tables.py), for tenancy's lists: the member page's
headers and its CSV's header row come from msp_portal/tenancy/tables.py."""

import csv
import html
import io
import re

import pytest
from django.utils import translation

from msp_portal.tenancy import tables

_TH = re.compile(r"<th>([^<]+)</th>")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_member_list_and_its_csv_take_their_headers_from_one_description(world, login, language):
    client = login(world.a.users["msp_admin"])
    client.cookies["django_language"] = language
    members = f"/o/{world.a.msp.slug}/members/"

    page = client.get(members).content.decode()
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    shown = [html.unescape(text.strip()) for text in _TH.findall(head)]
    download = b"".join(client.get(f"{members}?format=csv").streaming_content).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(download)))

    with translation.override(language):
        assert shown == [str(h) for h in tables.MEMBERS.page_headers]
        assert header == tables.MEMBERS.csv_header()
    # Role and joining day under the same words on both; the page's "Member" is the CSV's
    # e-mail and name.
    assert shown[1:] == header[2:]
