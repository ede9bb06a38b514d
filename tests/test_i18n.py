"""English and French are shipped complete: every message translated, and pages really switch."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_french_catalogue_is_complete_and_compiled():
    catalogue = polib.pofile(str(PO))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    compiled = {entry.msgid for entry in polib.mofile(str(PO.with_suffix(".mo")))}
    live = {entry.msgid for entry in catalogue if not entry.obsolete}
    assert compiled >= live, "django.mo is stale: run `make messages`"


@pytest.mark.needs_gettext
def test_every_translatable_string_of_the_code_is_in_the_catalogue():
    """makemessages on a scratch copy of the code finds no message the catalogue lacks."""
    shipped = {entry.msgid for entry in polib.pofile(str(PO))}
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "src"
        shutil.copytree(
            ROOT,
            copy,
            ignore=shutil.ignore_patterns(
                ".venv", "var", ".git", "test-artifacts", "__pycache__", "*.egg-info"
            ),
        )
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "fr",
                "--ignore=tests",
                "--no-location",
                "-v0",
            ],
            cwd=copy,
            check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        )
        extracted = {entry.msgid for entry in polib.pofile(str(copy / "locale/fr/LC_MESSAGES/django.po"))}
    missing = sorted(extracted - shipped)
    assert not missing, f"not in locale/fr: {missing[:10]} (run `make messages`, then translate)"


def test_pages_switch_to_french(world, login):
    client = login(world.a.users["msp_admin"])
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get(f"/o/{world.a.msp.slug}/members/").content.decode()
    assert '<html lang="fr">' in page
    assert "Tableau de bord" in page and "Membres" in page
    assert "Administrateur MSP" in page  # role labels come from the catalogue too
