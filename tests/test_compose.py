"""docker-compose.yml cannot run here (no Docker engine), so check that what it runs exists."""

import importlib
import shlex
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)


def services():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_has_the_production_services_built_from_one_dockerfile():
    found = services()
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(found)
    builds = {name: spec.get("build") for name, spec in found.items() if spec.get("build")}
    assert set(builds) >= {"web", "worker", "beat"} and set(builds.values()) == {"."}
    assert (ROOT / "Dockerfile").is_file()
    assert found["beat"].get("deploy", {}).get("replicas") == 1


def test_every_service_command_exists_in_the_project():
    for name, spec in services().items():
        if not spec.get("build"):
            continue
        command = spec["command"]
        argv = command if isinstance(command, list) else shlex.split(command)
        program = argv[0]
        if program == "gunicorn":
            module, _, attribute = argv[1].partition(":")
            assert hasattr(importlib.import_module(module), attribute or "application"), name
        elif program == "celery":
            app_module = argv[argv.index("-A") + 1]
            app = importlib.import_module(app_module).celery_app
            assert argv[argv.index("-A") + 2] in ("worker", "beat"), name
            assert app.main == "msp_portal"
        elif program == "python":
            assert argv[1] == "manage.py" and (ROOT / "manage.py").is_file()
            assert argv[2] in get_commands(), f"{name}: unknown management command {argv[2]}"
        else:
            raise AssertionError(f"{name}: unexpected program {program}")


def test_dockerfile_installs_the_project_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    assert "collectstatic" in dockerfile
    assert "config.wsgi:application" in dockerfile
