"""The import contracts of .importlinter hold, and they do fail on a violation: CI runs the
suite, so a service that imports HTTP breaks the build (docs/errors.md, "Domain errors")."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path, *, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _named_modules() -> list[str]:
    """The modules .importlinter names one by one (its wildcards may match nothing)."""
    names = []
    for line in (ROOT / ".importlinter").read_text().splitlines():
        word = line.strip()
        if line.startswith("    ") and "." in word and "*" not in word and " " not in word:
            names.append(word)
    return names


def _tree(root: Path, modules: dict[str, str]) -> None:
    """A small tree of the project's packages: every module the contracts name (empty), then
    ``modules`` (dotted name -> source)."""
    everything = {name: "" for name in _named_modules() if name.split(".")[0] in PACKAGES}
    everything.update(modules)
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").write_text("")
    for name, source in everything.items():
        path = root.joinpath(*name.split("."))
        for parent in list(path.parents)[::-1]:
            if parent.is_relative_to(root) and parent != root and not (parent / "__init__.py").exists():
                parent.mkdir(exist_ok=True)
                (parent / "__init__.py").write_text("")
        path.with_suffix(".py").write_text(source)
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")


PACKAGES = ("config", "msp_portal", "reports", "licensing", "billing", "invoicing")
ENV_OF = {"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"}


def test_the_contract_fails_on_a_service_that_imports_http(tmp_path):
    """The project's own .importlinter, run over a small tree of the same packages that breaks
    it three ways: a lazy import inside a function, an import through a helper module, and the
    HTTP mapping module; an annotation-only import is allowed."""
    _tree(
        tmp_path,
        {
            "msp_portal.exceptions": "from rest_framework.response import Response\n",
            "msp_portal.helpers": "import rest_framework.exceptions\n",
            "reports.services": "def usage_report_get():\n    from django.http import Http404\n\n    raise Http404\n",
            "reports.selectors": "from msp_portal.exceptions import Response\n",
            "licensing.selectors": "import msp_portal.helpers\n",
            "licensing.services": (
                "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from django.http import HttpRequest\n"
            ),
        },
    )
    env = {**ENV_OF, "PYTHONPATH": str(tmp_path)}

    result = lint_imports(tmp_path, env=env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "reports.services is not allowed to import django.http" in result.stdout, result.stdout
    assert "reports.selectors is not allowed to import msp_portal.exceptions" in result.stdout, result.stdout
    assert "licensing.selectors is not allowed to import rest_framework" in result.stdout, result.stdout
    assert "licensing.services is not allowed" not in result.stdout, (
        "a TYPE_CHECKING import is not a dependency"
    )


def test_the_layers_contract_fails_when_a_lower_layer_names_an_upper_one(tmp_path):
    """The kernel naming an app's URLs (what the navigation once did), licensing reading
    reports, and an app importing the shell are three violations; the shell importing every
    app, reports reading licensing and billing reading reports are the allowed direction."""
    _tree(
        tmp_path,
        {
            "msp_portal.tenancy.navigation": "import reports.urls\n",
            "licensing.views": "def page():\n    from reports import selectors\n",
            "reports.demo": "import config.settings\n",
            "reports.urls": "",
            "config.settings": "",
            "config.urls": "import billing.urls\nimport reports.urls\nimport licensing.urls\n",
            "billing.urls": "import reports.selectors\n",
            "licensing.urls": "",
            "reports.cycles": "import licensing.selectors\n",
        },
    )

    result = lint_imports(tmp_path, env={**ENV_OF, "PYTHONPATH": str(tmp_path)})

    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout
    assert "msp_portal.tenancy.navigation -> reports.urls" in broken, broken
    assert "licensing.views -> reports (l.2)" in broken, broken
    assert "reports.demo -> config.settings" in broken, broken
    for allowed in ("config.urls -> ", "billing.urls -> ", "reports.cycles -> "):
        assert allowed not in broken, broken
