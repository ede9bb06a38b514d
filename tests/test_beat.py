"""The beat schedule, its heartbeat and the management commands of the scheduled jobs."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from config import celery_app
from msp_portal.jobs.choices import JobName, JobStatus
from msp_portal.jobs.models import JobRun
from msp_portal.jobs.selectors import BEAT_HEARTBEAT_KEY

from .clock import clock_env

ROOT = Path(__file__).resolve().parent.parent


def test_every_beat_entry_names_a_registered_task_and_each_job_has_a_command():
    celery_app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks == {
        "reports.tasks.open_cycles_task",
        "reports.tasks.send_reminders_task",
        "reports.tasks.auto_submit_task",
        "licensing.tasks.run_true_up_task",
        "notifications.outbox_sweep",  # the e-mail outbox (docs/notifications.md), not a logged job
        "exports.sweep",  # export requests no worker was handed, and expired files (docs/exports.md)
    }
    assert tasks <= set(celery_app.tasks)


@pytest.mark.parametrize("job", [choice.value for choice in JobName])
def test_each_job_runs_from_its_command_with_a_dry_run(db, job):
    out = io.StringIO()
    call_command(job, "--dry-run", stdout=out)
    assert out.getvalue().strip().endswith("dry run: nothing to do")
    run = JobRun.objects.get(job=job)
    assert run.dry_run and run.status == JobStatus.SUCCEEDED


def test_healthz_says_when_the_beat_process_last_ran(db, client, tmp_path):
    client_redis = redis.Redis.from_url(settings.REDIS_URL)
    client_redis.delete(BEAT_HEARTBEAT_KEY)
    assert client.get("/healthz").json()["beat"] == {"last_ran_at": None, "seconds_ago": None, "stale": True}
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--schedule",
            str(tmp_path / "schedule"),
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=clock_env({**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while client_redis.get(BEAT_HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        beat.terminate()
        beat.wait(timeout=30)
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["beat"]["last_ran_at"] is not None
    assert body["beat"]["seconds_ago"] < 60 and body["beat"]["stale"] is False
