"""The launcher's child processes: started in a session of their own (Ctrl-C reaches only the
launcher, which stops them in order), killed with the launcher even by SIGKILL, their output
copied to ours with a prefix; and the stop signals turned into a flag the loops check."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from config.embedded import BASE_DIR

STOP_TIMEOUT = 10  # seconds a child gets to stop after SIGTERM before it is killed

log = logging.getLogger("config.launch")


try:
    # Loaded before any fork: only the prctl() call itself runs between fork and exec.
    _LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when the launcher dies (even by SIGKILL)."""
    if _LIBC is not None:
        pr_set_pdeathsig = 1
        _LIBC.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class Child:
    """A long-running child process whose output is copied to ours, each line prefixed."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen | None = None
        self._pump: threading.Thread | None = None

    def start(self) -> None:
        # A session of its own: Ctrl-C in the terminal reaches only the launcher, which stops
        # the children in order and then the embedded servers.
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if _LIBC is not None else None,
        )

    def copy_output(self, width: int) -> None:
        """Copy the child's output to ours in a thread (started once every child is spawned:
        preexec_fn must not run while other threads exist)."""
        prefix = f"{self.name:<{width}} | ".encode()
        self._pump = threading.Thread(target=self._copy_output, args=(prefix,), daemon=True)
        self._pump.start()

    def _copy_output(self, prefix: bytes) -> None:
        assert self.process is not None and self.process.stdout is not None
        out = sys.stdout.buffer
        for line in iter(self.process.stdout.readline, b""):
            with contextlib.suppress(OSError, ValueError):
                out.write(prefix + line)
                out.flush()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def poll(self) -> int | None:
        return self.process.poll() if self.process else None

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()

    def kill_group(self) -> None:
        """SIGKILL whatever is left in the child's process group (pool processes, workers)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self._pump is not None:
            self._pump.join(2)


def stop_children(children: list[Child]) -> None:
    running = [child for child in children if child.poll() is None]
    if running:
        log.info("Stopping %s...", ", ".join(child.name for child in running))
    for child in reversed(running):
        child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and any(child.poll() is None for child in running):
        time.sleep(0.1)
    for child in running:
        if child.poll() is None:
            log.warning("%s did not stop within %s s: killing it.", child.name, STOP_TIMEOUT)
    for child in children:
        child.kill_group()


class StopRequested(Exception):
    """SIGINT, SIGTERM or SIGHUP arrived."""


class Signals:
    """Turns the stop signals into a flag that the supervising loops check between steps."""

    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)

    def _handle(self, signum, frame) -> None:
        self.received = signum

    def check(self) -> None:
        if self.received is not None:
            raise StopRequested

    @staticmethod
    def ignore() -> None:
        """While stopping: a second Ctrl-C must not interrupt the stopping of the servers."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def run_foreground(command: list[str], env: dict[str, str]) -> int:
    """Run a command in our process group: Ctrl-C reaches it directly (pytest reports it and
    exits); SIGTERM sent to us is passed on to it."""
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)

    def forward(signum, frame):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        return process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
