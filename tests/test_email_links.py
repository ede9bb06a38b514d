"""Links in e-mails use the address the portal is served on.

`make run` serves on PORT and hands that address to its children as PORTAL_BASE_URL (unless the
user set one); the settings read it; the worker's e-mails link with it."""

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config import celery_app, launch
from reports.services import usage_report_open

from .reports.conftest import line_specs

ROOT = Path(__file__).resolve().parent.parent
SERVED = "http://127.0.0.1:18801"


@pytest.fixture
def no_base_url(monkeypatch, tmp_path):
    """No PORTAL_BASE_URL in the environment, and a checkout whose .env does not set one."""
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    monkeypatch.setattr(launch, "BASE_DIR", tmp_path)
    return tmp_path


def _settings_value(env: dict[str, str]) -> str:
    """PORTAL_BASE_URL as the settings of a child process with ``env`` read it."""
    code = "from django.conf import settings; print(settings.PORTAL_BASE_URL)"
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_run_gives_its_children_the_address_it_serves_on(no_base_url):
    env = launch._child_env(f"{SERVED}/")
    assert env["PORTAL_BASE_URL"] == SERVED
    assert _settings_value(env) == SERVED


def test_an_address_the_user_set_wins(no_base_url, monkeypatch):
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.com")
    assert launch._child_env(f"{SERVED}/")["PORTAL_BASE_URL"] == "https://portal.example.com"
    monkeypatch.delenv("PORTAL_BASE_URL")
    (no_base_url / ".env").write_text("SECRET_KEY=x\nPORTAL_BASE_URL=https://proxy.example.com\n")
    assert "PORTAL_BASE_URL" not in launch._child_env(f"{SERVED}/"), "the settings read .env themselves"


def test_manage_commands_leave_the_address_alone(no_base_url):
    assert "PORTAL_BASE_URL" not in launch._child_env()


@pytest.fixture
def clock():
    """A fixed day after the cycle, set before the organisations are made (it ticks: the worker
    thread waits in real seconds)."""
    with time_machine.travel(dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_emails_links_on_the_served_address(clock, world, settings):
    settings.PORTAL_BASE_URL = SERVED
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        report, _ = usage_report_open(msp=world.a.msp, cycle=dt.date(2026, 9, 1), lines=line_specs())
        admin = world.a.users["msp_admin"].email
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(m.to == [admin] for m in mail.outbox):
            time.sleep(0.1)
    message = next(m for m in mail.outbox if m.to == [admin])
    assert f"{SERVED}/o/{world.a.msp.slug}/reports/{report.pk}/" in message.body
    assert "127.0.0.1:8000" not in message.body
