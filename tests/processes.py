"""Processes a test starts that must work on the test's own database, Redis and clock: a
management command, or a real Celery worker that can be killed."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg2
from django.conf import settings
from django.db import connection

from .clock import clock_env

ROOT = Path(__file__).resolve().parent.parent


def process_env() -> dict:
    """The environment of a child process that works on this test's database and Redis."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    if db["HOST"].startswith("/"):
        # The embedded server listens on a socket directory: written as an absolute path, the way
        # config.embedded writes its own URL for django-environ.
        url = f"postgres://{db['USER']}{password}@/{quote(db['HOST'])}/{quote(db['NAME'])}"
        url += f"?port={db['PORT']}" if db["PORT"] else ""
    else:
        url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return clock_env(
        {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": url,
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONPATH": str(ROOT),
        }
    )


def worker_process(extra_env: dict | None = None) -> subprocess.Popen:
    """A Celery worker (solo pool, this test run's queue) in a session of its own, so a test can
    SIGKILL it and everything it started."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--queues",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],  # fmt: skip
        cwd=ROOT,
        env={**process_env(), **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def own_connection():
    """A connection of the test's own to the test database, beside Django's (autocommit): to
    hold a lock that stops a child process half-way, at a point the test chooses."""
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or None
    )
    conn.autocommit = True
    return conn


def backends_waiting_for_a_lock(query_like: str = "%") -> int:
    """How many backends of the test database wait for a lock, in a statement like ``query_like``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            [query_like],
        )
        return cursor.fetchone()[0]


def other_backends_in_a_transaction() -> int:
    """How many backends of the test database, besides Django's, are inside a transaction (a
    killed client's backend is, until PostgreSQL notices and rolls it back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        return cursor.fetchone()[0]
