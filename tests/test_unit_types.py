"""A catalog's unit types ("seat", "user", "GB") read in the reader's language; a unit type a
distributor invents is shown as written."""

import pytest
from django.utils import translation

from licensing.demo_fixtures import licensing_objects
from msp_portal.tenancy.templatetags.portal_tags import unit_type_label


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [("en", "seat", "seat"), ("fr", "seat", "poste"), ("fr", "User", "utilisateur"), ("fr", "GB", "Go")],
)
def test_known_unit_types_are_translated(language, value, shown):
    with translation.override(language):
        assert str(unit_type_label(value)) == shown


def test_an_unknown_unit_type_is_shown_as_written():
    with translation.override("fr"):
        assert unit_type_label("core-hour") == "core-hour"


def test_the_catalog_page_shows_unit_types_in_french(world, login):
    licensing_objects(world.a.msp)  # a product of distributor A's catalog, sold by the seat
    client = login(world.a.users["dist_admin"])
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get(f"/o/{world.a.distributor.slug}/shop/").content.decode()
    assert "<td>poste</td>" in page
