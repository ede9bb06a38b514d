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


def _package(root: Path, name: str, modules: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    for module, source in modules.items():
        (root / name / f"{module}.py").write_text(source)


def test_the_contract_fails_on_a_service_that_imports_http(tmp_path):
    """The project's own .importlinter, run over a small tree of the same packages that breaks
    it three ways: a lazy import inside a function, an import through a helper module, and the
    HTTP mapping module; an annotation-only import is allowed."""
    _package(
        tmp_path,
        "msp_portal",
        {
            "errors": "",
            "exceptions": "from rest_framework.response import Response\n",
            "helpers": "import rest_framework.exceptions\n",
        },
    )
    _package(
        tmp_path,
        "reports",
        {
            "services": "def usage_report_get():\n    from django.http import Http404\n\n    raise Http404\n",
            "selectors": "from msp_portal.exceptions import Response\n",
        },
    )
    _package(
        tmp_path,
        "licensing",
        {
            "selectors": "import msp_portal.helpers\n",
            "services": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from django.http import HttpRequest\n",
        },
    )
    _package(tmp_path, "billing", {})
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "PYTHONNOUSERSITE": "1"}

    result = lint_imports(tmp_path, env=env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "reports.services is not allowed to import django.http" in result.stdout, result.stdout
    assert "reports.selectors is not allowed to import msp_portal.exceptions" in result.stdout, result.stdout
    assert "licensing.selectors is not allowed to import rest_framework" in result.stdout, result.stdout
    assert "licensing.services is not allowed" not in result.stdout, (
        "a TYPE_CHECKING import is not a dependency"
    )
