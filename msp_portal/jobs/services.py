"""Recording job runs. Each scheduled service runs inside :func:`job_run_record`, which writes
the run's row first (so a killed worker leaves a visible "running" row), then its counts,
duration and errors when it ends."""

import datetime as dt
import os
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from .choices import JobStatus
from .models import JobRun

MAX_ERRORS_KEPT = 50


@dataclass
class JobRunLog:
    """What a run has done so far: counts by name and the errors it met (and went past)."""

    dry_run: bool = False
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # what a dry run would do, for the command

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def error(self, message: str) -> None:
        self.counts["errors"] += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(message[:500])

    def would(self, message: str) -> None:
        self.lines.append(message)


def _close_stale_runs(job: str, now: dt.datetime) -> None:
    """A run still "running" past the task time limit was killed with its worker."""
    limit = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    JobRun.objects.filter(job=job, status=JobStatus.RUNNING, started_at__lt=limit).update(
        status=JobStatus.INTERRUPTED, finished_at=now
    )


def _prune(now: dt.datetime) -> None:
    JobRun.objects.filter(started_at__lt=now - dt.timedelta(days=settings.JOB_RUN_RETENTION_DAYS)).delete()


@contextmanager
def job_run_record(job: str, *, dry_run: bool = False) -> Iterator[JobRunLog]:
    """Record one run of ``job``; the body fills the yielded log. An exception marks the run
    failed (and propagates: the task decides whether to retry)."""
    now = timezone.now()
    _close_stale_runs(job, now)
    _prune(now)
    run = JobRun.objects.create(
        job=job, dry_run=dry_run, started_at=now, host=socket.gethostname()[:200], pid=os.getpid()
    )
    log = JobRunLog(dry_run=dry_run)
    try:
        yield log
    except BaseException as exc:
        log.error(f"{type(exc).__name__}: {exc}")
        _finish(run, log, JobStatus.FAILED)
        raise
    _finish(run, log, JobStatus.PARTIAL if log.errors else JobStatus.SUCCEEDED)


def _finish(run: JobRun, log: JobRunLog, status: str) -> None:
    JobRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now(), counts=dict(log.counts), errors=log.errors
    )


def job_run(job: str, service, *, dry_run: bool = False, **kwargs) -> JobRunLog:
    """Run ``service(log=…, **kwargs)`` recorded as one run of ``job``; returns its log. Tasks
    and management commands both come through here."""
    with job_run_record(job, dry_run=dry_run) as log:
        service(log=log, **kwargs)
    return log
